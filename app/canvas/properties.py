"""The properties panel: every field of the selected card, lane, stage or link, editable,
with the model's validation message shown under a field that refuses a value."""

from __future__ import annotations

import contextlib
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.canvas.interactions import BoardEditor
from app.model.document import DocumentEvent
from app.model.labels import label as value_label
from app.model.schema import (
    LANE_KINDS_BY_LAYER,
    CardKind,
    InvalidValue,
    Layer,
    LinkKind,
    Phase,
    validate_field,
)

#: field -> (label, editor kind, choices)
FIELDS: dict[str, list[tuple[str, str, str, tuple[str, ...]]]] = {
    "card": [
        ("title", "Title", "line", ()),
        ("notes", "Notes", "text", ()),
        ("kind", "Kind", "combo", tuple(k.value for k in CardKind)),
        ("channel", "Channel", "line", ()),
        ("sentiment", "Sentiment", "combo", ("", "2", "1", "0", "-1", "-2")),
        ("owner", "Owner", "line", ()),
        ("duration_hours", "Duration (hours)", "number", ()),
        ("cost", "Cost", "number", ()),
        ("tags", "Tags", "tags", ()),
        ("color", "Colour", "line", ()),
    ],
    "lane": [
        ("name", "Name", "line", ()),
        ("kind", "Kind", "combo", ()),
        ("team", "Team", "line", ()),
    ],
    "stage": [
        ("name", "Name", "line", ()),
        ("phase", "Phase", "combo", tuple(p.value for p in Phase)),
        ("description", "Description", "text", ()),
    ],
    "link": [
        ("kind", "Kind", "combo", tuple(k.value for k in LinkKind)),
        ("label", "Label", "line", ()),
    ],
}


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "tags":
        return ", ".join(value)
    if kind == "number":
        return f"{value:g}"
    return str(value)


def _parsed(text: str, kind: str, field: str) -> Any:
    """The value a field's text stands for; bad numbers go through as text so the model's
    validation names the problem."""
    text = text.strip() if kind != "text" else text
    if kind == "number" or field == "sentiment":
        if text == "":
            return None
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if field == "sentiment" and number.is_integer() else number
    if kind == "tags":
        return [t.strip() for t in text.split(",") if t.strip()]
    return text


class _TextEdit(QPlainTextEdit):
    """A multi-line field that commits when it loses focus."""

    def __init__(self, on_done: Any) -> None:
        super().__init__()
        self._on_done = on_done

    def focusOutEvent(self, event: Any) -> None:
        super().focusOutEvent(event)
        self._on_done()


class PropertiesPanel(QScrollArea):
    """Edits the selected entity's fields through undo commands."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.editor: BoardEditor | None = None
        self.target: tuple[str, str] | None = None
        self._editors: dict[str, tuple[QWidget, QLabel, str]] = {}
        self._loading = False
        self._show_empty("Select a card, link, stage or lane to see its properties.")

    def set_editor(self, editor: BoardEditor | None) -> None:
        if self.editor is not None:
            self.editor.doc.unsubscribe(self._on_document_changed)
            with contextlib.suppress(RuntimeError, TypeError):
                self.editor.scene.selectionChanged.disconnect(self._on_selection)
        self.editor = editor
        self.target = None
        if editor is not None:
            editor.doc.subscribe(self._on_document_changed)
            editor.scene.selectionChanged.connect(self._on_selection)
        self._on_selection()

    def _show_empty(self, text: str) -> None:
        box = QWidget()
        layout = QVBoxLayout(box)
        label = QLabel(text)
        label.setWordWrap(True)
        label.setObjectName("hint")
        layout.addWidget(label)
        layout.addStretch(1)
        self.setWidget(box)
        self._editors = {}

    def _on_selection(self) -> None:
        if self.editor is None:
            self._show_empty("No design is open.")
            return
        selected = self.editor.scene.selectedItems()
        items = [i for i in selected if getattr(i, "entity_type", "")]
        if len(items) != 1:
            self.target = None
            text = (
                f"{len(items)} items selected."
                if items
                else ("Select a card, link, stage or lane to see its properties.")
            )
            self._show_empty(text)
            return
        item = items[0]
        target = (item.entity_type, item.id)  # type: ignore[attr-defined]
        if target == self.target and self._editors:
            self._load()  # the same thing still selected: keep the form and its focus
            return
        self.show_entity(*target)

    def show_entity(self, entity_type: str, entity_id: str) -> None:
        """Build the form for one entity."""
        assert self.editor is not None
        entity = self.editor.doc.get(entity_type, entity_id)
        if entity is None or entity_type not in FIELDS:
            self._show_empty("Nothing to show.")
            return
        self.target = (entity_type, entity_id)
        box = QWidget()
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.setVerticalSpacing(6)
        title = QLabel(entity_type.capitalize())
        title.setObjectName("panelTitle")
        form.addRow(title)
        self._editors = {}
        for field, label, kind, choices in FIELDS[entity_type]:
            if entity_type == "lane" and field == "kind":
                choices = tuple(k.value for k in LANE_KINDS_BY_LAYER[Layer(entity.layer)])  # type: ignore[attr-defined]
            widget = self._make_editor(entity_type, field, kind, choices)
            error = QLabel()
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.hide()
            holder = QWidget()
            col = QVBoxLayout(holder)
            col.setContentsMargins(0, 0, 0, 0)
            col.setSpacing(2)
            col.addWidget(widget)
            col.addWidget(error)
            form.addRow(label, holder)
            self._editors[field] = (widget, error, kind)
        if entity_type in ("card", "stage"):
            self._add_measurements(form, entity_id)
        self.setWidget(box)
        self._load()

    def _add_measurements(self, form: QFormLayout, target: str) -> None:
        """Each measured metric of the card or stage: its latest value and its trend."""
        from app.canvas.analysis_dock import MetricTrendWidget
        from app.model.metrics import metric_names, trend, visible_metrics

        assert self.editor is not None
        mine = [m for m in visible_metrics(self.editor.doc) if m.target == target]
        if not mine:
            return
        heading = QLabel("Measurements")
        heading.setObjectName("panelTitle")
        form.addRow(heading)
        for name in metric_names(mine):
            points = trend(mine, target, name)
            last = points[-1]
            caption = QLabel(f"{name}: {last.value:g} on {last.date} ({len(points)} measured)")
            caption.setWordWrap(True)
            chart = MetricTrendWidget()
            chart.setObjectName(f"trend:{name}")
            chart.set_points(points)
            form.addRow(caption)
            form.addRow(chart)

    def _make_editor(
        self, entity_type: str, field: str, kind: str, choices: tuple[str, ...]
    ) -> QWidget:
        if kind == "combo":
            combo = QComboBox()
            for c in choices:
                combo.addItem(value_label(entity_type, field, c), c)
            combo.activated.connect(lambda _i, f=field: self._commit(f))
            return combo
        if kind == "text":
            text = _TextEdit(lambda f=field: self._commit(f))
            text.setFixedHeight(90)
            return text
        line = QLineEdit()
        line.editingFinished.connect(lambda f=field: self._commit(f))
        return line

    def _load(self) -> None:
        if self.editor is None or self.target is None:
            return
        entity = self.editor.doc.get(*self.target)
        if entity is None:
            return
        self._loading = True
        try:
            for field, (widget, error, kind) in self._editors.items():
                if widget.hasFocus():
                    continue
                value = getattr(entity, field)
                shown = _shown(value, kind)
                if isinstance(widget, QComboBox):
                    widget.setCurrentIndex(max(0, widget.findData(shown)))
                elif isinstance(widget, QPlainTextEdit):
                    if widget.toPlainText() != shown:
                        widget.setPlainText(shown)
                elif isinstance(widget, QLineEdit):
                    widget.setText(shown)
                    widget.setCursorPosition(0)  # a long title shows its beginning
                error.hide()
        finally:
            self._loading = False

    def _commit(self, field: str) -> None:
        if (
            self._loading
            or self.editor is None
            or self.target is None
            or field not in self._editors
        ):
            return
        widget, error, kind = self._editors[field]
        if isinstance(widget, QComboBox):
            text = widget.currentData() or ""
        elif isinstance(widget, QPlainTextEdit):
            text = widget.toPlainText()
        else:
            text = widget.text()  # type: ignore[attr-defined]
        value = _parsed(text, kind, field)
        etype, eid = self.target
        if field == "name" and etype in ("stage", "lane") and not str(value).strip():
            # as the inline rename: a nameless column or lane is unreadable on the board
            error.setText(f"a {etype} needs a name")
            error.show()
            return
        try:
            value = validate_field(etype, eid, field, value)
        except InvalidValue as exc:
            error.setText(exc.rule)
            error.show()
            return
        error.hide()
        if self.editor.doc.get(etype, eid) is not None:
            # may rebuild this form (the selection can change), so nothing of it is used after
            self.editor.update(etype, eid, f"Edit {field.replace('_', ' ')}", **{field: value})

    def field_error(self, field: str) -> str:
        """The validation message shown under a field ('' when none)."""
        widget, error, _kind = self._editors[field]
        return error.text() if error.isVisibleTo(self) else ""

    def field_widget(self, field: str) -> QWidget:
        return self._editors[field][0]

    def _on_document_changed(self, event: DocumentEvent) -> None:
        if self.target is None:
            return
        etype, eid = self.target
        if event.ids("metric") and etype in ("card", "stage"):
            self.show_entity(etype, eid)  # measurements arrived: rebuild the charts
            return
        if eid in event.ids(etype):
            if self.editor is not None and not self.editor.doc.is_visible(etype, eid):
                self._show_empty("The selected item was deleted.")
                self.target = None
                return
            self._load()
