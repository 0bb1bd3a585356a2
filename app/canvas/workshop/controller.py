"""WorkshopController: host, join and leave a workshop from the main window.

Hosting starts the sync server on a background thread, creates a room whose log starts with
the open design's change log, and joins it as facilitator with the open file. Joining writes
into a local copy of the room's board in the user's data folder (one file per room, reused
when you join the same room again): the board keeps working offline, edits wait in that
file's outbox, and your own designs never get mixed with someone else's room. Leaving keeps
the copy open. The controller also keeps presence, following, the viewer's read-only mode,
voting clicks and the status bar in step with the session.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from app.canvas.workshop.history_dock import HistoryPanel
from app.canvas.workshop.network import (
    PREFERRED_PORT,
    HostError,
    JoinLink,
    lan_address,
    local_url,
    make_link,
    parse_link,
    start_server,
)
from app.canvas.workshop.participants_dock import ParticipantsPanel, Person
from app.canvas.workshop.presence import (
    PresenceLayer,
    PresenceTracker,
    follow_viewport,
    participant_color,
)
from app.canvas.workshop.session import WorkshopSession
from app.canvas.workshop.voting import FacilitationPanel
from app.model import facilitation as fac
from app.model.document import Document, DocumentEvent
from app.model.store import DesignFileError
from app.sync import protocol as p
from app.sync.client import SyncState
from app.sync.hosting import ServerThread

if TYPE_CHECKING:
    from app.canvas.window import MainWindow


#: a joined copy's name until the room says its own (links made by `cld room create`)
PLACEHOLDER_NAME = "Workshop"


def data_folder(*parts: str) -> Path:
    base = Path(
        QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        or Path.home() / ".cld"
    )
    folder = base.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class WorkshopController(QObject):
    """The window's workshop: at most one session (hosted or joined) at a time."""

    #: the status bar text changed
    status_changed = Signal(str)
    #: a workshop started or ended (True while in one)
    active_changed = Signal(bool)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.server: ServerThread | None = None
        self.session: WorkshopSession | None = None
        #: sessions left but whose client is still finishing (it still calls the GUI thread)
        self.stopping: list[WorkshopSession] = []
        self.links: dict[str, str] = {}
        self.facilitator_link = ""
        self.name = ""
        self.color = ""
        self.expected_role = ""
        self.presence: PresenceLayer | None = None
        self.tracker: PresenceTracker | None = None
        self.following = ""
        self.last_presence: dict[str, p.PresenceOf] = {}
        #: the others in the room, as last reported to the GUI thread
        self.participants: dict[str, p.Participant] = {}
        self.offline_people: dict[tuple[str, str], Person] = {}
        self._presenter = ""
        self._fit_pending = False
        self._time_was_up = False
        self.participants_panel = ParticipantsPanel()
        self.participants_panel.follow_requested.connect(self.follow)
        self.participants_panel.present_toggled.connect(self.present)
        self.facilitation_panel = FacilitationPanel()
        self.facilitation_panel.card_requested.connect(self._show_card)
        self.history_panel = HistoryPanel()
        self._clock = QTimer(self)
        self._clock.setInterval(500)
        self._clock.timeout.connect(self._tick)

    # -- state ------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.session is not None

    @property
    def hosting(self) -> bool:
        return self.server is not None

    @property
    def role(self) -> str:
        if self.session is None:
            return ""
        return self.session.role or ("facilitator" if self.hosting else self.expected_role)

    @property
    def doc(self) -> Document | None:
        return self.session.doc if self.session is not None else None

    # -- host -------------------------------------------------------------------------

    def host(
        self,
        *,
        port: int | None = None,
        address: str = "0.0.0.0",
        data_dir: Path | None = None,
        name: str = "",
        color: str = "",
    ) -> dict[str, str]:
        """Serve the open design as a new room; returns the editor and viewer links.

        Raises HostError in plain words when the server cannot start.
        """
        doc = self.window.doc
        if doc is None:
            raise HostError("open a design first: the workshop shows the open design")
        if self.active:
            self.leave()
        folder = data_dir or data_folder("workshop-server")
        if port is None:
            try:  # the usual port first, so links look the same from one workshop to the next
                server = start_server(folder, host=address, port=PREFERRED_PORT)
            except HostError:
                server = start_server(folder, host=address, port=0)
        else:
            server = start_server(folder, host=address, port=port)
        try:
            # the room starts from the open design: its whole change log seeds the room log,
            # and the host's file is marked as having seen it (no catch-up of its own edits)
            seed = [change for _seq, change in doc.store.changes()]
            room, seq = server.create_room(doc.name, seed)
        except Exception as exc:
            server.stop()
            raise HostError(f"could not create the workshop room: {exc}") from None
        doc.store.set_meta({f"room:{room.id}:seq": str(seq)})
        # the room log holds them durably now, which is what an ack says: no need to push
        # the whole design back (and show thousands of "unsent" changes meanwhile)
        seeded = {c.id for c in seed}
        doc.store.acknowledge(c.id for c in doc.store.outbox() if c.id in seeded)
        self.server = server
        lan = lan_address() if address in ("0.0.0.0", "") else address
        port_used = server.server.port
        base = f"ws://{lan}:{port_used}"
        self.links = {
            role: make_link(base, room.id, room.tokens[role], design=doc.name, role=role)
            for role in ("editor", "viewer")
        }
        #: a co-facilitator's link (not shown with the others: it can run the votes)
        self.facilitator_link = make_link(
            base, room.id, room.tokens["facilitator"], design=doc.name, role="facilitator"
        )
        self.address = f"{lan}:{port_used}"
        self._start(
            doc,
            f"{local_url(server.server)}/rooms/{room.id}",
            room.tokens["facilitator"],
            name or doc.author,
            color or "#1971C2",
            "facilitator",
        )
        return dict(self.links)

    # -- join -------------------------------------------------------------------------

    def join(
        self, link: str | JoinLink, name: str, color: str = "", *, folder: Path | None = None
    ) -> Document:
        """Join a room with a local copy of its board (ValueError for a bad link)."""
        parsed = parse_link(link) if isinstance(link, str) else link
        if self.active:
            self.leave()
        folder = folder or data_folder("Workshops")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{parsed.room}.cld"
        title = parsed.design or f"{PLACEHOLDER_NAME} {parsed.room[:6]}"
        doc = (
            Document.open(path, author=name)
            if path.exists()
            else Document.new(path, name=title, author=name)
        )
        self.window.set_document(doc)
        # a new copy is empty until the room's board arrives: fit the view to that board
        self._fit_pending = not doc.cards()
        self._start(doc, parsed.url, parsed.token, name, color, parsed.role)
        return doc

    def _start(self, doc: Document, url: str, token: str, name: str, color: str, role: str) -> None:
        self.name, self.color, self.expected_role = name, color, role
        session = WorkshopSession(doc, url, token, name=name, color=color, parent=self)
        session.state_changed.connect(self._on_state)
        session.participants_changed.connect(self._on_participants)
        session.presence_received.connect(self._on_presence)
        session.refused.connect(self._on_refused)
        session.unsent_changed.connect(lambda _n: self._update_status())
        self.session = session
        doc.subscribe(self._on_document)
        self._presenter = fac.state(doc).presenter
        self.attach_view()
        self.facilitation_panel.attach(doc, doc.replica)
        self._apply_role()
        session.start()
        self._clock.start()
        self._refresh_people()
        self._update_status()
        self.active_changed.emit(True)

    # -- leave ------------------------------------------------------------------------

    def leave(self) -> None:
        """End the session (and the server when hosting); the local file stays open."""
        session, self.session = self.session, None
        if session is not None:
            if self.hosting and fac.state(session.doc).presenter:
                fac.commit(session.doc, presenter="")
            session.doc.unsubscribe(self._on_document)
            session.flush()  # what is already made goes out before the goodbye
            # the client says goodbye on its own thread, still calling on this one: the
            # window carries on meanwhile and the session goes once it has finished
            self.stopping.append(session)
            session.finished.connect(lambda: self._session_finished(session))
            session.stop()
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.detach_view()
        self.facilitation_panel.detach()
        self.links = {}
        self.facilitator_link = ""
        self.following = ""
        self.last_presence.clear()
        self.participants = {}
        self.offline_people.clear()
        self._clock.stop()
        self.window.set_read_only(False)
        editor = self.window.editor
        if editor is not None:
            editor.voter = editor.doc.author
            editor.on_card_click = None
        self.participants_panel.set_facilitator(False)
        self.participants_panel.set_following("")
        self.participants_panel.set_people([], summary="Not in a workshop.")
        self._update_status()
        self.active_changed.emit(False)

    def _session_finished(self, session: WorkshopSession) -> None:
        if session in self.stopping:
            self.stopping.remove(session)
        session.deleteLater()

    # -- the window's scene -----------------------------------------------------------

    def attach_view(self) -> None:
        """Show presence in the window's current scene (after set_document)."""
        self.detach_view()
        window = self.window
        if self.session is None or window.scene is None or window.view is None:
            return
        if window.doc is not self.session.doc:
            return
        self.presence = PresenceLayer(window.scene)
        self.tracker = PresenceTracker(window.view, self._send_presence)
        if window.editor is not None:
            window.editor.voter = self.session.doc.replica
            window.editor.on_card_click = self._card_clicked
        for message in self.last_presence.values():
            self._show_presence(message)

    def detach_view(self) -> None:
        if self.tracker is not None:
            self.tracker.detach()
            self.tracker.deleteLater()
        if self.presence is not None:
            with contextlib.suppress(RuntimeError):  # the scene is already gone
                self.presence.clear()
        self.presence = self.tracker = None

    def document_closing(self, doc: Document) -> None:
        """The window is about to close ``doc``: leave a workshop that uses it."""
        if self.session is not None and self.session.doc is doc:
            self.leave()
        for session in self.stopping:
            if session.doc is doc:
                session.abandon()  # a session still saying goodbye must not touch it now
        self.detach_view()

    # -- session events ---------------------------------------------------------------

    def _on_state(self, state: SyncState) -> None:
        if state.role:
            self._apply_role()
        if state.state == "online":
            self._adopt_room_name()
        if state.state == "refused":
            QMessageBox.warning(
                self.window,
                "Cannot join the workshop",
                f"{state.detail}\n\nYour copy of the board stays open and keeps your edits.",
            )
            QTimer.singleShot(0, self.leave)
        self._refresh_people()
        self._update_status()

    def _adopt_room_name(self) -> None:
        session = self.session
        if session is None or self.hosting:
            return
        name = session.client.room_name
        doc = session.doc
        if name and doc.name == f"{PLACEHOLDER_NAME} {session.room[:6]}":
            doc.rename(name)
            from app.canvas.window import APP

            self.window.setWindowTitle(f"{name} \u2014 {APP}")

    def _on_refused(self, code: str, message: str) -> None:
        self.window.statusBar().showMessage(message, 8000)

    def _apply_role(self) -> None:
        role = self.role
        self.window.set_read_only(role == "viewer")
        self.participants_panel.set_facilitator(role == "facilitator")
        self.facilitation_panel.set_facilitator(role == "facilitator")

    def _on_participants(self, participants: dict[str, p.Participant]) -> None:
        self.participants = dict(participants)
        for pid in list(self.last_presence):
            if pid not in participants:
                self.last_presence.pop(pid, None)
        if self.presence is not None:
            self.presence.keep_only(set(participants))
        if self.following and self.following not in participants:
            self.follow("")
        for who in participants.values():
            self.offline_people.pop((who.name, who.color), None)
        self._refresh_people()
        self._update_status()

    def _on_presence(self, message: p.PresenceOf) -> None:
        self.last_presence[message.participant] = message
        self._show_presence(message)
        if message.viewport is not None and message.participant == self.follow_target():
            view = self.window.view
            if view is not None:
                follow_viewport(view, message.viewport.model_dump())

    def _show_presence(self, message: p.PresenceOf) -> None:
        if self.presence is None or self.session is None:
            return
        who = self.participants.get(message.participant)
        if who is None:
            return
        cursor = (message.cursor[0], message.cursor[1]) if message.cursor else None
        self.presence.show(
            who.id,
            who.name or "Someone",
            participant_color(who.color, who.id),
            cursor,
            list(message.selection),
        )

    def _send_presence(
        self, cursor: tuple[float, float] | None, selection: list[str], viewport: dict[str, float]
    ) -> None:
        if self.session is not None:
            self.session.send_presence(cursor, selection, viewport)

    def _on_document(self, event: DocumentEvent) -> None:
        if self._fit_pending and not event.local and "card" in event.changed:
            self._fit_pending = False
            view = self.window.view
            if view is not None:
                QTimer.singleShot(0, view.fit)
        if "facilitation" in event.changed and self.session is not None:
            presenter = fac.state(self.session.doc).presenter
            if presenter != self._presenter:
                self._presenter = presenter
                self._presenter_changed()

    # -- following --------------------------------------------------------------------

    def follow_target(self) -> str:
        """Whose view this window follows: the chosen participant, or the presenter."""
        if self.following:
            return self.following
        if self.session is None or not self._presenter:
            return ""
        if self._presenter == self.session.doc.replica:
            return ""
        # the presenter is named by replica id; each participant says its replica
        for who in self.participants.values():
            if who.replica == self._presenter:
                return who.id
        return ""

    def follow(self, participant: str) -> None:
        """Follow a participant's view ("" stops)."""
        self.following = participant
        self.participants_panel.set_following(participant)
        self._catch_up_view()

    def _presenter_changed(self) -> None:
        if self.session is None:
            return
        mine = self._presenter == self.session.doc.replica
        self.participants_panel.present.blockSignals(True)
        self.participants_panel.present.setChecked(mine)
        self.participants_panel.present.blockSignals(False)
        if self._presenter and not mine:
            who = self.participants.get(self.follow_target())
            whose = f"{who.name}'s" if who is not None and who.name else "the presenter's"
            self.window.statusBar().showMessage(f"Following {whose} view", 5000)
        self._catch_up_view()

    def _catch_up_view(self) -> None:
        target = self.follow_target()
        message = self.last_presence.get(target)
        view = self.window.view
        if message is not None and message.viewport is not None and view is not None:
            follow_viewport(view, message.viewport.model_dump())

    def present(self, on: bool) -> None:
        """The facilitator's "Bring everyone to my view" (on) or release (off)."""
        if self.session is None or self.role != "facilitator":
            return
        fac.commit(self.session.doc, presenter=self.session.doc.replica if on else "")
        if self.tracker is not None:
            self.tracker.send()

    # -- voting -----------------------------------------------------------------------

    def _card_clicked(self, card_id: str) -> None:
        if self.session is None or self.role == "viewer":
            return
        f = fac.state(self.session.doc)
        card = self.session.doc.card(card_id)
        if f.voting_open and card is not None and card.lane in fac.round_lanes(self.session.doc):
            self.vote(card_id)

    def vote(self, card_id: str) -> bool:
        """Vote for a card or take the vote back, within the round's rules."""
        editor = self.window.editor
        if self.session is None or editor is None:
            return False
        reason = fac.vote_refusal(self.session.doc, card_id, editor.voter)
        if reason:
            self.window.statusBar().showMessage(reason, 5000)
            return False
        return editor.toggle_vote(card_id)

    def _show_card(self, card_id: str) -> None:
        window = self.window
        if window.editor is None or window.view is None or window.scene is None:
            return
        item = window.scene.cards.get(card_id)
        if item is not None:
            window.editor.select([card_id])
            window.view.show_item(item.sceneBoundingRect())

    # -- showing ----------------------------------------------------------------------

    def people(self) -> list[Person]:
        if self.session is None:
            return []
        rows = [
            Person(
                "",
                self.name or "You",
                self.color,
                self.role,
                online=self.session.state.state == "online",
                you=True,
            )
        ]
        for who in self.participants.values():
            rows.append(Person(who.id, who.name, who.color, who.role))
        rows.extend(self.offline_people.values())
        return rows

    def _refresh_people(self) -> None:
        if self.session is None:
            return
        previous = {(x.id, x.name, x.color, x.role) for x in self.participants_panel.people}
        now = {who.id: who for who in self.participants.values()}
        for pid, name, color, role in previous:
            if pid and pid not in now and name:
                self.offline_people[(name, color)] = Person(pid, name, color, role, online=False)
        for who in now.values():
            self.offline_people.pop((who.name, who.color), None)
        online = len(now) + 1
        self.participants_panel.set_people(
            self.people(), summary=f"{online} online \u00b7 room {self.session.room[:8]}"
        )

    def status_text(self) -> str:
        session = self.session
        if session is None:
            return ""
        state = session.state.state
        unsent = session.unsent
        pending = f" \u00b7 {unsent} unsent" if unsent else ""
        role = self.role or "participant"
        if state == "online":
            n = len(self.participants) + 1
            text = f"\u25cf Workshop online \u00b7 {role} \u00b7 {n} here{pending}"
        elif state == "refused":
            text = f"Workshop refused: {session.state.detail}"
        elif session.ever_online or state == "offline":
            label = "reconnecting" if state == "connecting" else "offline"
            text = f"\u25cb Workshop {label} \u00b7 {unsent} unsent (kept in your file)"
        else:
            text = "\u25cb Workshop connecting\u2026"
        timer = self.facilitation_panel.timer_text()
        return f"{text}  \u00b7  Timer: {timer}" if timer else text

    def _tick(self) -> None:
        if self.session is not None:
            self.session.count_unsent()  # acks shrink the outbox without a state change
            f = fac.state(self.session.doc)
            up = fac.timer_running(f) and fac.timer_left_ms(f) == 0
            if up and not self._time_was_up:
                text = f"{f.timer_label}: time is up" if f.timer_label else "Time is up"
                self.window.statusBar().showMessage(text, 15000)
            self._time_was_up = up
        self._update_status()

    def _update_status(self) -> None:
        self.status_changed.emit(self.status_text())

    # -- dialogs ----------------------------------------------------------------------

    def host_dialog(self) -> None:
        """File \u203a Host Workshop\u2026: start hosting and show the links."""
        from app.canvas.workshop.host_dialog import HostDialog

        window = self.window
        if window.doc is None:
            return
        if not self.hosting:
            try:
                self.host()
            except HostError as exc:
                QMessageBox.critical(window, "Cannot host the workshop", str(exc))
                return
        dialog = HostDialog(self.links, self.address, window.doc.name, window)
        dialog.stop_requested.connect(self.leave)
        dialog.setModal(False)
        dialog.show()
        self.dialog = dialog

    def join_dialog(self) -> None:
        """File \u203a Join Workshop\u2026: ask for the link, name and colour, then join."""
        from app.canvas.workshop.join_dialog import JoinDialog

        window = self.window
        settings = window.settings
        name = str(settings.value("workshop/name", "") or "")
        if not name and window.doc is not None:
            name = window.doc.author
        dialog = JoinDialog(name, str(settings.value("workshop/color", "") or ""), window)
        if not dialog.exec() or dialog.link is None:
            return
        if window.remember:
            settings.setValue("workshop/name", dialog.name)
            settings.setValue("workshop/color", dialog.color)
        try:
            self.join(dialog.link, dialog.name, dialog.color)
        except (DesignFileError, OSError) as exc:
            QMessageBox.critical(window, "Cannot join the workshop", str(exc))

    def shutdown(self) -> None:
        if self.active:
            self.leave()
