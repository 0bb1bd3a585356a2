"""`cld export ... --with-analysis`: the poster carries the analysis findings in words."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from app.cli import main as cld
from app.model.templates import create_from_template


def test_findings_pages_follow_the_board(tmp_path: Path, capsys) -> None:
    """With --with-analysis the PDF gains pages naming the gaps the board has; without, none."""
    design = tmp_path / "b2b.cld"
    create_from_template(design, "b2b-saas").close()
    plain, analysed = tmp_path / "plain.pdf", tmp_path / "analysed.pdf"
    assert cld(["export", str(design), "-o", str(plain), "--size", "A1"]) == 0
    assert cld(["export", str(design), "-o", str(analysed), "--size", "A1", "--with-analysis"]) == 0
    assert "of analysis findings" in capsys.readouterr().out
    board_pages = len(PdfReader(plain).pages)
    reader = PdfReader(analysed)
    assert len(reader.pages) > board_pages
    text = " ".join(p.extract_text() for p in reader.pages[board_pages:])
    for expected in (
        "lifecycle analysis",
        "Critical path",
        "225 h",
        "Unsupported touchpoints (2)",
        "Hand-offs (20)",  # links, as `cld analyze` counts them (not the 11 team pairs)
        "Coverage (0 thin stages)",
        "Community forum",
        "Status page",
        "Win/loss analysis",
    ):
        assert expected in text
    assert reader.pages[-1].mediabox.width == reader.pages[0].mediabox.width
    assert "lifecycle analysis" not in " ".join(p.extract_text() for p in PdfReader(plain).pages)


def test_tiled_poster_with_findings(tmp_path: Path) -> None:
    """Tiles, the assembly page and then the findings on the same sheet size."""
    design = tmp_path / "b2b.cld"
    create_from_template(design, "b2b-saas").close()
    out = tmp_path / "tiles.pdf"
    assert cld(["export", str(design), "-o", str(out), "--tile", "A4", "--with-analysis"]) == 0
    reader = PdfReader(out)
    sizes = {
        (round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages
    }
    assert sizes == {(595, 842)}
    texts = [p.extract_text() for p in reader.pages]
    first = next(i for i, t in enumerate(texts) if "lifecycle analysis" in t)
    assert first == 13  # the assembly page and 12 tiles come first
    assert "Critical path" in texts[first]
