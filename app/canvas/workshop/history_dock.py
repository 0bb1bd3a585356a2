"""HistoryPanel: recent changes by author, and the values that lost a concurrent write.

Each lost value can be restored (``doc.resolve(conflict, restore=True)``) or dismissed. The
lists are rebuilt a moment after Document events, not on each one: a burst of remote edits
costs one refresh.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.model.changes import Change
from app.model.clock import parse_stamp
from app.model.document import Conflict, Document, DocumentEvent

#: changes listed at most
RECENT = 80


def _short(value: object, limit: int = 40) -> str:
    text = "(empty)" if value in (None, "", []) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def entity_label(doc: Document, entity_type: str, entity_id: str) -> str:
    entity = doc.get(entity_type, entity_id)
    name = getattr(entity, "title", "") or getattr(entity, "name", "") if entity else ""
    return f"{entity_type} \u201c{_short(name, 30)}\u201d" if name else entity_type


def describe(doc: Document, change: Change) -> str:
    """One line saying what a change did, in the user's words."""
    by_entity: dict[tuple[str, str], list[str]] = {}
    for w in change.writes:
        by_entity.setdefault((w.entity_type, w.entity_id), []).append(w.field)
    parts = []
    for (etype, eid), fields in list(by_entity.items())[:3]:
        values = {w.field: w.value for w in change.writes if w.entity_id == eid}
        label = entity_label(doc, etype, eid)
        if etype == "vote":
            parts.append("took back a vote" if values.get("deleted") else "voted")
        elif etype == "facilitation":
            parts.append("changed the voting round or timer")
        elif values.get("deleted") is True:
            parts.append(f"deleted {label}")
        elif values.get("deleted") is False and len(fields) > 3:
            parts.append(f"added {label}")
        else:
            parts.append(f"edited {label} ({', '.join(fields[:3])})")
    if len(by_entity) > 3:
        parts.append(f"and {len(by_entity) - 3} more")
    return "; ".join(parts)


def when(stamp: str) -> str:
    try:
        wall, _counter, _replica = parse_stamp(stamp)
    except ValueError:
        return ""
    return dt.datetime.fromtimestamp(wall / 1000).strftime("%H:%M:%S")


class HistoryPanel(QWidget):
    """Recent changes and lost values of the open design."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self.conflict_items: list[Conflict] = []
        self.tabs = QTabWidget()
        self.changes_list = QListWidget()
        self.tabs.addTab(self.changes_list, "Recent changes")
        conflicts = QWidget()
        self.conflicts_list = QListWidget()
        self.conflicts_list.currentRowChanged.connect(self._current_changed)
        self.restore_button = QPushButton("Restore")
        self.restore_button.setToolTip("Put this value back in place of the current one")
        self.dismiss_button = QPushButton("Keep current")
        self.restore_button.clicked.connect(lambda: self.resolve(restore=True))
        self.dismiss_button.clicked.connect(lambda: self.resolve(restore=False))
        self.conflicts_hint = QLabel(
            "Values that lost to someone else's edit at the same moment. Nothing is thrown away."
        )
        self.conflicts_hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.dismiss_button)
        c = QVBoxLayout(conflicts)
        c.setContentsMargins(0, 4, 0, 0)
        c.addWidget(self.conflicts_hint)
        c.addWidget(self.conflicts_list, 1)
        c.addLayout(buttons)
        self.tabs.addTab(conflicts, "Conflicts")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.tabs)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.refresh)
        self._current_changed(-1)

    def attach(self, doc: Document) -> None:
        self.detach()
        self.doc = doc
        doc.subscribe(self._on_document)
        self.refresh()

    def detach(self) -> None:
        if self.doc is not None:
            self.doc.unsubscribe(self._on_document)
        self.doc = None
        self._timer.stop()
        self.changes_list.clear()
        self.conflicts_list.clear()
        self.conflict_items = []

    def _on_document(self, _event: DocumentEvent) -> None:
        if self.isVisible():
            self._timer.start()

    def showEvent(self, event: object) -> None:  # noqa: D102
        super().showEvent(event)  # type: ignore[arg-type]
        self.refresh()

    def refresh(self) -> None:
        doc = self.doc
        if doc is None:
            return
        store = doc.store
        recent = list(store.changes(after_seq=max(0, store.change_count() - RECENT)))
        self.changes_list.clear()
        for _seq, change in reversed(recent):
            self.changes_list.addItem(
                f"{when(change.stamp)}  {change.author or 'someone'}: {describe(doc, change)}"
            )
        row = self.conflicts_list.currentRow()
        self.conflict_items = doc.conflicts()
        self.conflicts_list.clear()
        for c in self.conflict_items:
            self.conflicts_list.addItem(
                f"{entity_label(doc, c.entity_type, c.entity_id)} {c.field}: "
                f"{c.author or 'someone'}'s \u201c{_short(c.value)}\u201d lost to "
                f"\u201c{_short(c.current)}\u201d"
            )
        self.tabs.setTabText(1, f"Conflicts ({len(self.conflict_items)})")
        if self.conflict_items:
            self.conflicts_list.setCurrentRow(min(max(row, 0), len(self.conflict_items) - 1))
        self._current_changed(self.conflicts_list.currentRow())

    def _current_changed(self, row: int) -> None:
        ok = 0 <= row < len(self.conflict_items)
        self.restore_button.setEnabled(ok)
        self.dismiss_button.setEnabled(ok)

    def resolve(self, *, restore: bool) -> None:
        row = self.conflicts_list.currentRow()
        if self.doc is None or not 0 <= row < len(self.conflict_items):
            return
        self.doc.resolve(self.conflict_items[row], restore=restore)
        self.refresh()
