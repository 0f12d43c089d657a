"""URL values of the sidebar filters and page choices: slugs, ranges, levels (one job: read
a query-string value against the loaded cohort, warn and ignore what does not fit).

:class:`hccdash.filters.FilterSpec` reads its fields through these parsers; the pages read
their choices (``endpoint``, ``by``, ``cut``) through :func:`parse_endpoint`,
:func:`parse_by` and :func:`parse_cut`. All names are importable from ``hccdash.filters``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hccdash.codebook import level_text
from hccdash.errors import preview_labels
from hccdash.schema import ENDPOINTS, TREATMENT
from hccdash.vocab import yes_no  # the one yes/no vocabulary (also the mapping's)

_NUM = r"-?\d+(?:\.\d+)?"
_RANGE = re.compile(rf"^\s*({_NUM})\s*(?:-|–|\.\.)\s*({_NUM})\s*$")

ExtraValue = tuple[str, ...] | tuple[float, float]


def slug(value: object) -> str:
    """URL slug of a level: lower-case, every run of non-alphanumerics becomes ``"_"``.

    ``"Arm B+C"`` -> ``"arm_b_c"``, ``"Control"`` -> ``"control"``.
    """
    return re.sub(r"[^0-9a-z]+", "_", level_text(value).strip().lower()).strip("_")


def _is_range(values: ExtraValue) -> bool:
    return len(values) == 2 and all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        for v in values
    )


def _last(value: str | Sequence[str]) -> str:
    if isinstance(value, str):
        return value
    return str(value[-1]) if len(value) else ""


def _levels_of(data: pd.DataFrame, column: str) -> list[str]:
    if column not in data.columns:
        return []
    return sorted({level_text(v) for v in data[column].dropna().unique()})


def _parse_levels(
    key: str, raw: str, data: pd.DataFrame, column: str, warnings: list[str]
) -> tuple[str, ...] | None:
    wanted = [v.strip() for v in raw.split(",") if v.strip()]
    if column not in data.columns:
        warnings.append(f"URL parameter {key}={raw!r} ignored: the cohort has no {column!r}.")
        return None
    known = {v.lower(): v for v in _levels_of(data, column)}
    kept, bad = [], []
    for v in wanted:
        (kept if v.lower() in known else bad).append(v)
    if bad:
        warnings.append(
            f"URL parameter {key}: {len(bad)} unknown value(s) ignored "
            f"({preview_labels(bad)}); known levels: {', '.join(known.values())}."
        )
    out = tuple(dict.fromkeys(known[v.lower()] for v in kept))
    return out or None


def _parse_kps(
    raw: str, warnings: list[str], key: str = "kps", bounded: bool = True
) -> tuple[int, int] | None:
    """An inclusive integer range; ``bounded``: within 0-100 (the canonical KPS column)."""
    m = _RANGE.match(raw)
    if m is None:
        if re.fullmatch(r"\s*\d+\s*", raw):
            v = int(raw)
            return (v, v)
        example = "80-100" if bounded else "0-1"
        warnings.append(
            f"URL parameter {key}={raw!r} ignored: use an inclusive range such as {key}={example}."
        )
        return None
    lo, hi = float(m.group(1)), float(m.group(2))
    if lo > hi or (bounded and (lo < 0 or hi > 100)):
        within, example = (" within 0-100", "80-100") if bounded else ("", "0-1")
        warnings.append(
            f"URL parameter {key}={raw!r} ignored: the range must go from low to high"
            f"{within}, e.g. {key}={example}."
        )
        return None
    return (int(np.floor(lo)), int(np.ceil(hi)))


def _parse_arm(
    raw: str,
    data: pd.DataFrame,
    warnings: list[str],
    column: str = TREATMENT,
    key: str = "arm",
) -> str | None:
    value = slug(raw)
    if value in {"", "any"}:
        return None
    slugs = {slug(v): v for v in _levels_of(data, column)}
    if value not in slugs:
        choices = ", ".join(sorted(slugs)) or "none (the cohort has no treatment column)"
        warnings.append(f"URL parameter {key}={raw!r} ignored: known arms are {choices}.")
        return None
    return value


def binary_options(col: pd.Series) -> dict[str, str] | None:
    """Choices of a yes/no role column whose levels are not yes/no: level slug -> level
    (None when every level reads as yes or no, and the choices are ``yes``/``no``).

    >>> binary_options(pd.Series(["Yes", "None", "Yes"])) is None
    True
    >>> binary_options(pd.Series(["involved", "free"]))
    {'free': 'free', 'involved': 'involved'}
    """
    levels = _levels_of(col.to_frame("x"), "x")
    if levels and {yes_no(v) for v in levels} <= {"yes", "no"}:
        return None
    return {slug(v): v for v in levels}


def _parse_binary(key: str, raw: str, col: pd.Series, warnings: list[str]) -> str | None:
    text = raw.strip().lower()
    if text in {"", "any"}:
        return None
    options = binary_options(col)
    if options is None:
        if yes_no(text) is not None:  # yes/no, or any word of the one vocabulary (positive)
            return yes_no(text)
        warnings.append(f"URL parameter {key}={raw!r} ignored: use {key}=yes or {key}=no.")
        return None
    if slug(raw) in options:
        return slug(raw)
    warnings.append(
        f"URL parameter {key}={raw!r} ignored: use one of "
        f"{', '.join(f'{key}={s}' for s in options)}."
    )
    return None


def _parse_extra(
    column: str, raw: str, data: pd.DataFrame, warnings: list[str]
) -> ExtraValue | None:
    col = data[column]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        m = _RANGE.match(raw)
        if m is None or float(m.group(1)) > float(m.group(2)):
            warnings.append(
                f"URL parameter {column}={raw!r} ignored: {column!r} is numeric; "
                f"use an inclusive range low-high such as {column}=1-10."
            )
            return None
        return (float(m.group(1)), float(m.group(2)))
    levels = _parse_levels(column, raw, data, column, warnings)
    return levels


def parse_endpoint(
    params: Mapping[str, str | Sequence[str]], keys: Sequence[str] | None = None
) -> tuple[str | None, list[str]]:
    """The ``endpoint`` URL choice (one of ``keys``, default ``"os"``/``"pfs"``), or None,
    plus warnings."""
    if "endpoint" not in params:
        return None, []
    raw = _last(params["endpoint"])
    keys = [k.lower() for k in keys] if keys is not None else [e.key for e in ENDPOINTS]
    if raw.strip().lower() in keys:
        return raw.strip().lower(), []
    return None, [f"URL parameter endpoint={raw!r} ignored: use {' or '.join(keys)}."]


def parse_by(
    params: Mapping[str, str | Sequence[str]], data: pd.DataFrame
) -> tuple[str | None, list[str]]:
    """The ``by`` URL choice (a column of ``data`` to stratify by), or None, plus warnings."""
    if "by" not in params:
        return None, []
    raw = _last(params["by"]).strip()
    if raw in {"", "none"}:
        return None, []
    if raw in data.columns:
        return raw, []
    return None, [
        f"URL parameter by={raw!r} ignored: the cohort has no column {raw!r} "
        f"(columns: {preview_labels(list(data.columns), 8)})."
    ]


def parse_cut(params: Mapping[str, str | Sequence[str]]) -> tuple[float | None, list[str]]:
    """The ``cut`` URL choice (split value of a numeric ``by`` column), or None, plus warnings."""
    if "cut" not in params:
        return None, []
    raw = _last(params["cut"]).strip()
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        return None, [f"URL parameter cut={raw!r} ignored: give a number, e.g. cut=70."]
    return value, []
