"""The Document's reads, builders, validation and undo through inverse edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.model import edits
from app.model.document import Document, DocumentEvent
from app.model.schema import InvalidValue


@pytest.fixture
def doc(tmp_path: Path):  # noqa: ANN201
    d = Document.new(tmp_path / "d.cld", name="Doc")
    for name in ("Acquire", "Onboard", "Renew"):
        d.commit(edits.add_stage(d, name, stage_id=f"s-{name.lower()}")[1])
    d.commit(edits.add_lane(d, "Sales", "team", team="Sales", lane_id="l-sales")[1])
    d.commit(edits.add_lane(d, "Touchpoints", "touchpoints", lane_id="l-touch")[1])
    d.commit(edits.add_lane(d, "Back stage", "backstage", lane_id="l-back")[1])
    yield d
    d.close()


def test_lanes_are_ordered_by_layer_then_rank(doc: Document) -> None:
    """Journey lanes come first, then blueprint, then process, whatever the creation order."""
    assert [ln.id for ln in doc.lanes()] == ["l-touch", "l-back", "l-sales"]
    doc.commit(edits.move_stage(doc, "s-renew", 0))
    assert [s.name for s in doc.stages()] == ["Renew", "Acquire", "Onboard"]


def test_cards_keep_their_place_in_a_cell(doc: Document) -> None:
    """Inserting before and after existing cards gives the order the user asked for."""
    a, e = edits.add_card(doc, "l-touch", "s-acquire", title="A")
    doc.commit(e)
    c, e = edits.add_card(doc, "l-touch", "s-acquire", title="C")
    doc.commit(e)
    doc.commit(edits.add_card(doc, "l-touch", "s-acquire", title="B", after=a)[1])
    doc.commit(edits.add_card(doc, "l-touch", "s-acquire", title="Z", before=a)[1])
    assert [x.title for x in doc.cards_in("l-touch", "s-acquire")] == ["Z", "A", "B", "C"]
    doc.commit(edits.move_cards(doc, [c], "l-touch", "s-acquire", before=a))
    assert [x.title for x in doc.cards_in("l-touch", "s-acquire")] == ["Z", "C", "A", "B"]


def test_deleting_a_lane_hides_its_cards_without_losing_them(doc: Document) -> None:
    """Cards under a deleted lane are hidden, links to them too; undeleting brings all back."""
    a, e = edits.add_card(doc, "l-back", "s-onboard", title="Provision users")
    doc.commit(e)
    b, e = edits.add_card(doc, "l-touch", "s-onboard", title="Welcome email")
    doc.commit(e)
    k, e = edits.add_link(doc, a, b)
    doc.commit(e)
    assert doc.link(k).kind == "supports"
    doc.commit(edits.delete(doc, "lane", "l-back"))
    assert [c.title for c in doc.cards()] == ["Welcome email"]
    assert doc.links() == [] and not doc.is_visible("card", a)
    assert doc.card(a).title == "Provision users"  # kept
    doc.commit([("lane", "l-back", "deleted", False)])
    assert {c.title for c in doc.cards()} == {"Provision users", "Welcome email"}
    assert [x.id for x in doc.links()] == [k]


def test_delete_card_takes_its_links_and_votes_and_undo_restores_them(doc: Document) -> None:
    """Deleting a card removes its links and votes; its inverse brings all three back."""
    a, e = edits.add_card(doc, "l-sales", "s-acquire", title="Qualify")
    doc.commit(e)
    b, e = edits.add_card(doc, "l-sales", "s-acquire", title="Demo")
    doc.commit(e)
    doc.commit(edits.add_link(doc, a, b)[1])
    doc.commit(edits.toggle_vote(doc, a, "ana"))
    deletion = edits.delete_cards(doc, [a])
    undo = doc.inverse(deletion)
    doc.commit(deletion)
    assert [c.title for c in doc.cards()] == ["Demo"] and doc.links() == [] and doc.votes() == []
    doc.commit(undo)
    assert [c.title for c in doc.cards_in("l-sales", "s-acquire")] == ["Qualify", "Demo"]
    assert len(doc.links()) == 1 and [v.voter for v in doc.votes(a)] == ["ana"]


def test_undo_of_a_creation_removes_it_and_redo_brings_it_back(doc: Document) -> None:
    """The inverse of creating a card deletes it; applying the edits again restores it."""
    cid, create = edits.add_card(doc, "l-touch", "s-renew", title="Renewal quote")
    undo = doc.inverse(create)
    doc.commit(create)
    doc.commit(undo)
    assert doc.cards() == []
    doc.commit(create)
    assert [c.title for c in doc.cards()] == ["Renewal quote"]


def test_field_edit_undo_restores_every_field(doc: Document) -> None:
    """Undoing a multi-field edit restores exactly the previous values."""
    cid, e = edits.add_card(
        doc, "l-sales", "s-onboard", title="Handover", owner="AE", duration_hours=2
    )
    doc.commit(e)
    change = edits.update(
        doc, "card", cid, title="Handover to CS", duration_hours=4.5, sentiment=-1
    )
    undo = doc.inverse(change)
    doc.commit(change)
    assert (doc.card(cid).title, doc.card(cid).duration_hours, doc.card(cid).sentiment) == (
        "Handover to CS",
        4.5,
        -1,
    )
    doc.commit(undo)
    card = doc.card(cid)
    assert (card.title, card.duration_hours, card.sentiment, card.owner) == (
        "Handover",
        2.0,
        None,
        "AE",
    )


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("sentiment", 3, "must be less than or equal to 2"),
        ("duration_hours", -1, "greater than or equal to 0"),
        ("cost", "lots", "must be a number (got 'lots')"),
        ("kind", "meeting", "'note', 'step', 'decision' or 'handoff'"),
        ("color", "red", "must be a colour like #1971C2"),
    ],
)
def test_invalid_values_are_refused_naming_entity_field_and_rule(
    doc: Document, field, value, rule
) -> None:
    """A bad value is refused with entity, field and rule in the message; nothing changes."""
    cid, e = edits.add_card(doc, "l-sales", "s-onboard", title="Kickoff")
    doc.commit(e)
    count = doc.store.change_count()
    with pytest.raises(InvalidValue) as info:
        doc.commit([("card", cid, field, value)])
    message = str(info.value)
    assert message.startswith(f"card {cid!r}: field {field!r}") and rule in message
    assert doc.store.change_count() == count


def test_lane_kind_must_match_layer(doc: Document) -> None:
    """A process lane cannot be a touchpoints lane."""
    with pytest.raises(InvalidValue, match="a process lane must be one of: team"):
        edits.add_lane(doc, "Odd", "touchpoints", layer="process")


def test_observers_hear_exactly_what_changed(doc: Document) -> None:
    """An apply tells observers the ids whose values changed, and nothing for a duplicate."""
    events: list[DocumentEvent] = []
    doc.subscribe(events.append)
    cid, e = edits.add_card(doc, "l-sales", "s-onboard", title="Kickoff")
    change = doc.commit(e)
    assert events[-1].ids("card") == {cid} and events[-1].local
    doc.apply(change, origin="remote")  # a duplicate from the network
    assert len(events) == 1


def test_suggested_link_kinds(doc: Document) -> None:
    """Back stage to touchpoint suggests supports; team to other team suggests hand-off."""
    doc.commit(
        edits.add_lane(doc, "Customer Success", "team", team="Customer Success", lane_id="l-cs")[1]
    )
    ids = {}
    for lane in ("l-back", "l-touch", "l-sales", "l-cs"):
        ids[lane], e = edits.add_card(doc, lane, "s-onboard", title=lane)
        doc.commit(e)
    assert edits.suggest_link_kind(doc, ids["l-back"], ids["l-touch"]) == "supports"
    assert edits.suggest_link_kind(doc, ids["l-sales"], ids["l-cs"]) == "handoff"
    assert edits.suggest_link_kind(doc, ids["l-touch"], ids["l-sales"]) == "flow"


def test_save_as_copies_and_gets_its_own_replica(doc: Document, tmp_path: Path) -> None:
    """Save As writes a full copy that opens with the same cards and a different replica id."""
    doc.commit(edits.add_card(doc, "l-touch", "s-acquire", title="Pricing page")[1])
    target = doc.save_as(tmp_path / "copy.cld")
    with Document.open(target) as copy:
        assert [c.title for c in copy.cards()] == ["Pricing page"]
        assert copy.replica != doc.replica
        assert copy.store.outbox_count() == 0


def test_a_remote_change_with_a_bad_value_is_refused_whole(doc: Document, tmp_path: Path) -> None:
    """A change from elsewhere with one invalid write applies nothing and says which write."""
    from app.model.changes import Change, Write
    from app.model.document import ChangeRejected

    cid, e = edits.add_card(doc, "l-sales", "s-onboard", title="Kickoff")
    doc.commit(e)
    bad = Change(
        id="other:1",
        stamp=doc.clock.now().split("@")[0] + "@other",
        author="x",
        writes=(Write("card", cid, "title", "Renamed"), Write("card", cid, "sentiment", 9)),
    )
    with pytest.raises(ChangeRejected, match="sentiment"):
        doc.apply(bad, origin="remote")
    huge_id = Change(
        id="other:2", stamp=bad.stamp, writes=(Write("card", "x" * 500, "title", "t"),)
    )
    with pytest.raises(ChangeRejected, match="1 to 100 characters"):
        doc.apply(huge_id, origin="remote")
    assert doc.card(cid).title == "Kickoff" and doc.store.change_stamp("other:1") is None
