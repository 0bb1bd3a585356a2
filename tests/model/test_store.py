"""The design file: durable on every change, and refusing bad files without touching them."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.cli import main as cld
from app.model import edits
from app.model.document import Document
from app.model.store import FILE_FORMAT, DesignFileError, Store


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _small_design(path: Path) -> Document:
    doc = Document.new(path, name="Small")
    sid, e = edits.add_stage(doc, "Onboard")
    doc.commit(e)
    lid, e = edits.add_lane(doc, "Touchpoints", "touchpoints")
    doc.commit(e)
    _, e = edits.add_card(doc, lid, sid, title="Kickoff call")
    doc.commit(e)
    return doc


def test_every_change_is_on_disk_when_made(tmp_path: Path) -> None:
    """A second connection sees a committed change without any save or close."""
    path = tmp_path / "live.cld"
    doc = _small_design(path)
    con = sqlite3.connect(path)
    titles = [r[0] for r in con.execute("SELECT json_extract(data, '$.title') FROM card")]
    con.close()
    assert titles == ["Kickoff call"]
    doc.close()


def test_reopen_gives_the_same_board(tmp_path: Path) -> None:
    """Closing and opening a file shows the same stages, lanes and cards in order."""
    path = tmp_path / "reopen.cld"
    doc = _small_design(path)
    lane, stage = doc.lanes()[0].id, doc.stages()[0].id
    _, e = edits.add_card(doc, lane, stage, title="Welcome email")
    doc.commit(e)
    first = doc.cards_in(lane, stage)[0].id
    _, e = edits.add_card(doc, lane, stage, title="Contract signed", before=first)
    doc.commit(e)
    before = [c.title for c in doc.cards_in(lane, stage)]
    doc.close()
    with Document.open(path) as again:
        assert [c.title for c in again.cards_in(lane, stage)] == before
        assert before == ["Contract signed", "Kickoff call", "Welcome email"]


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    files["empty"] = tmp_path / "empty.cld"
    files["empty"].write_bytes(b"")
    files["random"] = tmp_path / "random.cld"
    files["random"].write_bytes(os.urandom(5000))
    files["text"] = tmp_path / "notes.cld"
    files["text"].write_text("stage,lane,title\nAcquire,Touchpoints,Demo\n")
    good = tmp_path / "good.cld"
    _small_design(good).close()
    data = good.read_bytes()
    files["truncated"] = tmp_path / "truncated.cld"
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["newer"] = tmp_path / "newer.cld"
    _small_design(files["newer"]).close()
    con = sqlite3.connect(files["newer"])
    con.execute("UPDATE meta SET value=? WHERE key='file_format'", (str(FILE_FORMAT + 1),))
    con.commit()
    con.close()
    files["other_sqlite"] = tmp_path / "other.cld"
    con = sqlite3.connect(files["other_sqlite"])
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    return files


EXPECTED = {
    "empty": "is empty",
    "random": "not a CLD design file",
    "text": "not a CLD design file",
    "truncated": "damaged",
    "newer": "newer CLD Desktop",
    "other_sqlite": "another program",
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_bad_file_is_refused_clearly_and_left_untouched(tmp_path: Path, kind: str, capsys) -> None:
    """Opening a bad file says what is wrong and leaves every byte of it as it was."""
    path = _bad_files(tmp_path)[kind]
    before = _digest(path)
    with pytest.raises(DesignFileError, match=EXPECTED[kind]):
        Document.open(path)
    assert _digest(path) == before
    # the command line says the same in one line, exit status 2, no traceback
    assert cld(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert EXPECTED[kind] in err and "Traceback" not in err and err.count("\n") == 1
    assert _digest(path) == before


def test_missing_file_message(tmp_path: Path) -> None:
    """A path that does not exist is named, with how to create a design."""
    with pytest.raises(DesignFileError, match="cld new"):
        Store.open(tmp_path / "nope.cld")


def _as_older_format(path: Path, monkeypatch: pytest.MonkeyPatch, step: object) -> None:
    """Make this build one file format newer, with ``step`` as the upgrade from today's."""
    from app.model import store

    monkeypatch.setattr(store, "FILE_FORMAT", FILE_FORMAT + 1)
    monkeypatch.setitem(store.MIGRATIONS, FILE_FORMAT, step)


def test_an_older_file_is_migrated_and_keeps_its_design(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of the previous format opens upgraded, with its cards and its history."""
    path = tmp_path / "old.cld"
    _small_design(path).close()

    def add_index(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE INDEX ix_changes_author ON changes (author)")

    _as_older_format(path, monkeypatch, add_index)
    doc = Document.open(path)
    assert [c.title for c in doc.cards()] == ["Kickoff call"]
    assert doc.store.meta("file_format") == str(FILE_FORMAT + 1)
    doc.close()
    con = sqlite3.connect(path)
    indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    history = con.execute("SELECT count(*) FROM changes").fetchone()[0]
    con.close()
    assert "ix_changes_author" in indexes and history == 3
    Document.open(path).close()  # a second open has nothing left to migrate


def test_a_failed_migration_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade step that fails is taken back whole, with a message that says what to do."""
    path = tmp_path / "old.cld"
    _small_design(path).close()
    before = _digest(path)

    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("disk full")

    _as_older_format(path, monkeypatch, half_then_fail)
    with pytest.raises(DesignFileError, match="could not be upgraded.*left as it was"):
        Document.open(path)
    assert _digest(path) == before
    monkeypatch.undo()
    doc = Document.open(path)
    assert [c.title for c in doc.cards()] == ["Kickoff call"]
    doc.close()


WRITER = textwrap.dedent(
    """
    import sys
    from app.model import edits
    from app.model.document import Document
    doc = Document.new(sys.argv[1], name="stream")
    sid, e = edits.add_stage(doc, "Onboard"); doc.commit(e)
    lid, e = edits.add_lane(doc, "Sales", "team", team="Sales"); doc.commit(e)
    i = 0
    while True:
        cid, e = edits.add_card(doc, lid, sid, title=f"step {i}", card_id=f"c-{i}")
        change = doc.commit(e)
        print(change.id, flush=True)
        i += 1
    """
)


@pytest.mark.slow
def test_kill_9_while_writing_leaves_a_sound_file(tmp_path: Path) -> None:
    """After kill -9 mid-stream the file passes integrity_check and has the last committed change."""
    path = tmp_path / "stream.cld"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None
    last = None
    for _ in range(300):
        last = proc.stdout.readline().strip()
    proc.kill()  # SIGKILL
    proc.wait()
    assert last
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    with Document.open(path) as doc:
        assert doc.store.integrity_check() == "ok"
        assert doc.store.change_stamp(last) is not None
        titles = {c.title for c in doc.cards()}
        assert {f"step {i}" for i in range(298)} <= titles
