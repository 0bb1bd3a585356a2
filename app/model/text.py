"""The text measure shared by the canvas and the poster: DejaVu Sans advance widths.

Both draw every wrapped label with the lines these functions return, so a title wraps the
same way on screen and on paper.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

FONT_FAMILY = "DejaVu Sans"
#: Chinese, Japanese and Korean, which DejaVu Sans does not cover (screen and poster alike)
FALLBACK_FAMILY = "Droid Sans Fallback"


def _widths(table: str) -> tuple[int, ...]:
    return tuple(int(w) for w in table.split())


# Advance widths of ASCII 32..126 in 1/1000 em (DejaVu Sans, DejaVu Sans Bold).
_W_REGULAR = _widths(
    "318 401 460 838 636 950 780 275 390 390 500 838 318 361 318 337 636 636 636 "
    "636 636 636 636 636 636 636 337 337 838 838 838 531 1000 684 686 698 770 632 "
    "575 775 752 295 295 656 557 863 748 787 603 787 695 635 611 732 684 989 685 "
    "611 685 390 337 390 838 500 500 613 635 550 635 615 352 635 634 278 278 579 "
    "278 974 634 612 635 635 411 521 392 634 592 818 592 592 525 636 337 636 838"
)
_W_BOLD = _widths(
    "348 456 521 838 696 1002 872 306 457 457 523 838 380 415 380 365 696 696 696 "
    "696 696 696 696 696 696 696 400 400 838 838 838 580 1000 774 762 734 830 683 "
    "683 821 837 372 372 775 637 995 837 850 733 850 770 720 682 812 774 1103 771 "
    "724 725 457 365 457 838 500 500 675 716 593 716 678 435 716 712 343 343 665 "
    "343 1042 712 687 716 716 493 595 478 712 652 924 645 652 582 712 365 712 838"
)
_W_OTHER = 700  # anything outside ASCII: a little wide, so text never overflows its box
_W_WIDE = 1000  # Chinese, Japanese and Korean characters are one em wide
ELLIPSIS = "\u2026"

# -- text measure ----------------------------------------------------------------------------


class _Advances(dict[str, int]):
    """Character -> advance in 1/1000 em; characters outside the table get ``_W_OTHER``."""

    def __missing__(self, key: str) -> int:
        wide = unicodedata.east_asian_width(key) in ("W", "F")
        self[key] = width = _W_WIDE if wide else _W_OTHER
        return width


_ADV_REGULAR = _Advances({chr(32 + i): w for i, w in enumerate(_W_REGULAR)})
_ADV_BOLD = _Advances({chr(32 + i): w for i, w in enumerate(_W_BOLD)})


def plural(n: int, word: str, many: str | None = None) -> str:
    """ "1 card", "2 cards": a count with its noun."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of one line of text at ``size`` points in DejaVu Sans (regular or bold)."""
    table = _ADV_BOLD if bold else _ADV_REGULAR
    return sum(map(table.__getitem__, text)) * size / 1000.0


def elide(text: str, width: float, size: float, *, bold: bool = False) -> str:
    """The text cut to fit ``width`` on one line, ending in an ellipsis when cut."""
    if text_width(text, size, bold=bold) <= width:
        return text
    while text and text_width(text + ELLIPSIS, size, bold=bold) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def _break_word(word: str, width: float, size: float, bold: bool) -> list[str]:
    parts: list[str] = []
    current = ""
    for ch in word:
        if current and text_width(current + ch, size, bold=bold) > width:
            parts.append(current)
            current = ch
        else:
            current += ch
    if current:
        parts.append(current)
    return parts


@lru_cache(maxsize=65536)
def wrap_text(
    text: str, width: float, size: float, *, bold: bool = False, max_lines: int = 0
) -> tuple[str, ...]:
    """Greedy word wrap into lines no wider than ``width``; the last kept line gets an
    ellipsis when ``max_lines`` cuts the text. Empty text gives no lines."""
    lines: list[str] = []
    space = text_width(" ", size, bold=bold)
    for paragraph in text.split("\n"):
        current, current_w = "", 0.0
        for word in paragraph.split():
            word_w = text_width(word, size, bold=bold)
            if current and current_w + space + word_w <= width:
                current, current_w = f"{current} {word}", current_w + space + word_w
                continue
            if not current and word_w <= width:
                current, current_w = word, word_w
                continue
            if current:
                lines.append(current)
            if word_w > width:
                pieces = _break_word(word, width, size, bold)
                lines.extend(pieces[:-1])
                current = pieces[-1]
                current_w = text_width(current, size, bold=bold)
            else:
                current, current_w = word, word_w
        if current:
            lines.append(current)
    if max_lines and len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and text_width(last + ELLIPSIS, size, bold=bold) > width:
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last.rstrip() + ELLIPSIS]
    return tuple(lines)
