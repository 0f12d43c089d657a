"""One table model for every table the pages show and export (gtsummary's layout).

A :class:`Table` is text only, already formatted by :mod:`hccdash.report.fmt`: a stub column
of row labels, one column per group (plus overall) or per statistic, optional spanning header
cells above them, body rows of three kinds, footnotes, and the raw numbers behind it
(``details``, unformatted, for the "details" view and the CSV).

Row kinds (as gtsummary's ``row_type``):

- ``"header"``: a variable's label; its levels follow, indented. Cells that belong to the
  whole variable (a p value) sit on this row.
- ``"level"``: one level of the variable above, indented under it.
- ``"single"``: a variable shown on one row (a numeric summary, a model metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from hccdash.errors import InputError
from hccdash.report.fmt import DASH

__all__ = ["ROW_KINDS", "Row", "Table", "superscript"]

ROW_KINDS = ("header", "level", "single")
INDENT = "    "
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_BAD_TEXT = ("None", "nan", "NaN", "<NA>")


def superscript(n: int) -> str:
    """A footnote marker: ``1 -> "¹"``, ``12 -> "¹²"``.

    Examples
    --------
    >>> superscript(1) + superscript(23)
    '¹²³'
    """
    return str(int(n)).translate(_SUPERSCRIPT)


@dataclass(frozen=True)
class Row:
    """One body row: its kind, its stub label and one text cell per column."""

    kind: str
    label: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A formatted table ready for the page, Word, Excel or CSV.

    Attributes
    ----------
    key : str
        File-name stem (``"baseline_characteristics"``).
    title : str
        Shown above the table and used as the legend in the report.
    stub : str
        Heading of the label column (``"Characteristic"``).
    columns : tuple of str
        Headings of the other columns.
    rows : tuple of Row
    spanners : tuple of (str, int)
        Optional header row above ``columns``: (text, number of columns spanned), covering
        all of ``columns`` from the left (``""`` for no spanner).
    footnotes : tuple of str
        Plain sentences; markers (``¹``) in cells point to the numbered ones.
    details : pandas.DataFrame
        The raw, unformatted numbers (coef, se, z; exact p values), exported as CSV.
    """

    key: str
    title: str
    stub: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    spanners: tuple[tuple[str, int], ...] = ()
    footnotes: tuple[str, ...] = ()
    details: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False, repr=False)

    def __post_init__(self) -> None:
        width = len(self.columns)
        bad = [
            i for i, r in enumerate(self.rows) if len(r.cells) != width or r.kind not in ROW_KINDS
        ]
        if bad:
            raise InputError(
                f"Table {self.key!r}: {len(bad)} row(s) (first {bad[0]}) have the wrong number of "
                f"cells (need {width}) or an unknown kind (use {ROW_KINDS})."
            )
        if self.spanners and sum(s for _, s in self.spanners) != width:
            raise InputError(
                f"Table {self.key!r}: spanners cover {sum(s for _, s in self.spanners)} columns, "
                f"the table has {width}."
            )
        # Cells are formatted numbers: a "None"/"nan" there is a formatting bug. Labels are
        # not checked: a level may really be called "None" (no failure, no ascites).
        texts = [t for r in self.rows for t in r.cells]
        texts += [
            self.stub,
            self.title,
            *self.columns,
            *self.footnotes,
            *(r.label for r in self.rows),
        ]
        texts += [t for t, _ in self.spanners]
        wrong = [t for t in texts if not isinstance(t, str)]
        wrong += [t for r in self.rows for t in r.cells if t.strip() in _BAD_TEXT]
        if wrong:
            raise InputError(
                f"Table {self.key!r}: {len(wrong)} cell(s) are not formatted text "
                f"(e.g. {wrong[0]!r}); format them with hccdash.report.fmt."
            )

    @property
    def header(self) -> tuple[tuple[tuple[str, int], ...], ...]:
        """Header rows as (text, span) cells, the stub column included (span 1)."""
        bottom = ((self.stub, 1), *((c, 1) for c in self.columns))
        if not self.spanners:
            return (bottom,)
        return ((("", 1), *self.spanners), bottom)

    def texts(self) -> list[str]:
        """Every piece of text the table prints (for checks: no ``None``/``nan`` anywhere)."""
        out = [self.title, *(t for row in self.header for t, _ in row)]
        out += [t for r in self.rows for t in (r.label, *r.cells)]
        return out + list(self.footnotes)

    def to_frame(self, *, indent: str = INDENT) -> pd.DataFrame:
        """The formatted table as text columns; level labels indented (for screen and XLSX).

        Column names join a spanner and its column (``"Overall survival: p"``) so they stay
        unique.
        """
        names = list(self.columns)
        if self.spanners:
            names, i = [], 0
            for text, span in self.spanners:
                for c in self.columns[i : i + span]:
                    names.append(f"{text}: {c}" if text else c)
                i += span
        names = _unique([self.stub, *names])
        records = [
            [(indent + r.label) if r.kind == "level" else r.label, *r.cells] for r in self.rows
        ]
        return pd.DataFrame(records, columns=names)

    def footnote_text(self) -> str:
        """Footnotes as one paragraph."""
        return " ".join(self.footnotes)


def _unique(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n} ({k + 1})")
    return out


def blank(n: int) -> tuple[str, ...]:
    """``n`` empty cells (a header row's cells that belong to its levels)."""
    return ("",) * n


def dash(n: int) -> tuple[str, ...]:
    """``n`` not-applicable cells."""
    return (DASH,) * n
