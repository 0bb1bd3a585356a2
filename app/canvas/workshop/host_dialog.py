"""HostDialog: the join links of a hosted workshop (editor and viewer), each with Copy."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class HostDialog(QDialog):
    """Shows where participants join; not modal, so the facilitator keeps working."""

    stop_requested = Signal()

    def __init__(
        self, links: dict[str, str], address: str, design: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Workshop hosted")
        self.links = links
        self.fields: dict[str, QLineEdit] = {}
        intro = QLabel(
            f"<b>{design}</b> is open for the workshop at <b>{address}</b>.<br>"
            "Send the editor link to participants who change the board and the viewer "
            "link to those who only watch. They choose File \u203a Join Workshop\u2026 and "
            "paste it. Anyone with a link can join while you host: share it only with the room."
        )
        intro.setWordWrap(True)
        grid = QGridLayout()
        for row, (role, label) in enumerate((("editor", "Editors"), ("viewer", "Viewers"))):
            field = QLineEdit(links[role])
            field.setReadOnly(True)
            field.setCursorPosition(0)
            field.setMinimumWidth(460)
            copy = QPushButton("Copy")
            copy.setObjectName(f"copy_{role}")
            copy.clicked.connect(lambda _=False, r=role: self.copy(r))
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(field, row, 1)
            grid.addWidget(copy, row, 2)
            self.fields[role] = field
        self.copied = QLabel("")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        stop = buttons.addButton("Stop Hosting", QDialogButtonBox.ButtonRole.DestructiveRole)
        stop.clicked.connect(self._stop)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.copied)
        layout.addWidget(buttons)

    def copy(self, role: str) -> None:
        QApplication.clipboard().setText(self.links[role])
        self.copied.setText(f"The {role} link is on the clipboard.")

    def _stop(self) -> None:
        self.close()
        self.stop_requested.emit()
