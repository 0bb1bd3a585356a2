"""Graphics items of the board, each drawn from plain layout records."""

from app.canvas.items.bands import (
    BoardBackgroundItem,
    CornerItem,
    LaneBandItem,
    LaneLabelItem,
    LayerStripItem,
    StageHeaderItem,
)
from app.canvas.items.card import CardItem
from app.canvas.items.curves import EmotionCurveItem, VisibilityLineItem
from app.canvas.items.link import DropIndicatorItem, LinkItem, LinkPreviewItem

__all__ = [
    "BoardBackgroundItem",
    "CardItem",
    "CornerItem",
    "DropIndicatorItem",
    "EmotionCurveItem",
    "LaneBandItem",
    "LaneLabelItem",
    "LayerStripItem",
    "LinkItem",
    "LinkPreviewItem",
    "StageHeaderItem",
    "VisibilityLineItem",
]
