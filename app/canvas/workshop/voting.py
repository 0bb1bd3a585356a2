"""FacilitationPanel: the dot-voting round and the timer, for the facilitator and everyone.

The facilitator opens a round (votes per person, lanes: pain points and opportunities by
default), closes it, and sets, starts and pauses the timer; everyone sees their votes left,
the ranked results and the countdown. Everything shown comes from the Facilitation entity
and the Vote entities, so late joiners see the same.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.model import facilitation as fac
from app.model.document import Document, DocumentEvent


class FacilitationPanel(QWidget):
    """Voting round and timer controls, results and countdown."""

    #: a result row was clicked: show that card
    card_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self.voter = ""
        self.facilitator = False
        # -- voting
        vote_box = QGroupBox("Dot voting")
        self.round_label = QLabel("No round open.")
        self.round_label.setWordWrap(True)
        self.votes_left_label = QLabel("")
        self.votes_spin = QSpinBox()
        self.votes_spin.setRange(1, 50)
        self.votes_spin.setValue(3)
        self.votes_spin.setSuffix(" votes each")
        self.lanes_list = QListWidget()
        self.lanes_list.setMaximumHeight(110)
        self.open_button = QPushButton("Open round")
        self.open_button.clicked.connect(self._toggle_round)
        self.clear_button = QPushButton("Clear votes on these lanes")
        self.clear_button.setToolTip("Start the next round from zero (the cards stay)")
        self.clear_button.clicked.connect(self._clear_votes)
        self.results = QListWidget()
        self.results.setWordWrap(True)
        self.results.setMinimumHeight(120)
        self.results.itemClicked.connect(
            lambda item: self.card_requested.emit(str(item.data(Qt.ItemDataRole.UserRole)))
        )
        self.setup_widgets = [self.votes_spin, self.lanes_list, self.open_button, self.clear_button]
        v = QVBoxLayout(vote_box)
        v.addWidget(self.round_label)
        v.addWidget(self.votes_left_label)
        v.addWidget(self.votes_spin)
        v.addWidget(self.lanes_list)
        v.addWidget(self.open_button)
        v.addWidget(self.clear_button)
        v.addWidget(QLabel("Results"))
        v.addWidget(self.results, 1)
        # -- timer
        timer_box = QGroupBox("Timer")
        self.countdown = QLabel("--:--")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.countdown.setStyleSheet("font-size: 28px; font-weight: bold;")
        self.timer_label = QLabel("")
        self.timer_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("What is it for (e.g. Ideas on onboarding)")
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.5, 240)
        self.minutes.setValue(5)
        self.minutes.setSuffix(" min")
        self.set_button = QPushButton("Set")
        self.start_button = QPushButton("Start")
        self.set_button.clicked.connect(self._set_timer)
        self.start_button.clicked.connect(self._start_pause)
        row = QHBoxLayout()
        row.addWidget(self.minutes)
        row.addWidget(self.set_button)
        row.addWidget(self.start_button)
        self.timer_controls = [self.label_edit, self.minutes, self.set_button, self.start_button]
        t = QVBoxLayout(timer_box)
        t.addWidget(self.countdown)
        t.addWidget(self.timer_label)
        t.addWidget(self.label_edit)
        t.addLayout(row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(vote_box, 1)
        layout.addWidget(timer_box)
        self.tick = QTimer(self)
        self.tick.setInterval(250)
        self.tick.timeout.connect(self.show_timer)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(60)
        self._refresh_timer.timeout.connect(self.refresh)
        self.set_facilitator(False)

    # -- hook-up ----------------------------------------------------------------------

    def attach(self, doc: Document, voter: str) -> None:
        self.detach()
        self.doc = doc
        self.voter = voter
        doc.subscribe(self._on_document)
        self._fill_lanes()
        self.refresh()
        self.tick.start()

    def detach(self) -> None:
        if self.doc is not None:
            self.doc.unsubscribe(self._on_document)
        self.doc = None
        self.tick.stop()
        self._refresh_timer.stop()

    def set_facilitator(self, on: bool) -> None:
        self.facilitator = on
        for w in self.setup_widgets + self.timer_controls:
            w.setVisible(on)
        self.refresh()

    def _on_document(self, event: DocumentEvent) -> None:
        if {"facilitation", "vote", "card", "lane"} & set(event.changed):
            self._refresh_timer.start()
        if "lane" in event.changed:
            self._fill_lanes()

    def _fill_lanes(self) -> None:
        if self.doc is None:
            return
        chosen = set(fac.state(self.doc).voting_lanes) or set(fac.default_voting_lanes(self.doc))
        self.lanes_list.clear()
        for lane in self.doc.lanes():
            item = QListWidgetItem(f"{lane.name} ({lane.layer})")
            item.setData(Qt.ItemDataRole.UserRole, lane.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = lane.id in chosen
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.lanes_list.addItem(item)

    def chosen_lanes(self) -> list[str]:
        out = []
        for i in range(self.lanes_list.count()):
            item = self.lanes_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    # -- showing ----------------------------------------------------------------------

    def refresh(self) -> None:
        doc = self.doc
        if doc is None:
            return
        f = fac.state(doc)
        lanes = {ln.id: ln.name for ln in doc.lanes()}
        names = ", ".join(lanes[i] for i in fac.round_lanes(doc) if i in lanes)
        if f.voting_open:
            self.round_label.setText(
                f"Round open: {f.votes_per_person} votes each on {names or 'every lane'}. "
                "Click a card to vote, click again to take the vote back."
            )
            left = fac.votes_left(doc, self.voter)
            self.votes_left_label.setText(f"You have {left} vote{'s' * (left != 1)} left.")
        else:
            self.round_label.setText("No round open." if not f.voting_lanes else "Round closed.")
            self.votes_left_label.setText("")
        self.open_button.setText("Close round" if f.voting_open else "Open round")
        # while a round is open its settings are fixed: the room goes to the results
        for w in (self.votes_spin, self.lanes_list, self.clear_button):
            w.setVisible(self.facilitator and not f.voting_open)
        self.results.clear()
        for rank, result in enumerate(fac.results(doc), 1):
            dots = "\u25cf" * min(result.votes, 10)
            item = QListWidgetItem(
                f"{rank}. {dots} {result.votes}  {result.card.title}"
                f"  ({lanes.get(result.card.lane, '')})"
            )
            item.setToolTip(result.card.title)
            item.setData(Qt.ItemDataRole.UserRole, result.card.id)
            self.results.addItem(item)
        self.show_timer()

    def result_rows(self) -> list[str]:
        return [self.results.item(i).text() for i in range(self.results.count())]

    def timer_text(self) -> str:
        """The countdown as everyone sees it ("" when no timer is set)."""
        if self.doc is None:
            return ""
        f = fac.state(self.doc)
        left = fac.timer_left_ms(f)
        if left is None:
            return ""
        text = fac.format_ms(left)
        if not fac.timer_running(f) and left > 0:
            text += " (paused)"
        elif left == 0:
            text += " (time is up)"
        return f"{f.timer_label}  {text}".strip()

    def show_timer(self) -> None:
        if self.doc is None:
            return
        f = fac.state(self.doc)
        left = fac.timer_left_ms(f)
        self.countdown.setText(fac.format_ms(left) if left is not None else "--:--")
        self.countdown.setStyleSheet(
            "font-size: 28px; font-weight: bold;"
            + (" color: #E03131;" if left is not None and left < 30_000 else "")
        )
        self.timer_label.setText(f.timer_label)
        self.start_button.setText("Pause" if fac.timer_running(f) else "Start")
        self.start_button.setEnabled(left is not None and left > 0)

    # -- facilitator's controls -------------------------------------------------------

    def _toggle_round(self) -> None:
        if self.doc is None or not self.facilitator:
            return
        if fac.state(self.doc).voting_open:
            fac.close_round(self.doc)
        else:
            fac.open_round(self.doc, self.chosen_lanes(), self.votes_spin.value())
        self.refresh()

    def _clear_votes(self) -> None:
        if self.doc is not None and self.facilitator and not fac.state(self.doc).voting_open:
            fac.clear_votes(self.doc, self.chosen_lanes())
        self.refresh()

    def _set_timer(self) -> None:
        if self.doc is not None and self.facilitator:
            fac.set_timer(self.doc, self.minutes.value(), self.label_edit.text().strip())
        self.refresh()

    def _start_pause(self) -> None:
        if self.doc is None or not self.facilitator:
            return
        if fac.timer_running(fac.state(self.doc)):
            fac.pause_timer(self.doc)
        else:
            fac.start_timer(self.doc)
        self.refresh()
