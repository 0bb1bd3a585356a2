"""MainWindow: menus, toolbar, status bar and docks around one open design."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QSize, QStandardPaths, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QContextMenuEvent,
    QGuiApplication,
    QIcon,
    QKeySequence,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QWidget,
)

from app.canvas import theme
from app.canvas.analysis_dock import AnalysisPanel
from app.canvas.board_menu import board_menu
from app.canvas.dialogs.template import NewFromTemplateDialog
from app.canvas.interactions import BoardEditor
from app.canvas.properties import PropertiesPanel
from app.canvas.scene import BoardScene
from app.canvas.view import BoardView, MinimapWidget
from app.canvas.workshop.controller import WorkshopController
from app.model.document import Document
from app.model.labels import KIND_LABELS, LAYER_NAMES
from app.model.schema import LANE_KINDS_BY_LAYER, Layer
from app.model.store import DesignFileError

ORG, APP = "CLD", "CLD Desktop"
MAX_RECENT = 8
SAMPLE_NAME = "Sample - B2B SaaS lifecycle.cld"


def icon(name: str) -> QIcon:
    path = theme.resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


class MainWindow(QMainWindow):
    """One window showing one design."""

    def __init__(self, *, doc: Document | None = None, remember: bool = True) -> None:
        super().__init__()
        self.remember = remember
        self.settings = QSettings(ORG, APP)
        self.doc: Document | None = None
        self.scene: BoardScene | None = None
        self.editor: BoardEditor | None = None
        self.undo_stack = QUndoStack(self)
        self.setWindowTitle(APP)
        self.setWindowIcon(icon("app"))
        self.view: BoardView | None = None
        self._placeholder = QLabel("Open a design (File \u203a Open) or make one from a template.")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self._placeholder)
        self.properties = PropertiesPanel()
        self.properties_dock = QDockWidget("Properties", self)
        self.properties_dock.setObjectName("properties")
        self.properties_dock.setWidget(self.properties)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.properties_dock)
        self.minimap_dock = QDockWidget("Minimap", self)
        self.minimap_dock.setObjectName("minimap")
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.minimap_dock)
        self.properties_dock.setMinimumWidth(300)
        self.analysis = AnalysisPanel()
        self.analysis_dock = QDockWidget("Analysis", self)
        self.analysis_dock.setObjectName("analysis")
        self.analysis_dock.setWidget(self.analysis)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.analysis_dock)
        # properties and analysis share the tall place; the minimap stays in sight below
        self.tabifyDockWidget(self.properties_dock, self.analysis_dock)
        self.resizeDocks(
            [self.properties_dock, self.minimap_dock], [700, 200], Qt.Orientation.Vertical
        )
        self.minimap: MinimapWidget | None = None
        self.read_only = False
        self.workshop = WorkshopController(self)
        self.participants_dock = self._dock(
            "Participants", "participants", self.workshop.participants_panel
        )
        self.facilitation_dock = self._dock(
            "Voting", "facilitation", self.workshop.facilitation_panel
        )
        self.tabifyDockWidget(self.properties_dock, self.participants_dock)
        self.tabifyDockWidget(self.participants_dock, self.facilitation_dock)
        self.history_dock = self._dock("History", "history", self.workshop.history_panel)
        self.tabifyDockWidget(self.facilitation_dock, self.history_dock)
        for dock in (self.participants_dock, self.facilitation_dock, self.history_dock):
            dock.hide()
        self.properties_dock.raise_()
        self.workshop.active_changed.connect(self._workshop_toggled)
        self.find_box = QLineEdit()
        self.find_box.setPlaceholderText("Find in titles and notes  (Ctrl+F)")
        self.find_box.setClearButtonEnabled(True)
        self.find_box.setMaximumWidth(280)
        self.find_box.returnPressed.connect(self.find_next)
        self.find_box.textChanged.connect(self._find_changed)
        self._matches: list[str] = []
        self._match_index = -1
        self._make_actions()
        self._make_menus()
        self._make_status()
        if remember:
            geometry = self.settings.value("geometry")
            if isinstance(geometry, QByteArray):
                self.restoreGeometry(geometry)
            state = self.settings.value("window_state")
            if isinstance(state, QByteArray):
                self.restoreState(state)
        else:
            self.resize(1440, 900)
        if doc is not None:
            self.set_document(doc)
        self._update_actions()

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    # -- actions ------------------------------------------------------------------------

    def _action(
        self, text: str, slot: object, shortcut: object = None, icon_name: str = "", tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))  # type: ignore[call-overload]
        if icon_name:
            action.setIcon(icon(icon_name))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)  # type: ignore[arg-type]
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.act_new = self._action(
            "&New from Template\u2026", self.new_from_template, K.New, "new"
        )
        self.act_open = self._action("&Open\u2026", self.open_dialog, K.Open, "open")
        self.act_save_as = self._action("Save &As\u2026", self.save_as, K.SaveAs, "save")
        self.act_quit = self._action("&Quit", self.close)
        _shortcuts(self.act_quit, K.Quit, "Ctrl+Q")  # Windows has no standard Quit key
        self.act_undo = self.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(K.Undo)
        self.act_undo.setIcon(icon("undo"))
        self.act_redo = self.undo_stack.createRedoAction(self, "&Redo")
        _shortcuts(self.act_redo, K.Redo, "Ctrl+Shift+Z", "Ctrl+Y")
        self.act_redo.setIcon(icon("redo"))
        self.act_cut = self._action("Cu&t", lambda: self._ed("cut_selection"), K.Cut)
        self.act_copy = self._action("&Copy", lambda: self._ed("copy_selection"), K.Copy)
        self.act_paste = self._action("&Paste", lambda: self._ed("paste"), K.Paste)
        self.act_delete = self._action(
            "&Delete", lambda: self._ed("delete_selection"), K.Delete, "delete"
        )
        self.act_select_all = self._action(
            "Select &All", lambda: self._ed("select_all"), K.SelectAll
        )
        self.act_find = self._action("&Find\u2026", self.focus_find, K.Find, "find")
        self.act_add_card = self._action(
            "Add &Card", self.add_card, "N", "card", "Add a card to the last cell you clicked"
        )
        self.act_add_stage = self._action("Add &Stage", self.add_stage, None, "stage")
        self.act_vote = self._action("&Vote on Card", self.vote, "V")
        self.act_host = self._action(
            "&Host Workshop\u2026",
            lambda: self.workshop.host_dialog(),
            None,
            "",
            "Share the open design with the room: participants join with a link",
        )
        self.act_join = self._action(
            "&Join Workshop\u2026", lambda: self.workshop.join_dialog(), None, "", ""
        )
        self.act_leave = self._action("&Leave Workshop", lambda: self.workshop.leave())
        self.act_zoom_in = self._action(
            "Zoom &In", lambda: self._view_call("zoom_in"), None, "zoom-in"
        )
        _shortcuts(self.act_zoom_in, K.ZoomIn, "Ctrl+=")  # Ctrl++ needs Shift on most layouts
        self.act_zoom_out = self._action(
            "Zoom &Out", lambda: self._view_call("zoom_out"), K.ZoomOut, "zoom-out"
        )
        self.act_fit = self._action("&Fit Board", lambda: self._view_call("fit"), "Ctrl+0", "fit")
        self.act_actual = self._action("&100 %", lambda: self._view_call("zoom_actual"), "Ctrl+1")
        self.layer_actions: dict[str, QAction] = {}
        for layer, label in (
            (Layer.JOURNEY, "Customer &Journey"),
            (Layer.BLUEPRINT, "Service &Blueprint"),
            (Layer.PROCESS, "Internal &Process"),
        ):
            action = QAction(label, self, checkable=True, checked=True)
            action.toggled.connect(self._layers_toggled)
            self.layer_actions[layer.value] = action

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.act_new, self.act_open])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addAction(self.act_save_as)
        export_menu = file_menu.addMenu("&Export")
        for suffix, label in (
            (".json", "JSON\u2026"),
            (".csv", "CSV (cards)\u2026"),
            (".png", "PNG picture\u2026"),
            (".svg", "SVG picture\u2026"),
        ):
            export_menu.addAction(label, partial(self.export, suffix))
        export_menu.addAction("PDF poster\u2026", self.export_poster)
        file_menu.addSeparator()
        file_menu.addActions([self.act_host, self.act_join, self.act_leave])
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addActions(
            [self.act_cut, self.act_copy, self.act_paste, self.act_delete, self.act_select_all]
        )
        edit.addSeparator()
        edit.addActions([self.act_find, self.act_add_card, self.act_add_stage, self.act_vote])
        lane_menu = self.lane_menu = edit.addMenu("Add &Lane")
        for layer in Layer:
            for kind in LANE_KINDS_BY_LAYER[layer]:
                lane_menu.addAction(
                    f"{LAYER_NAMES[layer.value]}: {KIND_LABELS[kind.value]}",
                    partial(self.add_lane, kind.value),
                )
        view = bar.addMenu("&View")
        view.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit, self.act_actual])
        view.addSeparator()
        for action in self.layer_actions.values():
            view.addAction(action)
        view.addSeparator()
        minimap_toggle = self.minimap_dock.toggleViewAction()
        minimap_toggle.setText("&Minimap")
        props_toggle = self.properties_dock.toggleViewAction()
        props_toggle.setText("P&roperties")
        analysis_toggle = self.analysis_dock.toggleViewAction()
        analysis_toggle.setText("&Analysis")
        view.addActions([minimap_toggle, props_toggle, analysis_toggle])
        for dock, text in (
            (self.participants_dock, "Pa&rticipants"),
            (self.facilitation_dock, "&Voting and Timer"),
            (self.history_dock, "&History and Conflicts"),
        ):
            toggle = dock.toggleViewAction()
            toggle.setText(text)
            view.addAction(toggle)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&About CLD Desktop", self.about)
        tools = self.addToolBar("Main")
        tools.setObjectName("main_toolbar")
        tools.setMovable(False)
        tools.setIconSize(QSize(20, 20))
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tools.addActions([self.act_new, self.act_open])
        tools.addSeparator()
        tools.addActions([self.act_undo, self.act_redo])
        tools.addSeparator()
        tools.addActions([self.act_add_card, self.act_add_stage, self.act_delete])
        tools.addSeparator()
        tools.addActions([self.act_zoom_out, self.act_zoom_in, self.act_fit])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        tools.addWidget(spacer)
        tools.addWidget(self.find_box)

    def _make_status(self) -> None:
        self.status_file = QLabel()
        self.status_selection = QLabel()
        self.status_zoom = QLabel("100 %")
        self.status_workshop = QLabel()
        self.status_workshop.setObjectName("workshop_status")
        self.workshop.status_changed.connect(self.status_workshop.setText)
        bar = self.statusBar()
        bar.addWidget(self.status_file, 1)
        bar.addPermanentWidget(self.status_workshop)
        bar.addPermanentWidget(self.status_selection)
        bar.addPermanentWidget(self.status_zoom)

    def _view_call(self, method: str) -> None:
        if self.view is not None:
            getattr(self.view, method)()

    def _ed(self, method: str) -> None:
        if self.editor is not None and (self.editor.inline is None):
            getattr(self.editor, method)()

    def _update_actions(self) -> None:
        has = self.editor is not None
        for action in (
            self.act_save_as,
            self.act_copy,
            self.act_select_all,
            self.act_find,
            self.act_zoom_in,
            self.act_zoom_out,
            self.act_fit,
            self.act_actual,
        ):
            action.setEnabled(has)
        for action in self.edit_actions():
            action.setEnabled(has and not self.read_only)
        active = self.workshop.active
        self.act_host.setEnabled(has and not active)
        self.act_join.setEnabled(not active)
        self.act_leave.setEnabled(active)
        self.act_leave.setText("&Stop Hosting" if self.workshop.hosting else "&Leave Workshop")

    def edit_actions(self) -> list[QAction]:
        """The actions that change the board (off for a workshop viewer)."""
        return [
            self.act_cut,
            self.act_paste,
            self.act_delete,
            self.act_add_card,
            self.act_add_stage,
            self.act_vote,
            self.act_undo,
            self.act_redo,
            *self.lane_menu.actions(),
        ]

    def set_read_only(self, on: bool) -> None:
        """A workshop viewer's window: look, select, follow; no edits, gestures or undo."""
        self.read_only = on
        if self.editor is not None:
            self.editor.read_only = on
        if on:
            self.undo_stack.clear()
        self.undo_stack.setActive(not on)
        self.properties.setEnabled(not on)
        self._update_actions()

    def _workshop_toggled(self, active: bool) -> None:
        if active:
            for dock in (self.participants_dock, self.facilitation_dock, self.history_dock):
                dock.show()
            self.participants_dock.raise_()
        self._update_actions()

    # -- documents ----------------------------------------------------------------------

    def set_document(self, doc: Document) -> None:
        """Show a design (closing the one shown before)."""
        self.close_document()
        self.doc = doc
        layers = [name for name, a in self.layer_actions.items() if a.isChecked()]
        self.scene = BoardScene(doc, layers=None if len(layers) == 3 else layers)
        self.editor = BoardEditor(self.scene, self.undo_stack)
        self.editor.message.connect(lambda text: self.statusBar().showMessage(text, 4000))
        self.view = BoardView(self.scene)
        self.view.contextMenuEvent = self._context_menu  # type: ignore[method-assign]
        self.view.zoom_changed.connect(lambda z: self.status_zoom.setText(f"{z * 100:.0f} %"))
        self.scene.selectionChanged.connect(self._selection_changed)
        self.setCentralWidget(self.view)
        QTimer.singleShot(0, self._narrow_docks)
        self.minimap = MinimapWidget(self.view)
        self.minimap_dock.setWidget(self.minimap)
        self.properties.set_editor(self.editor)
        self.analysis.attach(doc, self.scene, self.view)
        self.workshop.history_panel.attach(doc)
        self.editor.read_only = self.read_only
        self.workshop.attach_view()
        self.setWindowTitle(f"{doc.name} \u2014 {APP}")
        self.status_file.setText(str(doc.path))
        self._add_recent(doc.path)
        self._update_actions()
        self.view.show_start() if self.isVisible() else None

    def _narrow_docks(self) -> None:
        """Give the board the room: replacing the central widget of a shown window lets the
        right docks take nearly all of its width."""
        docks = [
            d
            for d in (self.properties_dock, self.analysis_dock, self.participants_dock)
            if not d.isFloating() and d.width() > self.width() // 2
        ]
        if docks:
            self.resizeDocks(docks, [320] * len(docks), Qt.Orientation.Horizontal)

    def close_document(self) -> None:
        if self.doc is None:
            return
        self.workshop.document_closing(self.doc)
        self.workshop.history_panel.detach()
        self.properties.set_editor(None)
        self.undo_stack.clear()
        self.analysis.detach()
        if self.scene is not None:
            self.scene.close()
        self.doc.close()
        self.doc = self.scene = self.editor = None
        self.view = None
        self._placeholder = QLabel("No design open.")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self._placeholder)
        self.minimap_dock.setWidget(QWidget())
        self._update_actions()

    def open_path(self, path: str | Path) -> bool:
        """Open a design file; a bad one is explained in a dialog and nothing else changes."""
        try:
            doc = Document.open(Path(path))
        except DesignFileError as exc:
            QMessageBox.critical(self, "Cannot open this design", str(exc))
            return False
        except OSError as exc:
            QMessageBox.critical(self, "Cannot open this design", f"{path}: {exc.strerror or exc}")
            return False
        self.set_document(doc)
        return True

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open design", str(self._folder()), "CLD designs (*.cld);;All files (*)"
        )
        if path:
            self.open_path(path)

    def new_from_template(self) -> None:
        dialog = NewFromTemplateDialog(self._folder(), self)
        if dialog.exec() and dialog.result_path is not None:
            from app.model.templates import create_from_template

            try:
                doc = create_from_template(
                    dialog.result_path, dialog.template, name=dialog.design_name or None
                )
            except (DesignFileError, OSError, ValueError) as exc:
                QMessageBox.critical(self, "Cannot create the design", str(exc))
                return
            self.set_document(doc)

    def save_as(self) -> None:
        if self.doc is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save design as",
            str(self._folder() / f"{self.doc.name}.cld"),
            "CLD designs (*.cld)",
        )
        if path:
            self.save_as_path(Path(path))

    def save_as_path(self, path: Path) -> bool:
        """Copy the design to ``path`` and continue in the copy."""
        if self.doc is None:
            return False
        if path.suffix.lower() != ".cld":
            path = path.with_suffix(".cld")
        try:
            target = self.doc.save_as(path)
        except (DesignFileError, OSError) as exc:
            QMessageBox.critical(self, "Cannot save a copy", str(exc))
            return False
        return self.open_path(target)

    def export(self, suffix: str) -> None:
        if self.doc is None:
            return
        default = self._folder() / f"{self.doc.name}{suffix}"
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {suffix[1:].upper()}", str(default), f"*{suffix}"
        )
        if path:
            self.export_to(Path(path))

    def export_poster(self) -> None:
        """File \u203a Export \u203a PDF poster: sheet size, tiles and layers, then the PDF."""
        if self.doc is None:
            return
        from app.canvas.dialogs.poster_dialog import PosterDialog

        dialog = PosterDialog(self.doc, self._folder() / f"{self.doc.name}.pdf", self)
        if dialog.exec() and dialog.result_message:
            self.statusBar().showMessage(dialog.result_message.splitlines()[0], 8000)

    def export_to(self, path: Path) -> str:
        """Write the design with the `cld export` exporter for the file's suffix."""
        from app.cli import EXPORTERS, UserError, build_parser

        assert self.doc is not None
        args = build_parser().parse_args(["export", str(self.doc.path), "-o", str(path)])
        exporter = EXPORTERS.get(path.suffix.lower())
        if exporter is None:
            QMessageBox.warning(
                self, "Export", f"There is no exporter for {path.suffix} files yet."
            )
            return ""
        try:
            message = exporter(self.doc, path, args) or f"wrote {path}"
        except (UserError, OSError, ValueError) as exc:
            QMessageBox.critical(self, "Export failed", str(exc))
            return ""
        self.statusBar().showMessage(message, 6000)
        return message

    def _folder(self) -> Path:
        if self.doc is not None:
            return self.doc.path.parent
        return Path(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
            or Path.home()
        )

    # -- recent files -------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def _add_recent(self, path: Path) -> None:
        if not self.remember:
            return
        files = [str(path)] + [f for f in self.recent_files() if f != str(path)]
        self.settings.setValue("recent_files", files[:MAX_RECENT])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = [f for f in self.recent_files() if Path(f).exists()]
        for f in files:
            self.recent_menu.addAction(Path(f).name, partial(self.open_path, f)).setStatusTip(f)
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    # -- editing ------------------------------------------------------------------------

    def _target_cell(self) -> tuple[str, str] | None:
        if self.editor is None or self.scene is None:
            return None
        if self.editor.last_cell is not None:
            return self.editor.last_cell
        lay = self.scene.layout
        if lay.lanes and lay.stages:
            return (lay.lanes[0].id, lay.stages[0].id)
        return None

    def add_card(self) -> None:
        cell = self._target_cell()
        if cell is not None and self.editor is not None:
            self.editor.new_card_inline(*cell)

    def add_stage(self, after: str | None = None) -> None:
        if self.editor is None:
            return
        stages = self.editor.doc.stages()
        after = after or (stages[-1].id if stages else None)
        self._name_new("stage", self.editor.add_stage("New stage", after=after))

    def add_lane(self, kind: str, after: str | None = None) -> None:
        if self.editor is not None:
            lid = self.editor.add_lane(
                kind.replace("_", " ").capitalize() if kind != "team" else "New team",
                kind,
                after=after,
            )
            self._name_new("lane", lid)

    def _name_new(self, entity_type: str, entity_id: str) -> None:
        """Show a new stage or lane and put its name up for typing, as a new card's title."""
        if self.editor is None or self.scene is None or self.view is None:
            return
        items = self.scene.stage_items if entity_type == "stage" else self.scene.label_items
        item = items.get(entity_id)
        if item is not None:
            self.view.show_item(item.sceneBoundingRect())
            self.editor.rename_in_place(entity_type, entity_id)

    def vote(self) -> None:
        if self.editor is not None:
            for cid in self.editor.scene.selected_ids("card"):
                if self.workshop.active:
                    self.workshop.vote(cid)  # the round's limits apply
                else:
                    self.editor.toggle_vote(cid)

    def focus_find(self) -> None:
        self.find_box.setFocus()
        self.find_box.selectAll()

    def _find_changed(self, text: str) -> None:
        if self.editor is None:
            return
        self._matches = self.editor.find(text)
        self._match_index = -1
        if text.strip():
            self.statusBar().showMessage(
                f"{len(self._matches)} match{'es' * (len(self._matches) != 1)}"
            )

    def find_next(self) -> None:
        if self.editor is None or self.view is None or not self._matches:
            return
        self._match_index = (self._match_index + 1) % len(self._matches)
        item = self.editor.scene.cards.get(self._matches[self._match_index])
        if item is not None:
            self.editor.select([item.id])
            self.view.show_item(item.sceneBoundingRect())
            self.statusBar().showMessage(f"Match {self._match_index + 1} of {len(self._matches)}")

    def _layers_toggled(self) -> None:
        if self.scene is None:
            return
        layers = [name for name, a in self.layer_actions.items() if a.isChecked()]
        self.scene.set_layers(None if len(layers) == 3 else layers)

    def _selection_changed(self) -> None:
        if self.scene is None:
            return
        n = len(self.scene.selectedItems())
        self.status_selection.setText(f"{n} selected" if n else "")

    def _context_menu(self, event: QContextMenuEvent) -> None:
        if self.view is None:
            return
        menu = board_menu(self, self.view.mapToScene(event.pos()))
        if menu is not None:
            menu.exec(event.globalPos())

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About CLD Desktop",
            "<b>CLD Desktop</b><br>Customer Lifecycle Design: journey map, service "
            "blueprint and process lanes on one board.",
        )

    # -- closing ------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.remember:
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.setValue("window_state", self.saveState())
        self.workshop.shutdown()
        self.close_document()
        self.analysis.shutdown()
        super().closeEvent(event)


def _shortcuts(action: QAction, *keys: QKeySequence.StandardKey | str) -> None:
    """Give ``action`` every key of ``keys`` that this platform has, each once."""
    seen: list[QKeySequence] = []
    for key in keys:
        options = (
            QKeySequence.keyBindings(key)
            if isinstance(key, QKeySequence.StandardKey)
            else [QKeySequence(key)]
        )
        seen += [k for k in options if not k.isEmpty() and k not in seen]
    action.setShortcuts(seen)


def sample_path() -> Path:
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / SAMPLE_NAME


def ensure_sample() -> Path:
    """The sample board in the user's data folder, made from the b2b-saas template once."""
    path = sample_path()
    if not path.exists():
        from app.model.templates import create_from_template

        create_from_template(path, "b2b-saas").close()
    return path


def load_stylesheet(app: QApplication) -> None:
    qss = theme.resources_dir() / "style.qss"
    if qss.is_file():
        folder = theme.resources_dir().as_posix()
        app.setStyleSheet(qss.read_text(encoding="utf-8").replace("@RESOURCES@", folder))


def make_app() -> QApplication:
    if QApplication.instance() is None:
        # crisp on fractional scale factors (125 %, 150 %) instead of rounding them
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
        )
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName(ORG)
    app.setApplicationName(APP)
    QGuiApplication.setApplicationDisplayName(APP)
    theme.load_fonts()
    load_stylesheet(app)  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def run(file: str | None) -> int:
    """Start the app on FILE, or on the last design, or on the sample board."""
    app = make_app()
    window = MainWindow()
    window.show()
    target: Path | None = Path(file) if file else None
    if target is None:
        recent = [Path(f) for f in window.recent_files() if Path(f).exists()]
        target = recent[0] if recent else ensure_sample()
    if target.exists():
        window.open_path(target)
    else:
        QMessageBox.critical(window, "Cannot open this design", f"{target}: no such file")
    if window.view is not None:
        window.view.show_start()
    return app.exec()


__all__ = ["MainWindow", "run"]
