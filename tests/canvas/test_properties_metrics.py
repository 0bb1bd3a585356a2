"""The properties dock shows a card's measured metrics: latest value and trend chart."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel

from app.canvas.analysis_dock import MetricTrendWidget
from app.model.metrics import import_metrics


def test_selected_card_shows_its_metric_trend(win, board, tmp_path: Path) -> None:
    """After a metrics import, selecting the card shows each metric's latest value and its points."""
    doc, ids = board
    card = ids["A1"]
    csv = tmp_path / "m.csv"
    csv.write_text(
        "target,metric,value,date\n"
        f"{card},CSAT,3.5,2026-01-31\n{card},CSAT,4.2,2026-03-31\n{card},CSAT,3.9,2026-02-28\n"
        f"{card},Tickets,12,2026-03-31\n"
    )
    win.scene.clearSelection()
    win.scene.cards[card].setSelected(True)
    panel = win.properties
    assert panel.findChildren(MetricTrendWidget) == []
    import_metrics(doc, csv)  # arrives while the card is selected
    charts = {w.objectName(): w for w in panel.findChildren(MetricTrendWidget)}
    assert set(charts) == {"trend:CSAT", "trend:Tickets"}
    assert [p.value for p in charts["trend:CSAT"].points] == [3.5, 3.9, 4.2]  # by date
    texts = [label.text() for label in panel.widget().findChildren(QLabel)]
    assert "CSAT: 4.2 on 2026-03-31 (3 measured)" in texts
    image = charts["trend:CSAT"].grab().toImage()
    assert image.width() > 50 and image.height() >= 90
