"""File ▸ Export Poster…: options, page-grid preview, export in a worker, cancel."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
from PySide6.QtWidgets import QDialogButtonBox

from app.canvas.dialogs.poster_dialog import CUSTOM, PosterDialog
from app.model.document import Document
from app.model.templates import create_from_template


@pytest.fixture
def doc(tmp_path: Path) -> Document:
    d = create_from_template(tmp_path / "saas.cld", "b2b-saas")
    yield d
    d.close()


def test_preview_follows_the_options(qtbot, doc: Document, tmp_path: Path) -> None:
    """One sheet by default; choosing tiles shows a grid of A4 sheets and the sheet count."""
    dialog = PosterDialog(doc, tmp_path / "poster.pdf")
    qtbot.addWidget(dialog)
    assert dialog.prepared is not None and dialog.prepared.plan.mode == "fit"
    assert "1 sheet, A0" in dialog.summary.text()
    dialog.tiled.setChecked(True)
    qtbot.waitUntil(lambda: dialog.prepared is not None and dialog.prepared.plan.mode == "tile")
    plan = dialog.prepared.plan
    assert dialog.sheet.currentText() == "A4"
    assert f"{len(plan.tiles)} sheets of A4" in dialog.summary.text()
    assert dialog.preview.prepared is dialog.prepared
    dialog.preview.resize(400, 300)
    dialog.preview.grab()  # paints the grid without error


def test_bad_options_disable_export(qtbot, doc: Document, tmp_path: Path) -> None:
    """An unknown custom size is explained and Export is disabled until it is fixed."""
    dialog = PosterDialog(doc, tmp_path / "poster.pdf")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.sheet.setCurrentText(CUSTOM)
    dialog.custom.setText("huge")
    qtbot.waitUntil(lambda: "unknown paper size" in dialog.error.text())
    assert not ok.isEnabled()
    dialog.custom.setText("800x600mm")
    qtbot.waitUntil(ok.isEnabled)
    assert "landscape" in dialog.summary.text()


def test_export_runs_in_a_worker_and_writes_the_pdf(qtbot, doc: Document, tmp_path: Path) -> None:
    """Export writes the tiled PDF from a worker thread and closes with a message."""
    out = tmp_path / "tiles.pdf"
    dialog = PosterDialog(doc, out)
    qtbot.addWidget(dialog)
    dialog.tiled.setChecked(True)
    dialog.refresh()
    pages = dialog.prepared.plan.pages
    with qtbot.waitSignal(dialog.accepted, timeout=20000):
        dialog.start_export()
    assert "sheets of A4" in dialog.result_message
    assert len(pypdf.PdfReader(out).pages) == pages


def test_cancel_stops_the_export_and_leaves_no_file(qtbot, doc: Document, tmp_path: Path) -> None:
    """Cancelling the progress dialog stops the worker; no PDF is left and the dialog stays open."""
    out = tmp_path / "cancelled.pdf"
    dialog = PosterDialog(doc, out)
    qtbot.addWidget(dialog)
    dialog.tiled.setChecked(True)
    dialog.refresh()
    dialog.start_export()
    assert dialog.busy and dialog.progress is not None
    dialog.progress.canceled.emit()  # what its Cancel button does
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20000)
    assert "cancelled" in dialog.error.text()
    assert not out.exists()
    assert dialog.result() == 0


def test_the_dialog_adds_the_findings_and_speaks_its_own_words(
    qtbot, doc: Document, tmp_path: Path
) -> None:
    """Ticking the analysis adds findings pages; a scale needing too many sheets is told
    with the dialog's field names, not command-line flags."""
    out = tmp_path / "poster.pdf"
    dialog = PosterDialog(doc, out)
    qtbot.addWidget(dialog)
    dialog.with_analysis.setChecked(True)
    dialog.refresh()
    with qtbot.waitSignal(dialog.accepted, timeout=20000):
        dialog.start_export()
    assert "of analysis findings" in dialog.result_message
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(out).pages[1:])
    assert "Critical path" in text and "Hand-offs (20)" in text
    again = PosterDialog(doc, tmp_path / "tiles.pdf")
    qtbot.addWidget(again)
    again.tiled.setChecked(True)
    again.sheet.setCurrentText(CUSTOM)
    again.custom.setText("100x100mm")
    again.scale.setValue(400)
    qtbot.waitUntil(lambda: "sheets" in again.error.text(), timeout=3000)
    assert "--" not in again.error.text()
