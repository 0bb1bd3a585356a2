"""AnalysisPanel: the lifecycle analysis's findings, kept current without freezing the window.

After Document events the panel waits a moment (edits come in bursts), takes a snapshot of
the visible board on the GUI thread (plain values, a few ms) and analyses it on a worker
thread; the result comes back through a queued signal, and a result older than the latest
snapshot is dropped. The panel also picks the metric the heat overlay colours cards by, and
shows that metric's trend for the selected card.

Hook-up in the main window (the panel lives in a dock, like the properties panel)::

    self.analysis = AnalysisPanel()
    self.analysis_dock = QDockWidget("Analysis", self)
    self.analysis_dock.setObjectName("analysis")
    self.analysis_dock.setWidget(self.analysis)
    self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.analysis_dock)
    # in set_document, after the scene and view exist:
    self.analysis.attach(doc, self.scene, self.view)
    # in close_document, before scene.close():
    self.analysis.detach()
    # in closeEvent:
    self.analysis.shutdown()

``attach`` adds an AnalysisOverlayItem to the scene, selects and centres a finding's cards
when one is clicked, and follows the scene's selection for the trend chart.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGraphicsView,
    QLabel,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.canvas import theme
from app.canvas.items.overlay import MARKS, AnalysisOverlayItem
from app.model.analysis import (
    HEADINGS,
    KEYS,
    Analysis,
    Board,
    analyze_board,
    findings,
    heading_with_count,
    snapshot,
)
from app.model.document import Document, DocumentEvent
from app.model.metrics import MetricPoint, heat, latest_of, metric_names, trend, visible_metrics
from app.model.schema import Metric

log = logging.getLogger(__name__)

#: wait this long after the last edit before analysing again
DEBOUNCE_MS = 300
NO_METRIC = "(none)"
CARDS_ROLE = Qt.ItemDataRole.UserRole


class _Relay(QObject):
    """Carries a worker's result to the GUI thread (a signal emitted off-thread is queued)."""

    finished = Signal(int, object, object, float)  # generation, board, Analysis or error, seconds


class MetricTrendWidget(QWidget):
    """A small line chart of one metric of one card or stage over the dates."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[MetricPoint] = []
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_points(self, points: Iterable[MetricPoint]) -> None:
        self.points = list(points)
        self.update()

    def paintEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setFont(theme.font(10))
        area = QRectF(self.rect()).adjusted(34, 8, -10, -18)
        painter.setPen(QPen(theme.GRID_COLOR, 1))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        if not self.points:
            painter.setPen(theme.MUTED_COLOR)
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "no measurements")
            return
        values = [p.value for p in self.points]
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        step = area.width() / max(1, len(self.points) - 1)

        def at(i: int, value: float) -> QPointF:
            x = area.left() + (step * i if len(self.points) > 1 else area.width() / 2)
            return QPointF(x, area.bottom() - (value - low) / span * area.height())

        pts = [at(i, p.value) for i, p in enumerate(self.points)]
        painter.setPen(QPen(theme.SELECTION, 2))
        painter.drawPolyline(QPolygonF(pts))
        painter.setBrush(theme.SELECTION)
        for p in pts:
            painter.drawEllipse(p, 2.5, 2.5)
        painter.setPen(theme.MUTED_COLOR)
        painter.drawText(
            QRectF(0, area.top() - 6, 30, 14), Qt.AlignmentFlag.AlignRight, f"{high:g}"
        )
        painter.drawText(
            QRectF(0, area.bottom() - 8, 30, 14), Qt.AlignmentFlag.AlignRight, f"{low:g}"
        )
        bottom = QRectF(area.left(), area.bottom() + 2, area.width(), 14)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft, self.points[0].date)
        if len(self.points) > 1:
            painter.drawText(bottom, Qt.AlignmentFlag.AlignRight, self.points[-1].date)


class AnalysisPanel(QWidget):
    """Findings by kind, the heat metric and a trend; clicking a finding shows its cards."""

    #: a new Analysis arrived (for the overlay)
    analysis_ready = Signal(object)
    #: the user picked a finding: select and centre these card ids
    cards_activated = Signal(list)
    #: "Show on the board" was switched
    overlay_toggled = Signal(bool)
    #: the heat overlay's values: {card or stage id: (0..1, label)}, or None for no metric
    heat_changed = Signal(object)

    def __init__(self, doc: Document | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self.scene: Any = None  # a BoardScene once attached
        self.view: QGraphicsView | None = None
        self.overlay: AnalysisOverlayItem | None = None
        self.analysis: Analysis | None = None
        self.board: Board | None = None
        self.last_seconds = 0.0
        self._generation = 0
        self._trend_target: str | None = None
        self._expanded: set[str] = set()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_finished)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.run_now)
        self._closed = False
        self._build()
        self.set_document(doc)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.status = QLabel("Analysing…")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.show_marks = QCheckBox("Mark findings on the board")
        self.show_marks.setChecked(True)
        self.show_marks.toggled.connect(self.overlay_toggled)
        layout.addWidget(self.show_marks)
        self.legend = QLabel(
            " ".join(
                f'<span style="color:{colour}">\u25cf</span>&nbsp;{text}'
                for colour, text in MARKS.values()
            )
        )
        self.legend.setWordWrap(True)
        layout.addWidget(self.legend)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setWordWrap(True)
        self.tree.itemClicked.connect(self._on_item_clicked)
        self.tree.itemActivated.connect(self._on_item_clicked)
        self.tree.itemExpanded.connect(
            lambda item: self._expanded.add(item.data(0, CARDS_ROLE + 1))
        )
        self.tree.itemCollapsed.connect(
            lambda item: self._expanded.discard(item.data(0, CARDS_ROLE + 1))
        )
        layout.addWidget(self.tree, 1)
        form = QFormLayout()
        self.metric_choice = QComboBox()
        self.metric_choice.addItem(NO_METRIC)
        self.metric_choice.currentTextChanged.connect(self._on_metric_chosen)
        form.addRow("Colour cards by", self.metric_choice)
        layout.addLayout(form)
        self.trend_title = QLabel("Select a card or stage to see its trend.")
        self.trend_title.setWordWrap(True)
        layout.addWidget(self.trend_title)
        self.trend = MetricTrendWidget()
        layout.addWidget(self.trend)

    # -- following a document and a scene ----------------------------------------------------

    def set_document(self, doc: Document | None) -> None:
        """Analyse this design from now on (None: none; a result in flight is dropped)."""
        if self.doc is not None:
            self.doc.unsubscribe(self._on_document_changed)
        self.doc = doc
        self._generation += 1
        self._timer.stop()
        self.analysis = self.board = None
        self._trend_target = None
        self.tree.clear()
        if doc is None or self._closed:
            self.status.setText("No design open.")
            self._refresh_metrics()
            return
        doc.subscribe(self._on_document_changed)
        self._refresh_metrics()
        self._timer.start(0)

    def attach(self, doc: Document, scene: Any, view: QGraphicsView) -> None:
        """Analyse ``doc``, mark findings on ``scene`` and centre ``view`` on chosen findings."""
        self.detach()
        self.scene, self.view = scene, view
        self.overlay = AnalysisOverlayItem(scene.layout)
        self.overlay.add_to(scene)
        self.overlay.set_marks_visible(self.show_marks.isChecked())
        scene.board_changed.connect(self._on_board_changed)
        scene.selectionChanged.connect(self._on_selection_changed)
        self.analysis_ready.connect(self.overlay.set_analysis)
        self.heat_changed.connect(self.overlay.set_heat)
        self.overlay_toggled.connect(self.overlay.set_marks_visible)
        self.cards_activated.connect(self._show_cards)
        self.set_document(doc)

    def detach(self) -> None:
        """Stop following the scene and the document (call before the scene closes)."""
        if self.scene is not None:
            scene, overlay = self.scene, self.overlay
            assert overlay is not None
            for signal, slot in (
                (scene.board_changed, self._on_board_changed),
                (scene.selectionChanged, self._on_selection_changed),
                (self.analysis_ready, overlay.set_analysis),
                (self.heat_changed, overlay.set_heat),
                (self.overlay_toggled, overlay.set_marks_visible),
                (self.cards_activated, self._show_cards),
            ):
                signal.disconnect(slot)
            overlay.remove_from(scene)
            self.scene = self.view = self.overlay = None
        self.set_document(None)

    def _on_board_changed(self, _origin: str) -> None:
        if self.overlay is not None and self.scene is not None:
            self.overlay.set_layout(self.scene.layout)  # set_layers makes a new layout

    def _on_selection_changed(self) -> None:
        if self.scene is not None:
            self.show_trend(next(iter(self.scene.selected_ids("card")), None))

    def _show_cards(self, card_ids: list[str]) -> None:
        if self.scene is not None and self.view is not None:
            select_and_centre(self.scene, self.view, card_ids)

    # -- analysing off the GUI thread -------------------------------------------------------

    def _on_document_changed(self, event: DocumentEvent) -> None:
        if event.changed.keys() & {"stage", "lane", "card", "link"}:
            self._timer.start(DEBOUNCE_MS)
        if "metric" in event.changed or event.changed.keys() & {"stage", "card"}:
            self._refresh_metrics()

    def run_now(self) -> None:
        """Snapshot the board and analyse it on the worker thread."""
        if self._closed or self.doc is None:
            return
        self._generation += 1
        generation = self._generation
        board = snapshot(self.doc)
        started = time.perf_counter()
        self.status.setText("Analysing…")

        def done(future: Future[Analysis]) -> None:
            if future.cancelled():
                return
            exc = future.exception()
            result: object = exc if exc is not None else future.result()
            with contextlib.suppress(RuntimeError):  # the dock was deleted meanwhile
                relay.finished.emit(generation, board, result, time.perf_counter() - started)

        relay = self._relay

        self._executor.submit(analyze_board, board).add_done_callback(done)

    def _on_finished(self, generation: int, board: Board, result: object, seconds: float) -> None:
        if generation != self._generation or self._closed:
            return  # a newer snapshot is being analysed
        self.last_seconds = seconds
        if isinstance(result, BaseException):
            log.error("analysis failed", exc_info=result)
            self.status.setText(f"The analysis failed: {result}")
            return
        assert isinstance(result, Analysis)
        self.analysis, self.board = result, board
        self._fill_tree(result, board)
        cards = len(board.cards)
        self.status.setText(f"{cards} cards analysed in {self.last_seconds:.2f} s.")
        self.analysis_ready.emit(result)

    def shutdown(self) -> None:
        """Stop following everything and drop work in flight (call when the window closes)."""
        if self._closed:
            return
        self.detach()
        self._closed = True
        self._timer.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- findings -----------------------------------------------------------------------------

    def _fill_tree(self, analysis: Analysis, board: Board) -> None:
        self.tree.clear()
        by_kind: dict[str, list[Any]] = {k: [] for k in KEYS}
        for f in findings(analysis, board):
            by_kind[f.kind].append(f)
        for kind in KEYS:
            items = by_kind[kind]
            explanation = HEADINGS[kind][1]
            label = heading_with_count(kind, analysis, len(items))
            top = QTreeWidgetItem([label])
            top.setToolTip(0, explanation)
            top.setData(0, CARDS_ROLE, list(dict.fromkeys(c for f in items for c in f.cards)))
            top.setData(0, CARDS_ROLE + 1, kind)
            for f in items:
                child = QTreeWidgetItem([f.text])
                child.setToolTip(0, f.text)
                child.setData(0, CARDS_ROLE, list(f.cards))
                top.addChild(child)
            if not items:
                none = QTreeWidgetItem(["none"])
                none.setForeground(0, theme.MUTED_COLOR)
                top.addChild(none)
            self.tree.addTopLevelItem(top)
            top.setExpanded(kind in self._expanded)

    def finding_items(self, kind: str) -> list[QTreeWidgetItem]:
        """The rows listed under one kind of finding (tests and the window read them)."""
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is not None and top.data(0, CARDS_ROLE + 1) == kind:
                rows = [top.child(j) for j in range(top.childCount())]
                return [r for r in rows if r is not None and r.data(0, CARDS_ROLE)]
        return []

    def _on_item_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        cards = item.data(0, CARDS_ROLE) or []
        if cards:
            self.cards_activated.emit(list(cards))

    # -- metrics ------------------------------------------------------------------------------

    def _metrics(self) -> list[Metric]:
        return visible_metrics(self.doc) if self.doc is not None else []

    def _refresh_metrics(self) -> None:
        metrics = self._metrics()
        names = metric_names(metrics)
        current = self.metric_choice.currentText()
        self.metric_choice.blockSignals(True)
        self.metric_choice.clear()
        self.metric_choice.addItems([NO_METRIC, *names])
        self.metric_choice.setCurrentText(current if current in names else NO_METRIC)
        self.metric_choice.blockSignals(False)
        self._emit_heat(metrics)
        self.show_trend(self._trend_target)

    def _on_metric_chosen(self, _name: str) -> None:
        metrics = self._metrics()
        self._emit_heat(metrics)
        self.show_trend(self._trend_target)

    def chosen_metric(self) -> str | None:
        name = self.metric_choice.currentText()
        return None if name in ("", NO_METRIC) else name

    def _emit_heat(self, metrics: list[Metric]) -> None:
        name = self.chosen_metric()
        if name is None:
            self.heat_changed.emit(None)
            return
        latest = latest_of(metrics, name)
        scale = heat(latest)
        self.heat_changed.emit({t: (scale[t], f"{p.value:g}") for t, p in latest.items()})

    def show_trend(self, target: str | None) -> None:
        """Show the chosen metric's trend for a card or stage (None: nothing selected)."""
        self._trend_target = target
        if target is None or self.doc is None:
            self.trend_title.setText("Select a card or stage to see its trend.")
            self.trend.set_points([])
            return
        metrics = self._metrics()
        name = self.chosen_metric()
        if name is None:  # no metric chosen: the first one this target has
            name = next((n for n in metric_names(metrics) if trend(metrics, target, n)), None)
        card, stage = self.doc.card(target), self.doc.stage(target)
        what = f"“{card.title}”" if card else (f"stage {stage.name}" if stage else target)
        if name is None:
            self.trend_title.setText(f"No measurements of {what}.")
            self.trend.set_points([])
            return
        points = trend(metrics, target, name)
        self.trend_title.setText(f"{name} of {what}")
        self.trend.set_points(points)


def select_and_centre(scene: Any, view: QGraphicsView, card_ids: Iterable[str]) -> int:
    """Select the cards of a finding and centre the view on them; returns how many were found."""
    scene.clearSelection()
    rect = QRectF()
    found = 0
    for cid in card_ids:
        item = scene.item_for("card", cid)
        if item is None:
            continue
        item.setSelected(True)
        rect = rect.united(item.sceneBoundingRect())
        found += 1
    if found:
        show = getattr(view, "show_item", None)  # BoardView also re-pins the frozen panes
        if show is not None:
            show(rect)
        else:
            view.centerOn(rect.center())
    return found
