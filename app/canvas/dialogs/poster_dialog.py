"""File ▸ Export Poster…: sheet size, tiles, scale and layers, a preview of the page grid,
and the export itself in a worker thread behind a progress dialog that can be cancelled.

The dialog reads the Document only in the GUI thread (``prepare_poster``); the worker gets
the prepared layout and writes the PDF without touching the Document.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QRectF, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.export.paper import MM, SIZES
from app.export.poster import (
    DEFAULT_OVERLAP,
    PosterCancelled,
    PosterError,
    PosterPlan,
    PosterRequest,
    PreparedPoster,
    prepare_poster,
    request_from_options,
    write_poster,
)
from app.model.document import Document
from app.model.labels import LAYER_NAMES
from app.model.layout import LAYER_COLORS
from app.model.schema import Layer

CUSTOM = "Custom…"
GRID_COLOR = "#E8590C"


class PosterPreview(QWidget):
    """The sheets of the planned poster, to scale: one sheet, or the grid of tiles."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prepared: PreparedPoster | None = None
        self.setMinimumSize(320, 240)

    def show_poster(self, prepared: PreparedPoster | None) -> None:
        self.prepared = prepared
        self.update()

    def paintEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#E9ECEF"))
        if self.prepared is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No preview")
            return
        plan = self.prepared.plan
        if plan.mode == "fit":
            self._paint_fit(painter, plan)
        else:
            self._paint_tiles(painter, plan)

    def _frame(self, width: float, height: float) -> tuple[float, float, float]:
        """(scale, left, top) that fit width × height points into the widget with a border."""
        pad = 14.0
        k = min((self.width() - 2 * pad) / width, (self.height() - 2 * pad) / height)
        return k, (self.width() - width * k) / 2, (self.height() - height * k) / 2

    def _paint_board(
        self, painter: QPainter, k: float, left: float, top: float, scale: float
    ) -> None:
        assert self.prepared is not None
        layout = self.prepared.layout
        width = (layout.width - layout.options.margin) * scale * k
        for band in layout.layer_bands:
            strong, tint = LAYER_COLORS.get(band.layer, ("#5C677D", "#F8F9FA"))
            y = top + band.y * scale * k
            painter.fillRect(QRectF(left, y, width, band.height * scale * k), QColor(tint))
            painter.fillRect(
                QRectF(left, y, max(2.0, 20 * scale * k), band.height * scale * k), QColor(strong)
            )
        for card in layout.cards.values():
            painter.fillRect(
                QRectF(
                    left + card.x * scale * k,
                    top + card.y * scale * k,
                    card.w * scale * k,
                    card.h * scale * k,
                ),
                QColor("#ADB5BD"),
            )

    def _paint_fit(self, painter: QPainter, plan: PosterPlan) -> None:
        assert self.prepared is not None
        w, h = plan.page_size
        k, left, top = self._frame(w, h)
        painter.fillRect(QRectF(left + 3, top + 3, w * k, h * k), QColor("#ADB5BD"))
        painter.fillRect(QRectF(left, top, w * k, h * k), QColor("white"))
        layout = self.prepared.layout
        cw = (layout.width - layout.options.margin) * plan.scale
        m = plan.margin
        self._paint_board(
            painter, k, left + (m + (w - 2 * m - cw) / 2) * k, top + m * k, plan.scale
        )
        painter.setPen(QPen(QColor("#1F2937"), 1))
        painter.drawLine(
            int(left + m * k),
            int(top + (h - m * 2.5) * k),
            int(left + (w - m) * k),
            int(top + (h - m * 2.5) * k),
        )

    def _paint_tiles(self, painter: QPainter, plan: PosterPlan) -> None:
        extent_w = max(t.view[2] for t in plan.tiles)
        extent_h = max(t.view[3] for t in plan.tiles)
        k, left, top = self._frame(extent_w, extent_h)
        painter.fillRect(QRectF(left, top, extent_w * k, extent_h * k), QColor("white"))
        self._paint_board(painter, k, left, top, plan.scale)
        painter.setPen(QPen(QColor(GRID_COLOR), 1))
        font = QFont(painter.font())
        cell = min(
            (plan.tiles[0].view[2] - plan.tiles[0].view[0]) * k,
            (plan.tiles[0].view[3] - plan.tiles[0].view[1]) * k,
        )
        font.setPixelSize(max(7, min(16, int(cell * 0.3))))
        font.setBold(True)
        painter.setFont(font)
        for tile in plan.tiles:
            x0, y0, x1, y1 = tile.view
            rect = QRectF(left + x0 * k, top + y0 * k, (x1 - x0) * k, (y1 - y0) * k)
            painter.drawRect(rect)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, tile.label)


#: the command line's options as this dialog names them
_OPTION_WORDS = {
    "--size": "Sheet",
    "--tile": "Print on: tiles",
    "--scale": "Scale",
    "--overlap": "Overlap",
    "--layers": "Layers",
    "--orientation": "Orientation",
}


def in_dialog_words(message: str) -> str:
    """A poster request's error as the dialog says it: fields by their labels, not flags."""
    for flag, label in _OPTION_WORDS.items():
        message = message.replace(flag, label)
    return message


class PosterWorker(QObject):
    """Writes a prepared poster in a worker thread, reporting pages and honouring cancel."""

    progressed = Signal(int, int)
    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, prepared: PreparedPoster, path: Path, cancel: threading.Event) -> None:
        super().__init__()
        self.prepared = prepared
        self.path = path
        self.cancel = cancel

    @Slot()
    def run(self) -> None:
        try:
            result = write_poster(self.prepared, self.path, progress=self._progress)
        except PosterCancelled:
            self.failed.emit("Export cancelled: no file was written.")
        except (OSError, ValueError) as exc:
            self.failed.emit(f"Could not write {self.path.name}: {exc}")
        else:
            self.finished.emit(result.message())

    def _progress(self, done: int, total: int) -> bool:
        self.progressed.emit(done, total)
        return not self.cancel.is_set()


class PosterDialog(QDialog):
    """Options, preview and export of a poster; ``result_message`` says what was written."""

    def __init__(self, doc: Document, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Poster")
        self.doc = doc
        self.result_message = ""
        self.prepared: PreparedPoster | None = None
        self._thread: QThread | None = None
        self._worker: PosterWorker | None = None
        self._cancel = threading.Event()
        self.progress: QProgressDialog | None = None
        self._tile_default_set = False

        form = QFormLayout()
        mode_row = QHBoxLayout()
        self.one_sheet = QRadioButton("One sheet")
        self.tiled = QRadioButton("Tiles")
        self.one_sheet.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.one_sheet)
        group.addButton(self.tiled)
        mode_row.addWidget(self.one_sheet)
        mode_row.addWidget(self.tiled)
        mode_row.addStretch(1)
        form.addRow("Print on", mode_row)

        self.sheet = self._size_combo("A0")
        self.custom = QLineEdit()
        self.custom.setPlaceholderText("e.g. 800x600mm or 24x36in")
        size_row = QHBoxLayout()
        size_row.addWidget(self.sheet)
        size_row.addWidget(self.custom, 1)
        form.addRow("Sheet", size_row)
        self.orientation = QComboBox()
        for label, value in (
            ("Automatic", None),
            ("Portrait", "portrait"),
            ("Landscape", "landscape"),
        ):
            self.orientation.addItem(label, value)
        form.addRow("Orientation", self.orientation)
        self.scale = QSpinBox()
        self.scale.setRange(5, 400)
        self.scale.setSingleStep(5)
        self.scale.setValue(100)
        self.scale.setSuffix(" %")
        form.addRow("Scale (tiles)", self.scale)
        self.overlap = QDoubleSpinBox()
        self.overlap.setRange(0, 50)
        self.overlap.setDecimals(0)
        self.overlap.setValue(DEFAULT_OVERLAP / MM)
        self.overlap.setSuffix(" mm")
        form.addRow("Overlap (tiles)", self.overlap)
        layers_row = QHBoxLayout()
        self.layer_boxes: dict[str, QCheckBox] = {}
        for layer in Layer:
            box = QCheckBox(LAYER_NAMES[layer.value])
            box.setChecked(True)
            self.layer_boxes[layer.value] = box
            layers_row.addWidget(box)
        form.addRow("Layers", layers_row)
        self.with_analysis = QCheckBox("Add pages with the lifecycle analysis findings")
        self.with_analysis.setToolTip(
            "Touchpoints with nothing behind them, hand-offs, bottlenecks, the critical path"
        )
        form.addRow("", self.with_analysis)
        path_row = QHBoxLayout()
        self.path_edit = QLineEdit(str(path))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        form.addRow("File", path_row)

        self.preview = PosterPreview()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #C92A2A")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)

        columns = QHBoxLayout(self)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.summary)
        left.addWidget(self.error)
        left.addStretch(1)
        left.addWidget(self.buttons)
        columns.addLayout(left, 0)
        columns.addWidget(self.preview, 1)

        # options change in bursts (typing a size, spinning a scale): re-plan once they settle
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.refresh)
        for signal in (
            self.one_sheet.toggled,
            self.sheet.currentIndexChanged,
            self.custom.textChanged,
            self.orientation.currentIndexChanged,
            self.scale.valueChanged,
            self.overlap.valueChanged,
            *(box.toggled for box in self.layer_boxes.values()),
            self.with_analysis.toggled,
        ):
            signal.connect(self._changed)
        self.refresh()

    @staticmethod
    def _size_combo(default: str) -> QComboBox:
        combo = QComboBox()
        for name in SIZES:
            combo.addItem(name)
        combo.addItem(CUSTOM)
        combo.setCurrentText(default)
        return combo

    def _changed(self, *args: object) -> None:
        tiled = self.tiled.isChecked()
        self.scale.setEnabled(tiled)
        self.overlap.setEnabled(tiled)
        self.custom.setVisible(self.sheet.currentText() == CUSTOM)
        if tiled and self.sheet.currentText() == "A0" and not self._tile_default_set:
            self.sheet.setCurrentText("A4")  # tiles are office sheets, not a plotter roll
            self._tile_default_set = True
        self._timer.start()

    def request(self) -> PosterRequest:
        """The options as a PosterRequest; PosterError if one of them is wrong."""
        size = (
            self.custom.text().strip()
            if self.sheet.currentText() == CUSTOM
            else self.sheet.currentText()
        )
        if not size:
            raise PosterError("type a custom size such as 800x600mm, or pick one from the list")
        layers = [name for name, box in self.layer_boxes.items() if box.isChecked()]
        if not layers:
            raise PosterError("choose at least one layer to print")
        tiled = self.tiled.isChecked()
        return request_from_options(
            size=None if tiled else size,
            tile=size if tiled else None,
            orientation=self.orientation.currentData(),
            scale=f"{self.scale.value()}%" if tiled else None,
            overlap=f"{self.overlap.value():g}mm" if tiled else None,
            layers=",".join(layers) if len(layers) < len(self.layer_boxes) else None,
        )

    @Slot()
    def refresh(self) -> None:
        """Plan the poster for the current options and show the grid, or say what is wrong."""
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            self.prepared = prepare_poster(
                self.doc, self.request(), with_analysis=self.with_analysis.isChecked()
            )
        except PosterError as exc:
            self.prepared = None
            self.error.setText(in_dialog_words(str(exc)))
            self.summary.setText("")
            ok.setEnabled(False)
        else:
            plan = self.prepared.plan
            if plan.mode == "fit":
                text = (
                    f"1 sheet, {plan.paper.describe(plan.orientation)}; board at {plan.scale:.0%}."
                )
            else:
                w, h = plan.poster_size
                text = (
                    f"{len(plan.tiles)} sheets of {plan.paper.describe(plan.orientation)} "
                    f"({plan.rows} rows × {plan.cols} columns) and an assembly page; "
                    f"poster {w / MM / 1000:.2f} × {h / MM / 1000:.2f} m."
                )
            self.summary.setText(text)
            self.error.setText("\n".join(plan.warnings))
            ok.setEnabled(True)
        self.preview.show_poster(self.prepared)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export poster", self.path_edit.text(), "PDF (*.pdf)"
        )
        if path:
            self.path_edit.setText(path)

    @Slot()
    def start_export(self) -> None:
        """Write the PDF in a worker thread behind a cancellable progress dialog."""
        self._timer.stop()
        self.refresh()
        if self.prepared is None or self._thread is not None:
            return
        path = Path(self.path_edit.text().strip())
        if path.suffix.lower() != ".pdf":
            path = path.with_suffix(".pdf")
        self._cancel.clear()
        self.progress = QProgressDialog(
            "Writing the poster…", "Cancel", 0, self.prepared.plan.pages, self
        )
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(300)
        self.progress.canceled.connect(self._cancel.set)
        self._thread = QThread(self)
        self._worker = PosterWorker(self.prepared, path, self._cancel)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progressed.connect(self._on_progressed)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def _on_progressed(self, done: int, total: int) -> None:
        if self.progress is not None and not self._cancel.is_set():
            self.progress.setMaximum(total)
            self.progress.setValue(done)

    def _stop_thread(self) -> None:
        if self.progress is not None:
            self.progress.reset()
            self.progress = None
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
            self._thread = None
            self._worker = None

    def _on_finished(self, message: str) -> None:
        self._stop_thread()
        self.result_message = message
        self.accept()

    def _on_failed(self, message: str) -> None:
        self._stop_thread()
        self.error.setText(message)

    def reject(self) -> None:
        if self._thread is not None:
            self._cancel.set()
            return
        super().reject()
