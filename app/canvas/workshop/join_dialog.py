"""JoinDialog: a join link, your name and your colour."""

from __future__ import annotations

from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.canvas.workshop.network import JoinLink, parse_link
from app.canvas.workshop.presence import PALETTE

COLOR_NAMES = ("Red", "Blue", "Green", "Orange", "Purple", "Teal", "Pink", "Olive")


class JoinDialog(QDialog):
    """Asks for the link, name and colour; ``link`` is the parsed link after accept."""

    def __init__(self, name: str = "", color: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Join Workshop")
        self.link: JoinLink | None = None
        self.link_edit = QLineEdit()
        self.link_edit.setPlaceholderText("ws://192.168.1.20:8765/rooms/\u2026?token=\u2026")
        self.link_edit.setMinimumWidth(440)
        clip = QApplication.clipboard().text().strip()
        if clip.startswith(("ws://", "wss://")):
            self.link_edit.setText(clip)
        self.name_edit = QLineEdit(name)
        self.name_edit.setPlaceholderText("How the others see you")
        self.color_combo = QComboBox()
        for hex_color, label in zip(PALETTE, COLOR_NAMES, strict=True):
            pixmap = QPixmap(14, 14)
            pixmap.fill(QColor(hex_color))
            self.color_combo.addItem(QIcon(pixmap), label, hex_color)
        if color in PALETTE:
            self.color_combo.setCurrentIndex(PALETTE.index(color))
        self.error = QLabel("")
        self.error.setStyleSheet("color: #C92A2A;")
        self.error.setWordWrap(True)
        note = QLabel(
            "Your edits go into a copy of the board on this computer, so you can keep "
            "working if the connection drops; they are sent when it comes back."
        )
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Join link", self.link_edit)
        form.addRow("Your name", self.name_edit)
        form.addRow("Your colour", self.color_combo)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Join")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(note)
        layout.addWidget(buttons)

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    @property
    def color(self) -> str:
        return str(self.color_combo.currentData())

    def accept(self) -> None:
        try:
            self.link = parse_link(self.link_edit.text())
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        if not self.name:
            self.error.setText("Type your name: it is shown next to your cursor.")
            return
        super().accept()
