"""Vector PDF posters: one sheet or tiled, read back with pypdf and rendered with pdftoppm."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pypdf
import pytest

from app.cli import main
from app.export.paper import MM, SIZES
from app.export.poster import (
    MAX_SHEETS,
    PosterCancelled,
    PosterError,
    export_poster,
    plan_poster,
    request_from_options,
)
from app.model import edits as E
from app.model.document import Document
from app.model.templates import create_from_template


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The B2B SaaS template (148 cards in all three layers), closed, as a file."""
    path = tmp_path_factory.mktemp("poster") / "saas.cld"
    create_from_template(path, "b2b-saas").close()
    return path


@pytest.fixture
def doc(board: Path) -> Document:
    d = Document.open(board)
    yield d
    d.close()


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in pypdf.PdfReader(pdf).pages]


def fragments(page: pypdf.PageObject) -> list[tuple[str, float, float]]:
    """Every piece of text on a page, in drawing order, with its position on the page."""
    out: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, _size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            out.append((text, x, y))

    page.extract_text(visitor_text=visit)
    return out


def squeeze(text: str) -> str:
    return "".join(text.split())


def ink_fraction(pdf: Path, page: int) -> float:
    """Share of non-white pixels of one page rendered at 20 dpi by pdftoppm."""
    ppm = subprocess.run(
        ["pdftoppm", "-r", "20", "-f", str(page), "-l", str(page), str(pdf)],
        check=True,
        capture_output=True,
    ).stdout
    # binary PPM: "P6\n<w> <h>\n255\n" then RGB bytes
    header, _, rest = ppm.partition(b"\n")
    dims, _, rest = rest.partition(b"\n")
    _maxval, _, data = rest.partition(b"\n")
    assert header == b"P6"
    pixels = len(data) // 3
    inked = sum(
        1 for i in range(0, len(data), 3) if data[i] < 245 or data[i + 1] < 245 or data[i + 2] < 245
    )
    return inked / pixels


def test_fitted_poster_is_one_sheet_of_the_requested_size(doc: Document, tmp_path: Path) -> None:
    """A0 landscape, a custom size and Letter portrait each give one page of that size."""
    cases = [
        ("A0", "landscape", (1189 * MM, 841 * MM)),
        ("800x600mm", None, (800 * MM, 600 * MM)),
        ("Letter", "portrait", (612.0, 792.0)),
    ]
    for size, orientation, expected in cases:
        out = tmp_path / f"{size}.pdf"
        export_poster(doc, out, request_from_options(size=size, orientation=orientation))
        [(w, h)] = page_sizes(out)
        assert (w, h) == pytest.approx(expected, abs=0.5)


def test_every_card_title_is_in_the_text_layer(doc: Document, tmp_path: Path) -> None:
    """Searching the poster finds every card, even those whose text the card cuts short."""
    out = tmp_path / "fit.pdf"
    export_poster(doc, out, request_from_options(size="A0"))
    text = squeeze("".join(t for t, _x, _y in fragments(pypdf.PdfReader(out).pages[0])))
    missing = [c.title for c in doc.cards() if squeeze(c.title) not in text]
    assert not missing
    for stage in doc.stages():
        assert squeeze(stage.name) in text
    assert squeeze(doc.name) in text  # the title block


def test_tiled_poster_pages_match_the_request(doc: Document, tmp_path: Path) -> None:
    """Tiles at 100 % on A4: an assembly page plus rows × columns sheets, all A4; same in landscape."""
    for orientation, expected in (("portrait", SIZES["A4"]), ("landscape", SIZES["A4"][::-1])):
        out = tmp_path / f"tiles-{orientation}.pdf"
        request = request_from_options(tile="A4", scale="100%", orientation=orientation)
        result = export_poster(doc, out, request)
        plan = result.plan
        sizes = page_sizes(out)
        assert len(sizes) == plan.rows * plan.cols + 1
        assert plan.rows * plan.cols > 1
        assert all(s == pytest.approx(expected, abs=0.5) for s in sizes)


def test_each_tile_is_labelled_and_the_assembly_page_shows_the_grid(
    doc: Document, tmp_path: Path
) -> None:
    """Every sheet says where it goes ("B2 of 3×5"); the first page names every sheet."""
    out = tmp_path / "tiles.pdf"
    plan = export_poster(doc, out, request_from_options(tile="A4")).plan
    pages = pypdf.PdfReader(out).pages
    assembly = pages[0].extract_text()
    assert "assembly guide" in assembly
    for tile, page in zip(plan.tiles, pages[1:], strict=True):
        assert f"{tile.label} of {plan.rows}×{plan.cols}" in page.extract_text()
        assert tile.label in assembly


def test_neighbouring_tiles_overlap_by_the_requested_amount(doc: Document, tmp_path: Path) -> None:
    """A card drawn on two neighbouring sheets sits one printable width less the overlap apart."""
    out = tmp_path / "tiles.pdf"
    overlap = 15 * MM
    plan = export_poster(doc, out, request_from_options(tile="A4", overlap="15mm")).plan
    pw, ph = plan.printable
    pages = pypdf.PdfReader(out).pages
    titles = {squeeze(c.title) for c in doc.cards()}

    def positions(row: int, col: int) -> dict[str, tuple[float, float]]:
        page = pages[1 + row * plan.cols + col]
        return {
            squeeze(t): (x, y) for t, x, y in fragments(page) if squeeze(t) in titles or len(t) > 12
        }

    checked = 0
    for (r, c), (r2, c2), axis, printable in (((0, 0), (0, 1), 0, pw), ((0, 1), (1, 1), 1, ph)):
        a, b = positions(r, c), positions(r2, c2)
        shared = [t for t in a if t in b and abs(a[t][1 - axis] - b[t][1 - axis]) < 0.01]
        assert shared, "no card straddles these two sheets"
        for t in shared:
            shift = abs(a[t][axis] - b[t][axis])
            assert printable - shift == pytest.approx(overlap, abs=0.01)
            checked += 1
    assert checked >= 2


def test_pages_render_with_ink(doc: Document, tmp_path: Path) -> None:
    """pdftoppm renders the fitted sheet, the assembly page and every tile with visible content."""
    fit = tmp_path / "fit.pdf"
    export_poster(doc, fit, request_from_options(size="A1", orientation="landscape"))
    assert ink_fraction(fit, 1) > 0.15
    tiles = tmp_path / "tiles.pdf"
    plan = export_poster(doc, tiles, request_from_options(tile="A3", scale="60%")).plan
    for page in range(1, plan.pages + 1):
        assert ink_fraction(tiles, page) > 0.005


def test_small_text_gets_a_warning(doc: Document, tmp_path: Path) -> None:
    """Fitting the whole board on A4 warns that card text prints under 9 pt; A0 does not."""
    small = export_poster(doc, tmp_path / "a4.pdf", request_from_options(size="A4"))
    assert "\nwarning: card text prints at" in small.message()
    big = export_poster(doc, tmp_path / "a0.pdf", request_from_options(size="A0"))
    assert "\nwarning:" not in big.message()


def test_layers_choose_what_prints(doc: Document, tmp_path: Path) -> None:
    """--layers process prints the process cards and leaves the journey out."""
    out = tmp_path / "process.pdf"
    export_poster(doc, out, request_from_options(size="A2", layers="process"))
    text = squeeze("".join(t for t, _x, _y in fragments(pypdf.PdfReader(out).pages[0])))
    process = {ln.id for ln in doc.lanes("process")}
    printed = [squeeze(c.title) for c in doc.cards() if c.lane in process]
    for title in printed:
        assert title in text
    for card in doc.cards():
        # a journey title that is also part of a process title ("Kickoff call") proves nothing
        if card.lane not in process and not any(squeeze(card.title) in t for t in printed):
            assert squeeze(card.title) not in text, card.title


def test_fonts_are_embedded_and_any_script_prints(tmp_path: Path) -> None:
    """Cyrillic, Greek, accented, Arabic and Hebrew titles are searchable; the font is embedded."""
    doc = Document.new(tmp_path / "intl.cld", name="Жизненный цикл клиента")
    sid, edits = E.add_stage(doc, "Adopción")
    doc.commit(edits)
    lid, edits = E.add_lane(doc, "Équipe Ventes", "team", team="Ventes")
    doc.commit(edits)
    titles = [
        "Счёт-фактура отправлена",
        "Ενεργοποίηση λογαριασμού",
        "Zürich café – Übergabe",
        "عرض الأسعار",
        "שיחת פתיחה",
    ]
    for title in titles:
        _cid, edits = E.add_card(doc, lid, sid, title=title, kind="step")
        doc.commit(edits)
    out = tmp_path / "intl.pdf"
    export_poster(doc, out, request_from_options(size="A3"))
    page = pypdf.PdfReader(out).pages[0]
    text = squeeze("".join(t for t, _x, _y in fragments(page)))
    for title in titles + [doc.name]:
        assert squeeze(title) in text
    fonts = page["/Resources"]["/Font"]
    names = [fonts[k].get_object()["/BaseFont"] for k in fonts]
    assert names and all("DejaVuSans" in n for n in names)
    for key in fonts:
        descriptor = fonts[key].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor  # the TrueType program is in the file
    doc.close()


def test_chinese_japanese_and_korean_titles_print_in_the_fallback_font(tmp_path: Path) -> None:
    """CJK titles, lane and design names are searchable and drawn in the embedded fallback."""
    doc = Document.new(tmp_path / "cjk.cld", name="顧客ライフサイクル")
    sid, edits = E.add_stage(doc, "导入")
    doc.commit(edits)
    lid, edits = E.add_lane(doc, "고객 성공", "team", team="고객 성공")
    doc.commit(edits)
    titles = ["Kick-off 打ち合わせ", "用户开通", "온보딩 완료", "Plain English step"]
    for title in titles:
        _cid, edits = E.add_card(doc, lid, sid, title=title, kind="step")
        doc.commit(edits)
    out = tmp_path / "cjk.pdf"
    export_poster(doc, out, request_from_options(size="A3"))
    page = pypdf.PdfReader(out).pages[0]
    text = squeeze("".join(t for t, _x, _y in fragments(page)))
    for title in titles + [doc.name, "导入", "고객성공"]:
        assert squeeze(title) in text, title
    fonts = page["/Resources"]["/Font"]
    names = {str(fonts[k].get_object()["/BaseFont"]) for k in fonts}
    assert any("DroidSansFallback" in n for n in names)
    assert any("DejaVuSans" in n for n in names)  # Latin stays in DejaVu Sans
    assert ink_fraction(out, 1) > 0.05
    doc.close()


def test_bad_requests_are_refused_with_a_clear_message(doc: Document) -> None:
    """Unknown sizes, wrong scales and too many sheets raise PosterError saying what to do."""
    with pytest.raises(PosterError, match="unknown paper size 'B7'"):
        request_from_options(size="B7")
    with pytest.raises(PosterError, match="only apply to tiled posters"):
        request_from_options(scale="50%")
    with pytest.raises(PosterError, match="out of range"):
        request_from_options(tile="A4", scale="900%")
    # a bare small number is a factor, as for pictures; otherwise a percentage
    assert request_from_options(tile="A4", scale="0.5").scale == 0.5
    assert request_from_options(tile="A4", scale="50").scale == 0.5
    with pytest.raises(PosterError, match="unknown layer 'backstage'"):
        request_from_options(layers="journey,backstage")
    with pytest.raises(PosterError, match=f"more than the limit of {MAX_SHEETS}: use --scale"):
        plan_poster(doc, request_from_options(tile="100x100mm", scale="200%"))
    with pytest.raises(PosterError, match="overlap 60mm is too wide"):
        request_from_options(tile="A4", overlap="60mm")


def test_an_empty_board_has_nothing_to_print(tmp_path: Path) -> None:
    """A design without stages and lanes, or without lanes in the chosen layers, is refused."""
    doc = Document.new(tmp_path / "empty.cld")
    with pytest.raises(PosterError, match="nothing to print: the design has no stages and lanes"):
        plan_poster(doc, request_from_options())
    sid, edits = E.add_stage(doc, "Acquire")
    doc.commit(edits)
    _lid, edits = E.add_lane(doc, "Touchpoints", "touchpoints")
    doc.commit(edits)
    assert plan_poster(doc, request_from_options())[2].pages == 1
    with pytest.raises(PosterError, match="no lanes in the chosen layers"):
        plan_poster(doc, request_from_options(layers="process"))
    doc.close()


def test_cancelled_export_leaves_no_file(doc: Document, tmp_path: Path) -> None:
    """Cancelling from the progress callback stops the export and writes nothing."""
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> bool:
        seen.append((done, total))
        return done < 3

    out = tmp_path / "cancelled.pdf"
    with pytest.raises(PosterCancelled):
        export_poster(doc, out, request_from_options(tile="A4"), progress=progress)
    assert not out.exists() and not list(tmp_path.iterdir())
    assert seen[-1][0] == 3 and seen[0][1] > 3


def test_cli_writes_posters_and_refuses_bad_requests(
    board: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cld export -o x.pdf` with options works; bad options exit 2 with one line on stderr."""
    out = tmp_path / "poster.pdf"
    assert (
        main(["export", str(board), "-o", str(out), "--size", "A2", "--orientation", "landscape"])
        == 0
    )
    assert "1 page, A2 landscape" in capsys.readouterr().out
    assert page_sizes(out) == [pytest.approx((594 * MM, 420 * MM), abs=0.5)]
    tiles = tmp_path / "tiles.pdf"
    args = [
        "export",
        str(board),
        "-o",
        str(tiles),
        "--tile",
        "Letter",
        "--scale",
        "80%",
        "--overlap",
        "0.5in",
        "--layers",
        "blueprint,process",
    ]
    assert main(args) == 0
    assert "sheets of Letter" in capsys.readouterr().out
    for bad, words in (
        (["--size", "B7"], "unknown paper size"),
        (["--tile", "100x100mm", "--scale", "200%"], f"limit of {MAX_SHEETS}"),
        (["--orientation", "sideways"], "unknown orientation"),
    ):
        assert main(["export", str(board), "-o", str(tmp_path / "bad.pdf"), *bad]) == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "bad.pdf").exists()


@pytest.mark.parametrize("suffix", [".pdf", ".bpmn", ".json", ".csv", ".png", ".svg"])
def test_export_to_a_place_that_cannot_be_written_is_one_plain_line(
    board: Path, tmp_path: Path, capsys, suffix: str
) -> None:
    """A missing folder, or a folder where the file should be: exit 2, one line, no traceback."""
    assert main(["export", str(board), "-o", str(tmp_path / "missing" / f"x{suffix}")]) == 2
    err = capsys.readouterr().err
    assert "folder" in err and "does not exist" in err and err.count("\n") == 1
    taken = tmp_path / f"taken{suffix}"
    taken.mkdir()
    assert main(["export", str(board), "-o", str(taken)]) == 2
    err = capsys.readouterr().err
    assert "write" in err and "Traceback" not in err and err.count("\n") == 1
