"""JSON and CSV interchange: round trips, the schema, and bad input that imports nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
import pytest

from app.cli import main as cld
from app.export.interchange import (
    InterchangeError,
    export_cards_csv,
    export_json,
    import_cards_csv,
    import_json,
    json_schema,
)
from app.model import edits
from app.model.document import Document


def _board(path: Path) -> Document:
    doc = Document.new(path, name="Round trip")
    for name in ("Acquire", "Onboard"):
        doc.commit(edits.add_stage(doc, name, stage_id=f"s-{name.lower()}", phase=name.lower())[1])
    doc.commit(edits.add_lane(doc, "Touchpoints", "touchpoints", lane_id="l-touch")[1])
    doc.commit(edits.add_lane(doc, "Customer actions", "actions", lane_id="l-act")[1])
    doc.commit(edits.add_lane(doc, "Customer actions", "customer_actions", lane_id="l-bact")[1])
    doc.commit(edits.add_lane(doc, "Sales", "team", team="Sales", lane_id="l-sales")[1])
    a, e = edits.add_card(
        doc,
        "l-touch",
        "s-acquire",
        title="Pricing page 价格",
        channel="Website",
        sentiment=1,
        tags=["web", "self-serve"],
    )
    doc.commit(e)
    b, e = edits.add_card(
        doc,
        "l-sales",
        "s-onboard",
        title="Handover",
        kind="handoff",
        owner="AE",
        duration_hours=2.5,
        cost=120,
    )
    doc.commit(e)
    doc.commit(edits.add_link(doc, b, a, label="explains")[1])
    doc.commit(edits.toggle_vote(doc, a, "ana"))
    return doc


def test_json_round_trip_is_exact(tmp_path: Path) -> None:
    """Export, import into a new file, export again: the two exports are equal."""
    with _board(tmp_path / "a.cld") as doc:
        first = export_json(doc)
    with Document.new(tmp_path / "b.cld") as copy:
        import_json(copy, json.dumps(first))
        second = export_json(copy)
    assert second == first
    assert len(first["cards"]) == 2 and first["cards"][0]["title"] == "Pricing page 价格"


def test_export_validates_against_the_generated_schema(tmp_path: Path) -> None:
    """The JSON export is valid under the JSON Schema that `cld schema` prints."""
    with _board(tmp_path / "a.cld") as doc:
        data = export_json(doc)
    jsonschema.validate(data, json_schema())
    data["cards"][0]["sentiment"] = 7
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())


def test_minimal_hand_written_file_imports_in_list_order(tmp_path: Path) -> None:
    """No ranks and no optional fields: list order gives the order, defaults fill the rest."""
    text = json.dumps(
        {
            "format": "cld-design",
            "version": 1,
            "stages": [{"id": "s2", "name": "Second"}, {"id": "s1", "name": "First"}],
            "lanes": [
                {"id": "t", "name": "Touchpoints", "layer": "journey", "kind": "touchpoints"}
            ],
            "cards": [
                {"id": f"c{i}", "lane": "t", "stage": "s1", "title": f"card {i}"} for i in (3, 1, 2)
            ],
        }
    )
    with Document.new(tmp_path / "m.cld") as doc:
        import_json(doc, text)
        assert [s.name for s in doc.stages()] == ["Second", "First"]
        assert [c.title for c in doc.cards_in("t", "s1")] == ["card 3", "card 1", "card 2"]


def test_bad_json_lists_every_problem_and_imports_nothing(tmp_path: Path) -> None:
    """Each bad entry is named with its place and rule; the design is unchanged."""
    text = json.dumps(
        {
            "format": "cld-design",
            "version": 1,
            "stages": [{"id": "s1", "name": "S"}],
            "lanes": [{"id": "t", "name": "T", "layer": "process", "kind": "touchpoints"}],
            "cards": [
                {"id": "c1", "lane": "t", "stage": "nowhere", "title": "x"},
                {"id": "c2", "lane": "t", "stage": "s1", "sentiment": 9},
            ],
        }
    )
    with Document.new(tmp_path / "m.cld") as doc:
        with pytest.raises(InterchangeError) as info:
            import_json(doc, text)
        message = str(info.value)
        assert "cards.1.sentiment" in message
        assert doc.store.change_count() == 0 and doc.cards() == []
        with pytest.raises(InterchangeError, match="not valid JSON"):
            import_json(doc, "{oops")
        with pytest.raises(InterchangeError, match="not a CLD design"):
            import_json(doc, "[1, 2]")


def test_reference_problems_are_all_reported(tmp_path: Path) -> None:
    """A lane kind outside its layer and a card in a missing stage are both reported."""
    text = json.dumps(
        {
            "format": "cld-design",
            "version": 1,
            "stages": [{"id": "s1", "name": "S"}],
            "lanes": [{"id": "t", "name": "T", "layer": "process", "kind": "touchpoints"}],
            "cards": [{"id": "c1", "lane": "t", "stage": "nowhere", "title": "x"}],
        }
    )
    with Document.new(tmp_path / "m.cld") as doc:
        with pytest.raises(InterchangeError) as info:
            import_json(doc, text)
        assert "lanes.0" in str(info.value) and "cards.0.stage: no stage with id 'nowhere'" in str(
            info.value
        )
        assert doc.cards() == []


CSV_GOOD = """stage,lane,title,owner,sentiment,duration_hours,tags,layer
Acquire,Touchpoints,Webinar,,1,,events; marketing,
Onboard,Sales,Contract handover,AE,,3,,
Onboard,Customer actions,Signs order form,,,,,blueprint
"""


def test_csv_import_adds_every_row_as_one_change(tmp_path: Path) -> None:
    """Rows land in their cells by stage and lane name, as a single change."""
    with _board(tmp_path / "a.cld") as doc:
        count = doc.store.change_count()
        assert import_cards_csv(doc, CSV_GOOD) == 3
        assert doc.store.change_count() == count + 1
        web = doc.cards_in("l-touch", "s-acquire")[-1]
        assert (web.title, web.sentiment, web.tags) == ("Webinar", 1, ["events", "marketing"])
        assert doc.cards_in("l-sales", "s-onboard")[-1].duration_hours == 3.0
        assert doc.cards_in("l-bact", "s-onboard")[0].title == "Signs order form"


def test_csv_with_bad_rows_reports_each_and_imports_nothing(tmp_path: Path) -> None:
    """Every bad row is listed with its number and reason; the design is unchanged."""
    bad = (
        "stage,lane,title,sentiment,duration_hours\n"
        "Acquire,Touchpoints,Fine row,1,\n"
        "Nowhere,Touchpoints,Bad stage,,\n"
        "Acquire,Touchpoints,,,\n"
        "Acquire,Touchpoints,Too happy,5,\n"
        "Acquire,Customer actions,Ambiguous lane,,\n"
        "Onboard,Sales,Slow,,-3\n"
        "Onboard,Sales,Words,,two days\n"
    )
    with _board(tmp_path / "a.cld") as doc:
        before = export_json(doc)
        with pytest.raises(InterchangeError) as info:
            import_cards_csv(doc, bad)
        message = str(info.value)
        for row, reason in (
            (3, "no stage named 'Nowhere'"),
            (4, "title is empty"),
            (5, "less than or equal to 2"),
            (6, "several layers"),
            (7, "greater than or equal to 0"),
            (8, "must be a number"),
        ):
            assert f"row {row}: " in message and reason in message
        assert "row 2" not in message
        assert export_json(doc) == before


def test_csv_missing_columns(tmp_path: Path) -> None:
    """A CSV without the required columns says which are missing."""
    with _board(tmp_path / "a.cld") as doc, pytest.raises(InterchangeError, match="missing: lane"):
        import_cards_csv(doc, "stage,title\nAcquire,x\n")


def test_csv_export_reimports_to_the_same_cards(tmp_path: Path) -> None:
    """Cards exported as CSV import into a board with the same lanes as the same cards."""
    with _board(tmp_path / "a.cld") as doc:
        text = export_cards_csv(doc)
        expected = sorted(
            (c.title, c.owner, c.sentiment, c.duration_hours, tuple(c.tags)) for c in doc.cards()
        )
    with _board(tmp_path / "b.cld") as other:
        for card in other.cards():
            other.commit(edits.delete_cards(other, [card.id]))
        import_cards_csv(other, text)
        got = sorted(
            (c.title, c.owner, c.sentiment, c.duration_hours, tuple(c.tags)) for c in other.cards()
        )
    assert got == expected


def test_cli_import_export_and_errors(tmp_path: Path, capsys) -> None:
    """`cld export`/`cld import` write and read files; a bad CSV exits 2 with the row list."""
    path = tmp_path / "a.cld"
    _board(path).close()
    out = tmp_path / "a.json"
    assert cld(["export", str(path), "-o", str(out)]) == 0
    assert json.loads(out.read_text())["format"] == "cld-design"
    fresh = tmp_path / "fresh.cld"
    Document.new(fresh).close()
    assert cld(["import", str(fresh), str(out)]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("stage,lane,title\nNowhere,Touchpoints,x\n")
    capsys.readouterr()
    assert cld(["import", str(fresh), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "Nowhere" in err and "Traceback" not in err
    assert cld(["export", str(path), "-o", str(tmp_path / "a.docx")]) == 2
    assert "cannot export" in capsys.readouterr().err
    assert cld(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "CLD design"


def test_a_csv_exported_from_the_board_updates_its_cards_when_imported_back(
    tmp_path: Path, capsys
) -> None:
    """Export, edit in a spreadsheet, import: the edited cards change, a row without an id
    is a new card, and nothing is doubled; importing it unchanged changes nothing."""
    path = tmp_path / "a.cld"
    _board(path).close()
    out = tmp_path / "cards.csv"
    assert cld(["export", str(path), "-o", str(out)]) == 0
    with Document.open(path) as doc:
        before = len(doc.cards())
    assert cld(["import", str(path), str(out)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    lines = out.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    first = next(csv.DictReader([lines[0], lines[1]]))
    first["title"], first["owner"] = "Retitled in a spreadsheet", ""
    added = dict(first, id="", title="A brand new card")
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerow(first)
        writer.writerow(added)
    assert cld(["import", str(path), str(out)]) == 0
    assert "1 new card, 1 card updated" in capsys.readouterr().out
    with Document.open(path) as doc:
        assert len(doc.cards()) == before + 1
        card = doc.card(first["id"])
        assert card.title == "Retitled in a spreadsheet" and card.owner == ""
