"""New from template: pick a starting board, a name and where to keep the file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

TEMPLATE_LABELS = {
    "b2b-saas": "B2B SaaS lifecycle (acquire to renew, all layers)",
    "onboarding": "Onboarding blueprint",
    "empty": "Empty board",
}


class NewFromTemplateDialog(QDialog):
    """Asks for a template, a design name and a file; ``result_path`` is None on cancel."""

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New design from template")
        self.result_path: Path | None = None
        self.template = "b2b-saas"
        self.design_name = ""
        self.folder = folder
        form = QFormLayout(self)
        self.combo = QComboBox()
        try:
            from app.model.templates import TEMPLATES

            names = list(TEMPLATES)
        except ImportError:
            names = list(TEMPLATE_LABELS)
        for name in names:
            self.combo.addItem(TEMPLATE_LABELS.get(name, name), name)
        form.addRow("Template", self.combo)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Name shown on the board")
        form.addRow("Name", self.name_edit)
        row = QHBoxLayout()
        self.path_edit = QLineEdit(str(folder / "New design.cld"))
        browse = QPushButton("Browse\u2026")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "New design file", self.path_edit.text(), "CLD designs (*.cld)"
        )
        if path:
            self.path_edit.setText(path)

    def _accept(self) -> None:
        path = Path(self.path_edit.text().strip())
        if path.suffix.lower() != ".cld":
            path = path.with_suffix(".cld")
        if path.exists():
            self.error.setText(f"{path.name} already exists: choose another file name.")
            return
        self.result_path = path
        self.template = self.combo.currentData()
        self.design_name = self.name_edit.text().strip()
        self.accept()
