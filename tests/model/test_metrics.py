"""Measured metrics: latest values and trends for the board, and the metrics CSV import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.model import edits
from app.model.document import Document
from app.model.metrics import (
    MetricPoint,
    MetricsCsvError,
    import_metrics,
    latest_of,
    latest_values,
    metric_id,
    metric_names,
    trend,
    visible_metrics,
)


@pytest.fixture
def design(tmp_path: Path) -> Iterator[Document]:
    """Two stages; touchpoint cards "Welcome email" and two cards titled "Kickoff call"."""
    doc = Document.new(tmp_path / "design.cld", name="Metrics")
    for sid, name in (("S1", "Onboard"), ("S2", "Renew")):
        doc.commit(edits.add_stage(doc, name, stage_id=sid)[1])
    doc.commit(edits.add_lane(doc, "Touchpoints", "touchpoints", lane_id="touch")[1])
    doc.commit(edits.add_lane(doc, "Customer Success", "team", lane_id="cs")[1])
    for cid, lane, stage, title in (
        ("c-welcome", "touch", "S1", "Welcome email"),
        ("c-kick1", "touch", "S1", "Kickoff call"),
        ("c-kick2", "cs", "S1", "Kickoff call"),
        ("c-qbr", "touch", "S2", "Quarterly review"),
    ):
        doc.commit(edits.add_card(doc, lane, stage, card_id=cid, title=title)[1])
    yield doc
    doc.close()


def write(tmp_path: Path, text: str, name: str = "metrics.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """target,metric,value,date
Welcome email,CSAT,4.1,2026-01-31
welcome EMAIL,CSAT,4.4,2026-02-28
c-qbr,CSAT,3.9,2026-02-28
onboard,Days to value,21,2026-01-31
S1,Days to value,17,2026-02-28
"""


def test_import_resolves_ids_and_titles_case_insensitively(
    design: Document, tmp_path: Path
) -> None:
    """Rows name a card or stage by id or by title in any case; each becomes a stored metric."""
    result = import_metrics(design, write(tmp_path, GOOD))
    assert (result.rows, result.changed) == (5, 5)
    stored = {(m.target, m.metric, m.date): m.value for m in visible_metrics(design)}
    assert stored == {
        ("c-welcome", "CSAT", "2026-01-31"): 4.1,
        ("c-welcome", "CSAT", "2026-02-28"): 4.4,
        ("c-qbr", "CSAT", "2026-02-28"): 3.9,
        ("S1", "Days to value", "2026-01-31"): 21.0,
        ("S1", "Days to value", "2026-02-28"): 17.0,
    }


def test_import_is_one_change(design: Document, tmp_path: Path) -> None:
    """The whole file is one Change, so one undo takes it back."""
    before = design.store.change_count()
    import_metrics(design, write(tmp_path, GOOD))
    assert design.store.change_count() == before + 1


def test_reimporting_the_same_file_merges_instead_of_duplicating(
    design: Document, tmp_path: Path
) -> None:
    """Importing a file twice keeps one metric per target, metric and date and makes no new change."""
    path = write(tmp_path, GOOD)
    import_metrics(design, path)
    count, changes = len(design.entities("metric")), design.store.change_count()
    again = import_metrics(design, path)
    assert again.changed == 0
    assert (len(design.entities("metric")), design.store.change_count()) == (count, changes)


def test_a_corrected_value_replaces_the_measurement_of_that_date(
    design: Document, tmp_path: Path
) -> None:
    """A later file with another value for the same target, metric and date updates that metric."""
    import_metrics(design, write(tmp_path, GOOD))
    fixed = import_metrics(
        design, write(tmp_path, "target,metric,value,date\nc-qbr,CSAT,4.0,2026-02-28\n")
    )
    assert fixed.changed == 1
    assert trend(visible_metrics(design), "c-qbr", "CSAT") == [MetricPoint("2026-02-28", 4.0)]
    assert len(design.entities("metric")) == 5


def test_same_file_on_two_copies_merges_to_one_metric(tmp_path: Path) -> None:
    """Two laptops importing the same measurement create the same entity id, so a merge keeps one."""
    assert metric_id("c-qbr", "CSAT", "2026-02-28") == metric_id("c-qbr", "CSAT", "2026-02-28")
    assert metric_id("c-qbr", "CSAT", "2026-02-28") != metric_id("c-qbr", "CSAT", "2026-03-31")
    assert metric_id("c-qbr", "CSAT", "2026-02-28") != metric_id("c-qbr", "NPS", "2026-02-28")


def test_latest_value_names_and_trend(design: Document, tmp_path: Path) -> None:
    """The board reads the latest value per target and metric, the metric names and a dated trend."""
    # rows out of date order: the latest is by date, not by row
    text = (
        "target,metric,value,date\nc-welcome,CSAT,4.4,2026-02-28\nc-welcome,CSAT,4.1,2026-01-31\n"
    )
    import_metrics(design, write(tmp_path, text + GOOD.split("\n", 1)[1]))
    metrics = visible_metrics(design)
    assert metric_names(metrics) == ["CSAT", "Days to value"]
    assert latest_values(metrics)[("c-welcome", "CSAT")] == MetricPoint("2026-02-28", 4.4)
    assert latest_of(metrics, "Days to value") == {"S1": MetricPoint("2026-02-28", 17.0)}
    assert trend(metrics, "S1", "Days to value") == [
        MetricPoint("2026-01-31", 21.0),
        MetricPoint("2026-02-28", 17.0),
    ]
    assert trend(metrics, "S2", "CSAT") == []


def test_metrics_of_a_deleted_card_are_not_shown(design: Document, tmp_path: Path) -> None:
    """Deleting a card hides its measurements from the board; the stage's stay."""
    import_metrics(design, write(tmp_path, GOOD))
    design.commit(edits.delete_cards(design, ["c-welcome"]))
    assert {m.target for m in visible_metrics(design)} == {"c-qbr", "S1"}


def test_bad_rows_are_all_reported_by_number_and_nothing_is_imported(
    design: Document, tmp_path: Path
) -> None:
    """Every bad row is named with its row number and reason; no metric is stored."""
    text = (
        "target,metric,value,date\n"
        "Welcome email,CSAT,4.1,2026-01-31\n"  # row 2: fine
        "Kickoff call,CSAT,4.0,2026-01-31\n"  # row 3: two cards have this title
        "Nowhere,CSAT,4.0,2026-01-31\n"  # row 4: unknown target
        "\n"
        "c-qbr,,high,31/01/2026\n"  # row 6: no metric, bad value, bad date
        "c-qbr,CSAT,3,2026-02-30\n"  # row 7: no such day
        "Welcome email,CSAT,3.0,2026-01-31\n"  # row 8: contradicts row 2
    )
    with pytest.raises(MetricsCsvError) as caught:
        import_metrics(design, write(tmp_path, text))
    assert [(e.row, e.reason) for e in caught.value.errors] == [
        (
            3,
            "'Kickoff call' is the title of 2 things (card c-kick1 in Onboard / Touchpoints, "
            "card c-kick2 in Onboard / Customer Success); use the id",
        ),
        (4, "no card or stage has the id or title 'Nowhere'"),
        (
            6,
            "no metric name; value 'high' is not a number; date '31/01/2026' is not a date like 2026-01-31",
        ),
        (7, "date '2026-02-30' is not a date like 2026-01-31"),
        (8, "gives CSAT of the same target and date as row 2 another value (3 here, 4.1 there)"),
    ]
    message = str(caught.value)
    assert message.startswith("metrics.csv: 5 bad rows, nothing imported")
    assert "\n  row 3: " in message
    assert design.entities("metric") == []


def test_a_stage_and_card_sharing_a_title_is_ambiguous(design: Document, tmp_path: Path) -> None:
    """A title that is both a stage name and a card title is refused; the id resolves it."""
    design.commit(edits.add_card(design, "touch", "S2", card_id="c-renew", title="Renew")[1])
    with pytest.raises(MetricsCsvError) as caught:
        import_metrics(
            design, write(tmp_path, "target,metric,value,date\nRENEW,NPS,40,2026-01-31\n")
        )
    assert [e.row for e in caught.value.errors] == [2]
    assert "stage S2" in caught.value.errors[0].reason
    import_metrics(design, write(tmp_path, "target,metric,value,date\nS2,NPS,40,2026-01-31\n"))
    assert latest_of(visible_metrics(design), "NPS") == {"S2": MetricPoint("2026-01-31", 40.0)}


def test_cli_imports_metrics_and_leaves_card_csv_to_the_card_importer(
    design: Document, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cld import FILE metrics.csv` stores metrics; a CSV without metric columns goes to the card import."""
    path = design.path
    design.close()
    assert main(["import", str(path), str(write(tmp_path, GOOD))]) == 0
    assert "imported 5 new or changed measurements of 5" in capsys.readouterr().out
    assert main(["import", str(path), str(write(tmp_path, GOOD))]) == 0
    assert "already in" in capsys.readouterr().out
    cards = write(tmp_path, "title,lane,stage\nHello,Touchpoints,Onboard\n", name="cards.csv")
    status = main(["import", str(path), str(cards)])
    err = capsys.readouterr().err
    assert "metric" not in err  # whatever the card importer says, it is not the metrics importer
    with Document.open(path) as doc:
        assert len(doc.entities("metric")) == 5
        if status == 0:
            assert any(c.title == "Hello" for c in doc.cards())


def test_cli_reports_bad_metric_rows_with_status_2(
    design: Document, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad metrics CSV exits with status 2 and lists the bad rows, without a traceback."""
    path = design.path
    design.close()
    bad = write(tmp_path, "Target,Metric,Value,Date\nNowhere,CSAT,x,2026-01-31\n")
    assert main(["import", str(path), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cld: metrics.csv: 1 bad row, nothing imported")
    assert "row 2: no card or stage has the id or title 'Nowhere'; value 'x' is not a number" in err
    assert "Traceback" not in err
    with Document.open(path) as doc:
        assert doc.entities("metric") == []


def test_a_metrics_csv_missing_a_column_is_told_which(
    design: Document, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without its date column a metrics file is told so, not sent to the card importer."""
    path = design.path
    design.close()
    bad = write(tmp_path, "target,metric,value\nOnboard,days_to_value,30\n")
    assert main(["import", str(path), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "looks like a metrics CSV but has no date column" in err and err.count("\n") == 1


def test_cli_analyze_prints_json_with_the_issue_keys(
    design: Document, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cld analyze FILE --json` prints one object; without --json a report in words."""
    path = design.path
    design.close()
    assert main(["analyze", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unsupported_touchpoints"] == ["c-welcome", "c-kick1", "c-qbr"]
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Unsupported touchpoints: 3" in out
    assert "“Welcome email” (Onboard · Touchpoints)" in out


def test_heat_places_latest_values_between_lowest_and_highest(
    design: Document, tmp_path: Path
) -> None:
    """The heat overlay scale runs from the lowest latest value (0) to the highest (1)."""
    from app.model.metrics import heat

    import_metrics(design, write(tmp_path, GOOD))
    assert heat(latest_of(visible_metrics(design), "CSAT")) == pytest.approx(
        {"c-welcome": 1.0, "c-qbr": 0.0}
    )
    assert heat({"S1": MetricPoint("2026-01-31", 3.0)}) == {"S1": 0.5}
    assert heat({}) == {}
