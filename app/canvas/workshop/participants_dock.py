"""ParticipantsPanel: who is in the workshop (name, colour, role, online), follow someone,
and the facilitator's "Bring everyone to my view"."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.canvas.workshop.presence import participant_color


@dataclass(frozen=True)
class Person:
    """One row of the panel."""

    id: str
    name: str
    color: str
    role: str
    online: bool = True
    you: bool = False


def swatch(color: QColor, online: bool) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    c = QColor(color)
    if not online:
        c.setAlpha(90)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(c)
    painter.drawEllipse(1, 1, 12, 12)
    painter.end()
    return QIcon(pixmap)


class ParticipantsPanel(QWidget):
    """The participants list; clicking someone follows their view."""

    #: a participant id to follow, or "" to stop following
    follow_requested = Signal(str)
    #: the facilitator turned "everyone follows me" on or off
    present_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.people: list[Person] = []
        self.following = ""
        self.summary = QLabel("Not in a workshop.")
        self.summary.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("participants")
        self.list.itemClicked.connect(self._clicked)
        self.follow_hint = QLabel("Click someone to follow their view; click again to stop.")
        self.follow_hint.setWordWrap(True)
        self.follow_hint.setStyleSheet("color: #667085;")
        self.present = QPushButton("Bring everyone to my view")
        self.present.setCheckable(True)
        self.present.setToolTip("Everyone's board follows what you show, until you press again")
        self.present.toggled.connect(self.present_toggled)
        self.present.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.follow_hint)
        layout.addWidget(self.present)

    def set_people(self, people: list[Person], *, summary: str = "") -> None:
        self.people = people
        self.list.clear()
        for person in people:
            role = person.role or "joining"
            status = "online" if person.online else "offline"
            text = f"{person.name or 'Someone'}{' (you)' if person.you else ''}"
            text += f"  \u00b7 {role} \u00b7 {status}"
            if person.id and person.id == self.following:
                text += "  \u00b7 following"
            item = QListWidgetItem(
                swatch(participant_color(person.color, person.id), person.online), text
            )
            item.setData(Qt.ItemDataRole.UserRole, person.id)
            if not person.online:
                item.setForeground(QColor("#98A2B3"))
            if person.you or not person.online:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.list.addItem(item)
        self.summary.setText(summary)

    def set_facilitator(self, on: bool) -> None:
        self.present.setVisible(on)

    def set_following(self, participant: str) -> None:
        self.following = participant
        self.set_people(self.people, summary=self.summary.text())

    def _clicked(self, item: QListWidgetItem) -> None:
        pid = str(item.data(Qt.ItemDataRole.UserRole) or "")
        person = next((p for p in self.people if p.id == pid), None)
        if person is None or person.you or not person.online:
            return
        self.follow_requested.emit("" if pid == self.following else pid)

    def row_texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]
