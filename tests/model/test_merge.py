"""Offline copies merge by exchanging change logs; conflicts are kept; clocks cannot cheat."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.cli import main as cld
from app.export.interchange import export_json
from app.model import edits
from app.model.document import Document
from app.model.merge import read_change_log
from app.model.store import new_replica_id

DAY_MS = 24 * 3600 * 1000


class Clock:
    def __init__(self, ms: int = 1_750_000_000_000) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def _design(path: Path, clock: Clock) -> Document:
    doc = Document.new(path, name="Shared", physical=clock)
    doc.commit(edits.add_stage(doc, "Onboard", stage_id="s-on")[1])
    doc.commit(edits.add_lane(doc, "Touchpoints", "touchpoints", lane_id="l-t")[1])
    for key, title in (("a", "Kickoff call"), ("b", "Welcome email")):
        doc.commit(edits.add_card(doc, "l-t", "s-on", title=title, card_id=f"c-{key}")[1])
    return doc


def _copy(src: Path, dst: Path) -> None:
    """What a consultant does: copy the file, then work on the copy (with its own replica)."""
    shutil.copy(src, dst)
    import sqlite3

    con = sqlite3.connect(dst)
    con.execute("UPDATE meta SET value=? WHERE key='replica'", (new_replica_id(),))
    con.commit()
    con.close()


def _state(path: Path) -> dict:
    with Document.open(path) as doc:
        data = export_json(doc)
        data["conflicts"] = [(c.entity_id, c.field, c.value) for c in doc.conflicts()]
        return data


def test_two_offline_copies_merge_both_ways_with_the_losing_title_kept(
    tmp_path: Path, capsys
) -> None:
    """Both edit one card's title and different cards; `cld merge` both ways makes them equal."""
    clock = Clock()
    office, laptop = tmp_path / "office.cld", tmp_path / "laptop.cld"
    _design(office, clock).close()
    _copy(office, laptop)
    with Document.open(office, physical=clock) as doc:
        clock.ms += 1000
        doc.commit(edits.update(doc, "card", "c-a", title="Kickoff call (office)"))
        doc.commit(edits.update(doc, "card", "c-b", notes="Send within 24 h"))
    with Document.open(laptop, physical=clock) as doc:
        clock.ms += 1000
        doc.commit(edits.update(doc, "card", "c-a", title="Kickoff workshop (laptop)"))
        doc.commit(edits.add_card(doc, "l-t", "s-on", title="Admin training", card_id="c-new")[1])

    assert cld(["merge", str(office), str(laptop)]) == 0
    out = capsys.readouterr().out
    assert "2 new changes" in out and "1 conflict kept" in out
    assert cld(["merge", str(laptop), str(office)]) == 0
    assert "2 new changes" in capsys.readouterr().out
    office_state, laptop_state = _state(office), _state(laptop)
    office_state.pop("name"), laptop_state.pop("name")
    assert office_state == laptop_state
    titles = {c["id"]: c["title"] for c in office_state["cards"]}
    assert titles["c-a"] == "Kickoff workshop (laptop)"  # the later write wins
    assert titles["c-new"] == "Admin training"
    assert {c["id"]: c["notes"] for c in office_state["cards"]}["c-b"] == "Send within 24 h"
    assert office_state["conflicts"] == [("c-a", "title", "Kickoff call (office)")]
    # merging again adds nothing
    assert cld(["merge", str(office), str(laptop)]) == 0
    assert "0 new changes" in capsys.readouterr().out


def test_a_file_copied_with_cp_becomes_a_replica_of_its_own(tmp_path: Path, capsys) -> None:
    """A byte-for-byte copy (cp, a USB stick) edited apart from its original merges back
    without losing either side's edit: the copy took a new replica id when first opened."""
    import shutil

    clock = Clock()
    office, stick = tmp_path / "office.cld", tmp_path / "stick.cld"
    _design(office, clock).close()
    shutil.copyfile(office, stick)
    with Document.open(office, physical=clock) as doc:
        office_replica = doc.replica
        clock.ms += 1000
        doc.commit(edits.update(doc, "card", "c-a", title="Kickoff call (office)"))
    with Document.open(stick, physical=clock) as doc:
        assert doc.replica != office_replica
        clock.ms += 1000
        doc.commit(edits.update(doc, "card", "c-a", title="Kickoff workshop (stick)"))
    with Document.open(office) as doc:
        assert doc.replica == office_replica  # the original keeps its own
    assert cld(["merge", str(office), str(stick)]) == 0
    assert "1 new change" in capsys.readouterr().out
    assert cld(["merge", str(stick), str(office)]) == 0
    for path in (office, stick):
        with Document.open(path) as doc:
            assert doc.card("c-a").title == "Kickoff workshop (stick)"
            assert [c.value for c in doc.conflicts()] == ["Kickoff call (office)"]


def test_restoring_a_conflict_brings_the_lost_value_back_and_closes_it(tmp_path: Path) -> None:
    """Restore writes the lost value as a new change and the conflict is no longer listed."""
    clock = Clock()
    a = _design(tmp_path / "a.cld", clock)
    b = Document.new(tmp_path / "b.cld", physical=clock)
    b.apply_many(read_change_log(a.path), origin="merge")
    clock.ms += 10
    ca = a.commit([("card", "c-a", "title", "A's title")])
    clock.ms += 10
    cb = b.commit([("card", "c-a", "title", "B's title")])
    a.apply(cb, origin="remote")
    b.apply(ca, origin="remote")
    assert a.card("c-a").title == b.card("c-a").title == "B's title"
    (conflict,) = a.conflicts()
    assert conflict.value == "A's title" and conflict.current == "B's title"
    restore = a.resolve(conflict, restore=True)
    assert a.card("c-a").title == "A's title" and a.conflicts() == []
    b.apply(restore, origin="remote")
    assert b.card("c-a").title == "A's title" and b.conflicts() == []
    a.close(), b.close()


def test_delete_against_a_concurrent_edit_does_not_resurrect(tmp_path: Path) -> None:
    """One side deletes a card while the other edits it: it stays deleted on both, no crash."""
    clock = Clock()
    a = _design(tmp_path / "a.cld", clock)
    b = Document.new(tmp_path / "b.cld", physical=clock)
    b.apply_many(read_change_log(a.path), origin="merge")
    clock.ms += 10
    delete = a.commit(edits.delete_cards(a, ["c-a"]))
    clock.ms += 10
    edit = b.commit(
        [("card", "c-a", "title", "Edited after the delete"), ("card", "c-a", "sentiment", 1)]
    )
    a.apply(edit, origin="remote")
    b.apply(delete, origin="remote")
    for doc in (a, b):
        assert [c.id for c in doc.cards()] == ["c-b"]
        assert doc.card("c-a").deleted and doc.card("c-a").title == "Edited after the delete"
    a.close(), b.close()


def test_a_clock_a_day_ahead_cannot_win_a_later_edit(tmp_path: Path) -> None:
    """A replica whose clock is a day fast loses to an edit made later by a correct clock."""
    real = Clock()
    fast = Clock(real.ms + DAY_MS)
    good = _design(tmp_path / "good.cld", real)
    with Document.new(tmp_path / "fast.cld", physical=lambda: fast.ms) as wrong:
        wrong.apply_many(read_change_log(good.path), origin="merge")
        real.ms += 1000
        fast.ms += 1000
        early = wrong.commit([("card", "c-a", "title", "From the fast clock")])
        good.apply(early, origin="remote")  # clamped on arrival
        assert good.card("c-a").title == "From the fast clock"
        real.ms += 60_000
        fast.ms += 60_000
        later = good.commit([("card", "c-a", "title", "Later, from a correct clock")])
        # exchange everything both ways
        wrong.apply_many(read_change_log(good.path), origin="merge")
        good.apply_many(read_change_log(wrong.path), origin="merge")
        assert good.card("c-a").title == "Later, from a correct clock"
        assert wrong.card("c-a").title == "Later, from a correct clock"
        assert later.stamp > good.store.change_stamp(early.id)
        assert wrong.store.change_stamp(early.id) == good.store.change_stamp(early.id)
    good.close()


def test_clamped_edits_of_a_fast_clock_keep_their_order(tmp_path: Path) -> None:
    """Two successive edits from a fast clock, clamped on arrival, still end with the later one."""
    real = Clock()
    fast = Clock(real.ms + 60_000)  # a minute fast
    good = _design(tmp_path / "good.cld", real)
    with Document.new(tmp_path / "fast.cld", physical=lambda: fast.ms) as wrong:
        wrong.apply_many(read_change_log(good.path), origin="merge")
        fast.ms += 1
        first = wrong.commit([("card", "c-a", "title", "first")])
        fast.ms += 1
        second = wrong.commit([("card", "c-a", "title", "second")])
        good.apply_many([first, second], origin="remote")  # both clamped in the same instant
        assert good.card("c-a").title == "second"
        good.apply_many([second], origin="remote")
        good.apply_many([first], origin="remote")
        assert good.card("c-a").title == "second"
        assert good.store.change_stamp(second.id) > good.store.change_stamp(first.id)
    good.close()
