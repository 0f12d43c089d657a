"""Variable labels for tables: the cohort's own words, else a readable form of the column name.

Every table builder takes a :class:`Labels` lookup, so a codebook (variable labels from the
user's data dictionary) can feed it later through ``explicit``; today the labels come from
the cohort's factors (:meth:`hccdash.schema.Cohort.factors`, ``Factor.label``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Labels", "humanise", "label_lookup"]

_TOX_AFFIX = re.compile(r"(^tox(icity)?_|_tox(icity)?$|_grade$)", re.IGNORECASE)


def humanise(column: str) -> str:
    """A column name as words when no label is known: ``"tumour_size" -> "Tumour size"``.

    Names that are not snake_case (``"ECOG"``, ``"Gleason-Score"``) are kept as they are.

    Examples
    --------
    >>> humanise("tumour_size"), humanise("ECOG"), humanise("dose_gy")
    ('Tumour size', 'ECOG', 'Dose gy')
    """
    text = str(column)
    if "_" not in text and not text.islower():
        return text
    words = text.replace("_", " ").strip()
    return (words[:1].upper() + words[1:]) if words else text


@dataclass(frozen=True)
class Labels:
    """Column -> label; explicit labels first, then :func:`humanise`."""

    explicit: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, column: str) -> str:
        label = self.explicit.get(column)
        return label if label else humanise(column)

    def toxicity(self, column: str) -> str:
        """A toxicity column's label without its ``tox_``/``_grade`` affixes."""
        if column in self.explicit:
            return self.explicit[column]
        return humanise(_TOX_AFFIX.sub("", str(column)) or column)


def label_lookup(cohort=None, codebook: Mapping[str, str] | None = None) -> Labels:
    """The labels of a cohort: its factors' labels, overridden by a codebook when given.

    Parameters
    ----------
    cohort : hccdash.schema.Cohort, optional
    codebook : mapping of column -> label, optional
        Variable labels from a data dictionary (wins over factor labels).

    Examples
    --------
    >>> label_lookup(codebook={"kps": "Karnofsky score"})("kps")
    'Karnofsky score'
    """
    explicit: dict[str, str] = {}
    if cohort is not None:
        label_of = getattr(cohort, "label", None)  # the codebook's variable labels
        if callable(label_of):
            for c in map(str, cohort.data.columns):
                if (text := label_of(c)) and text != c:
                    explicit[c] = text
        for f in cohort.factors():
            if f.label and f.label != f.column:
                explicit[f.column] = f.label
    if codebook:
        explicit.update({str(k): str(v) for k, v in codebook.items() if v})
    return Labels(explicit)
