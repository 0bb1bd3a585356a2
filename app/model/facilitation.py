"""The shared facilitation state (voting round, timer, presenter) and the vote rules.

One Facilitation entity per design, with a fixed id, written through ``doc.commit`` like any
edit: a participant who joins late or reconnects gets the round, the timer and the presenter
from the merged state. No Qt here; the panels and the controller call these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.model import edits
from app.model.clock import wall_ms
from app.model.document import Document, Edit
from app.model.schema import Card, Facilitation

FACILITATION_ID = "f-workshop"
#: lanes a new voting round covers unless the facilitator picks others
DEFAULT_VOTING_KINDS = ("pain_points", "opportunities")


def state(doc: Document) -> Facilitation:
    """The design's facilitation state (defaults when nobody has facilitated yet)."""
    entity = doc.get("facilitation", FACILITATION_ID)
    if isinstance(entity, Facilitation) and not entity.deleted:
        return entity
    return Facilitation(id=FACILITATION_ID)


def set_fields(doc: Document, **fields: Any) -> list[Edit]:
    """Edits setting facilitation fields, creating the entity the first time."""
    if doc.get("facilitation", FACILITATION_ID) is None:
        _id, created = edits.create("facilitation", fields, entity_id=FACILITATION_ID)
        return created
    return edits.update(doc, "facilitation", FACILITATION_ID, **fields)


def commit(doc: Document, **fields: Any) -> None:
    """Write facilitation fields as one local change (not undoable: it is not the design)."""
    changes = set_fields(doc, **fields)
    if changes:
        doc.commit(changes)


# -- voting -----------------------------------------------------------------------------


def default_voting_lanes(doc: Document) -> list[str]:
    return [ln.id for ln in doc.lanes() if ln.kind in DEFAULT_VOTING_KINDS]


def round_lanes(doc: Document) -> list[str]:
    """The lanes of the open round (all lanes if the round names none)."""
    lanes = state(doc).voting_lanes
    return list(lanes) if lanes else [ln.id for ln in doc.lanes()]


def open_round(doc: Document, lanes: Iterable[str], votes_per_person: int) -> None:
    commit(doc, voting_open=True, voting_lanes=list(lanes), votes_per_person=int(votes_per_person))


def close_round(doc: Document) -> None:
    commit(doc, voting_open=False)


def clear_votes(doc: Document, lanes: Iterable[str]) -> int:
    """Take back every vote on the cards of these lanes (a fresh round); returns how many."""
    allowed = set(lanes)
    gone: list[Edit] = []
    for vote in doc.votes():
        card = doc.card(vote.card)
        if card is not None and card.lane in allowed:
            gone.append(("vote", vote.id, "deleted", True))
    if gone:
        doc.commit(gone)
    return len(gone)


def votes_of(doc: Document, voter: str, lanes: Iterable[str] | None = None) -> list[str]:
    """Cards this voter has voted for (once each), within the lanes if given."""
    allowed = set(lanes) if lanes is not None else None
    cards: dict[str, None] = {}
    for vote in doc.votes():
        if vote.voter != voter:
            continue
        card = doc.card(vote.card)
        if card is not None and (allowed is None or card.lane in allowed):
            cards[card.id] = None
    return list(cards)


def votes_left(doc: Document, voter: str) -> int:
    f = state(doc)
    return max(0, f.votes_per_person - len(votes_of(doc, voter, round_lanes(doc))))


def vote_refusal(doc: Document, card_id: str, voter: str) -> str:
    """Why this voter may not vote for this card now ("" when the vote is allowed).

    Taking a vote back is always allowed; a new one needs an open round, a card in one of
    the round's lanes and a vote left.
    """
    if card_id in votes_of(doc, voter):
        return ""
    f = state(doc)
    if not f.voting_open:
        return "Voting is closed: wait for the facilitator to open a round"
    card = doc.card(card_id)
    if card is None or card.lane not in round_lanes(doc):
        return "This round is on other lanes: vote on the highlighted lanes' cards"
    if votes_left(doc, voter) <= 0:
        return f"You have used your {f.votes_per_person} votes: take one back to move it"
    return ""


@dataclass(frozen=True)
class Result:
    """One card's standing in the round."""

    card: Card
    votes: int


def counted_votes(doc: Document) -> dict[str, set[str]]:
    """Card id -> the voters whose vote there counts in this round.

    A voter's votes count on the round's lanes only, once per card, and no more than
    ``votes_per_person`` of them: the earliest by the order every replica agrees on. So two
    laptops of one person voting at once, or a client that ignores the limit, cannot give
    anyone more dots than the facilitator allowed.
    """
    f = state(doc)
    lanes = set(round_lanes(doc))
    mine: dict[str, list[tuple[tuple[str, str], str]]] = {}
    for vote in doc.votes():
        card = doc.card(vote.card)
        if card is None or card.lane not in lanes or not doc.is_visible("card", card.id):
            continue
        mine.setdefault(vote.voter, []).append((doc.written_at("vote", vote.id, "card"), card.id))
    counted: dict[str, set[str]] = {}
    for voter, votes in mine.items():
        cards: list[str] = []
        for _when, cid in sorted(votes):
            if cid not in cards:
                cards.append(cid)
        for cid in cards[: f.votes_per_person]:
            counted.setdefault(cid, set()).add(voter)
    return counted


def results(doc: Document) -> list[Result]:
    """Cards of the round's lanes with counted votes, most votes first."""
    out = [Result(doc.card(cid), len(who)) for cid, who in counted_votes(doc).items()]  # type: ignore[arg-type]
    out.sort(key=lambda r: (-r.votes, r.card.title.lower(), r.card.id))
    return out


# -- timer ------------------------------------------------------------------------------


def timer_left_ms(f: Facilitation, now_ms: int | None = None) -> int | None:
    """Milliseconds left on the timer (None when no timer is set)."""
    if f.timer_ends_at is not None:
        return max(0, f.timer_ends_at - (wall_ms() if now_ms is None else now_ms))
    return f.timer_remaining_ms


def timer_running(f: Facilitation) -> bool:
    return f.timer_ends_at is not None


def set_timer(doc: Document, minutes: float, label: str = "") -> None:
    """A paused timer of ``minutes``, ready to start."""
    commit(
        doc,
        timer_label=label,
        timer_ends_at=None,
        timer_remaining_ms=max(0, round(minutes * 60_000)),
    )


def start_timer(doc: Document) -> None:
    left = timer_left_ms(state(doc))
    if left is not None and not timer_running(state(doc)):
        commit(doc, timer_ends_at=wall_ms() + left, timer_remaining_ms=None)


def pause_timer(doc: Document) -> None:
    f = state(doc)
    if timer_running(f):
        commit(doc, timer_remaining_ms=timer_left_ms(f), timer_ends_at=None)


def clear_timer(doc: Document) -> None:
    commit(doc, timer_ends_at=None, timer_remaining_ms=None, timer_label="")


def format_ms(ms: int) -> str:
    seconds = (ms + 999) // 1000
    return f"{seconds // 60:02d}:{seconds % 60:02d}"
