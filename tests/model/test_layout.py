"""Board geometry: columns, lanes, card boxes, lines, curves and routes from content."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.model import edits
from app.model.document import Document
from app.model.layout import (
    EMOTION_DOT_X,
    BoardLayouter,
    LayoutOptions,
    compute_layout,
    text_width,
    wrap_text,
)


def small_board(path: Path) -> tuple[Document, dict[str, str]]:
    """Two stages; actions, emotions, front stage, back stage, support and a team lane."""
    doc = Document.new(path, name="Layout test")
    ids: dict[str, str] = {}
    for name in ("Acquire", "Onboard"):
        sid, e = edits.add_stage(doc, name, stage_id=f"s-{name.lower()}")
        doc.commit(e)
        ids[name] = sid
    lanes = [
        ("Actions", "actions"),
        ("Emotions", "emotions"),
        ("Customer actions", "customer_actions"),
        ("Front stage", "frontstage"),
        ("Back stage", "backstage"),
        ("Support", "support"),
        ("Sales", "team"),
    ]
    for name, kind in lanes:
        lid, e = edits.add_lane(doc, name, kind, lane_id=f"l-{kind}")
        doc.commit(e)
        ids[kind] = lid
    for title, kind, stage, extra in [
        ("Finds us through a webinar", "actions", "Acquire", {}),
        ("Excited", "emotions", "Acquire", {"sentiment": 2}),
        ("Confused by setup", "emotions", "Onboard", {"sentiment": -2}),
        ("Demo call", "frontstage", "Acquire", {"channel": "Zoom"}),
        ("Prepare demo account", "backstage", "Acquire", {}),
        (
            "Qualify lead",
            "team",
            "Acquire",
            {"owner": "SDR", "duration_hours": 2.0, "kind": "step"},
        ),
    ]:
        cid, e = edits.add_card(doc, ids[kind], ids[stage], title=title, **extra)
        doc.commit(e)
        ids[title] = cid
    return doc, ids


@pytest.fixture
def board(tmp_path: Path) -> tuple[Document, dict[str, str]]:
    doc, ids = small_board(tmp_path / "b.cld")
    yield doc, ids
    doc.close()


def test_text_measure_matches_font_widths() -> None:
    """Widths follow the font's advances: 'W' is wider than 'i', size scales linearly."""
    assert text_width("W", 10) > text_width("i", 10)
    assert text_width("hello", 20) == pytest.approx(2 * text_width("hello", 10))
    assert text_width("abc", 10, bold=True) > text_width("abc", 10)


def test_wrap_keeps_lines_within_width_and_ellipsizes() -> None:
    """Wrapped lines fit the width; a cut text ends with an ellipsis; long words break."""
    text = "The customer signs the order form and receives the welcome pack by email"
    lines = wrap_text(text, 100, 11)
    assert len(lines) > 2
    assert all(text_width(line, 11) <= 100 for line in lines)
    assert " ".join(lines) == text
    cut = wrap_text(text, 100, 11, max_lines=2)
    assert len(cut) == 2 and cut[-1].endswith("\u2026")
    assert all(text_width(line, 11) <= 100 for line in wrap_text("x" * 80, 100, 11))
    assert wrap_text("", 100, 11) == ()


def test_columns_lanes_and_cards_are_placed_in_order(board) -> None:
    """Stages run left to right after the label column; lanes stack by layer; cards sit in their cell."""
    doc, ids = board
    lay = compute_layout(doc)
    assert [s.name for s in lay.stages] == ["Acquire", "Onboard"]
    assert lay.stages[0].x == lay.label_width
    assert lay.stages[1].x == lay.stages[0].x + lay.stages[0].width
    assert [ln.kind for ln in lay.lanes] == [
        "actions",
        "emotions",
        "customer_actions",
        "frontstage",
        "backstage",
        "support",
        "team",
    ]
    assert [b.layer for b in lay.layer_bands] == ["journey", "blueprint", "process"]
    for a, b in zip(lay.lanes, lay.lanes[1:], strict=False):
        assert b.y >= a.y + a.height
    assert len(lay.cards) == 6
    for box in lay.cards.values():
        x, y, w, h = lay.cell_rect(box.lane, box.stage)
        assert x <= box.x and box.x + box.w <= x + w
        assert y <= box.y and box.y + box.h <= y + h
        assert lay.cell_at(box.x + 1, box.y + 1) == (box.lane, box.stage)
    assert lay.width >= lay.stages[-1].x + lay.stages[-1].width
    assert lay.height >= lay.lanes[-1].y + lay.lanes[-1].height


def test_card_box_shows_footer_for_its_kind(board) -> None:
    """A touchpoint shows its channel, a process step its owner and duration."""
    doc, ids = board
    lay = compute_layout(doc)
    assert lay.cards[ids["Demo call"]].footer == "Zoom"
    assert lay.cards[ids["Qualify lead"]].footer == "SDR \u00b7 2 h"
    assert lay.cards[ids["Finds us through a webinar"]].lines


def test_lane_grows_with_its_tallest_cell(board) -> None:
    """Adding cards to one cell makes its lane taller and, past the stack, its stage wider."""
    doc, ids = board
    before = compute_layout(doc)
    lane_h = before.lane(ids["actions"]).height
    width = before.stage(ids["Acquire"]).width
    for i in range(3):
        _, e = edits.add_card(doc, ids["actions"], ids["Acquire"], title=f"Extra {i}")
        doc.commit(e)
    after = compute_layout(doc)
    assert after.lane(ids["actions"]).height > lane_h
    assert after.stage(ids["Acquire"]).width > width
    assert after.stage(ids["Acquire"]).cols == 2


def test_blueprint_lines_sit_between_their_lanes(board) -> None:
    """The three separators lie on the lane boundaries, in order, with their labels."""
    doc, ids = board
    lay = compute_layout(doc)
    by_name = {line.name: line for line in lay.lines}
    assert set(by_name) == {"interaction", "visibility", "internal"}
    assert by_name["interaction"].y == lay.lane(ids["frontstage"]).y
    assert by_name["visibility"].y == lay.lane(ids["backstage"]).y
    assert by_name["internal"].y == lay.lane(ids["support"]).y
    assert by_name["visibility"].label == "Line of visibility"


def test_emotion_curve_follows_sentiment(board) -> None:
    """The curve is higher where the customer feels better; cards sit at their sentiment."""
    doc, ids = board
    lay = compute_layout(doc)
    (curve,) = lay.curves
    assert [p.stage for p in curve.points] == [ids["Acquire"], ids["Onboard"]]
    assert curve.points[0].y < curve.points[1].y
    assert lay.cards[ids["Excited"]].y < lay.cards[ids["Confused by setup"]].y
    # the curve runs through each card's sentiment dot
    for point, name in zip(curve.points, ["Excited", "Confused by setup"], strict=True):
        box = lay.cards[ids[name]]
        assert (point.x, point.y) == (box.x + EMOTION_DOT_X, box.y + box.h / 2)


def test_link_routes_join_box_edges(board) -> None:
    """A route starts on the source box and ends on the target box, in straight segments."""
    doc, ids = board
    _, e = edits.add_link(doc, ids["Prepare demo account"], ids["Demo call"])
    doc.commit(e)
    _, e = edits.add_link(doc, ids["Finds us through a webinar"], ids["Confused by setup"])
    doc.commit(e)
    lay = compute_layout(doc)
    assert len(lay.links) == 2
    for route in lay.links.values():
        s, t = lay.cards[route.source], lay.cards[route.target]
        (x0, y0), (x1, y1) = route.points[0], route.points[-1]
        assert s.x <= x0 <= s.x + s.w and s.y <= y0 <= s.y + s.h
        assert t.x <= x1 <= t.x + t.w and t.y <= y1 <= t.y + t.h
        for (ax, ay), (bx, by) in zip(route.points, route.points[1:], strict=False):
            assert ax == bx or ay == by
    kinds = {r.kind for r in lay.links.values()}
    assert kinds == {"supports", "flow"}


def test_hidden_layers_leave_out_lanes_cards_and_links(board) -> None:
    """Showing only the journey drops blueprint and process lanes, their cards and links."""
    doc, ids = board
    _, e = edits.add_link(doc, ids["Prepare demo account"], ids["Demo call"])
    doc.commit(e)
    lay = compute_layout(doc, layers={"journey"})
    assert {ln.layer for ln in lay.lanes} == {"journey"}
    assert ids["Demo call"] not in lay.cards and not lay.links and not lay.lines


def test_refresh_moves_only_what_changed(board) -> None:
    """Moving a card re-lays out its cells; the result equals a fresh layout."""
    doc, ids = board
    layouter = BoardLayouter(doc)
    seen = []
    doc.subscribe(lambda ev: seen.append(layouter.refresh(ev.changed)))
    doc.commit(edits.move_cards(doc, [ids["Demo call"]], ids["frontstage"], ids["Onboard"]))
    delta = seen[-1]
    assert ids["Demo call"] in delta.cards
    assert ids["Prepare demo account"] not in delta.cards
    fresh = compute_layout(doc)
    assert layouter.layout.cards == fresh.cards
    assert layouter.layout.links == fresh.links
    doc.commit(edits.delete_cards(doc, [ids["Excited"]]))
    assert ids["Excited"] in seen[-1].removed_cards and seen[-1].curves
    assert layouter.layout.curves == compute_layout(doc).curves
    _, e = edits.add_stage(doc, "Expand")
    doc.commit(e)
    assert seen[-1].structure
    assert [s.name for s in layouter.layout.stages] == ["Acquire", "Onboard", "Expand"]


def test_drop_slot_finds_the_place_between_cards(board) -> None:
    """A drop above a card lands before it; below the last card lands after it."""
    doc, ids = board
    for i in range(2):
        _, e = edits.add_card(doc, ids["actions"], ids["Acquire"], title=f"Extra {i}")
        doc.commit(e)
    lay = compute_layout(doc)
    cell = [b for b in lay.cards.values() if b.lane == ids["actions"] and b.stage == ids["Acquire"]]
    cell.sort(key=lambda b: b.y)
    after, before, _ = lay.drop_slot(ids["actions"], ids["Acquire"], cell[1].x + 5, cell[1].y - 2)
    assert (after, before) == (cell[0].id, cell[1].id)
    after, before, _ = lay.drop_slot(
        ids["actions"], ids["Acquire"], cell[2].x + 5, cell[2].y + cell[2].h + 4
    )
    assert (after, before) == (cell[2].id, None)


def test_options_change_sizes() -> None:
    """Wider cards give wider stage columns."""
    assert LayoutOptions(card_width=200).card_width == 200


def test_links_do_not_pass_behind_other_cards_on_the_sample_board(tmp_path) -> None:
    """Every segment of every route on the b2b-saas board keeps clear of the cards it
    does not join (it used to cross 62 of 131 links behind other cards); the emotion chips,
    which ride the sentiment curve, are the exception."""
    from app.model.routing import CardGrid, _path_blocked
    from app.model.templates import create_from_template

    doc = create_from_template(tmp_path / "saas.cld", "b2b-saas")
    lay = compute_layout(doc)
    grid = CardGrid()
    for box in lay.cards.values():
        if box.lane_kind != "emotions":
            grid.put(box)
    behind = [
        r.id for r in lay.links.values() if _path_blocked(r.points, grid, (r.source, r.target))
    ]
    assert behind == []
    for route in lay.links.values():  # still orthogonal, from box to box
        for (ax, ay), (bx, by) in zip(route.points, route.points[1:], strict=False):
            assert abs(ax - bx) < 0.01 or abs(ay - by) < 0.01
    doc.close()


def test_a_link_goes_round_a_card_and_straight_once_it_has_moved_away(tmp_path) -> None:
    """Team -> front stage passes the back-stage card between them: the link goes round
    it; when that card moves to another stage, settle() straightens the link."""
    from tests.boards import go_round_board

    doc, ids = go_round_board(tmp_path / "r.cld")
    layouter = BoardLayouter(doc)
    doc.subscribe(lambda ev: layouter.refresh(ev.changed))
    assert len(layouter.layout.links[ids["link"]].points) == 4  # round the back-stage card
    back = doc.card(ids["back"])
    doc.commit(edits.move_cards(doc, [ids["back"]], back.lane, ids["adopt"]))
    assert layouter.unsettled()
    layouter.settle()
    assert len(layouter.layout.links[ids["link"]].points) == 2  # straight up now
    assert layouter.layout.links == compute_layout(doc).links
    doc.close()


def test_a_card_moved_into_a_links_way_reroutes_that_link(board) -> None:
    """Once settled, the incremental layout has rerouted every link whose path a moved card
    now blocks (or no longer blocks), exactly as a fresh layout would."""
    doc, ids = board
    layouter = BoardLayouter(doc)
    doc.subscribe(lambda ev: layouter.refresh(ev.changed))
    for card in [c.id for c in doc.cards()][:6]:
        doc.commit(edits.move_cards(doc, [card], ids["frontstage"], ids["Onboard"]))
        assert layouter.unsettled()
        layouter.settle()
        assert not layouter.unsettled()
        assert layouter.layout.links == compute_layout(doc).links
