"""A codebook applied to a file's table: value labels, 0/1 events, times in months."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hccdash.codebook.infer import level_text
from hccdash.codebook.model import Codebook
from hccdash.codebook.units import TO_MONTHS
from hccdash.errors import InputError, preview_labels


def _code(v: object) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float | np.floating) and np.isnan(v)):
        return None
    return level_text(v).strip().lower()


def apply_codebook(data: pd.DataFrame, codebook: Codebook, source: str = "file") -> pd.DataFrame:
    """The cohort frame of a table described by ``codebook`` (``data`` is not modified).

    Value labels replace codes, each endpoint's event column becomes 1.0 (event) / 0.0
    (censored or another event type, as in a cause-specific analysis) and its time is
    converted from the endpoint's unit to months.

    Raises
    ------
    InputError
        A column the codebook names is missing, or event codes outside the coding.
    """
    cols = {str(c) for c in data.columns}
    named = [v.name for v in codebook.variables if v.kind != "id"]
    named += [c for e in codebook.endpoints for c in (e.time, e.event)]
    named += [e.entry for e in codebook.endpoints if e.entry is not None]
    missing = [c for c in dict.fromkeys(named) if c not in cols]
    if missing:
        raise InputError(
            f"{source}: the codebook names {len(missing)} columns the file does not have: "
            f"{preview_labels(missing)}; the file has {preview_labels(sorted(cols), 8)}; fix: "
            "use the codebook written for this file, or edit its column names."
        )
    out = data.copy()
    out.columns = [str(c) for c in out.columns]
    for v in codebook.variables:
        if v.level_labels and v.name in out:
            labels = {k.lower(): lab for k, lab in v.level_labels.items()}
            col = out[v.name]
            out[v.name] = col.map(lambda x, m=labels: m.get(_code(x) or "", x)).where(
                col.notna(), pd.NA
            )
    converted: set[str] = set()
    for e in codebook.endpoints:
        if e.unit not in TO_MONTHS:
            raise InputError(
                f"{source}: endpoint {e.key!r} has unit {e.unit!r}; fix: use one of "
                f"{preview_labels(list(TO_MONTHS))}."
            )
        ev = {x.lower() for x in e.event_values}
        other = {x.lower() for x in (*e.censored_values, *e.competing_values)}
        raw = out[e.event]
        codes = raw.map(_code)
        bad = codes.notna() & ~codes.isin(ev | other)
        if bad.any():
            values = sorted({str(x) for x in raw[bad]})
            raise InputError(
                f"{source}: column {e.event!r}: {int(bad.sum())} rows have event codes "
                f"{preview_labels(values)} that the codebook's endpoint {e.key!r} does not list; "
                "fix: add them to its coding (event, censored or competing)."
            )
        already = (
            pd.api.types.is_numeric_dtype(raw)
            and ev == {"1"}
            and "0" in other
            and set(codes.dropna()) <= {"0", "1"}
        )
        if e.competing_values:
            # the event types stay in their own column: censored codes as the first censored
            # code, event codes as the first event code, competing codes as written
            cen, evc = e.censored_values[0].lower(), e.event_values[0].lower()
            kinds = {c: (cen if c in {x.lower() for x in e.censored_values} else
                         evc if c in ev else c) for c in codes.dropna().unique()}  # fmt: skip
            out[e.status_column] = codes.map(kinds)
        if not already:  # a 0/1 column coded 1 = event stays as it is (dtype too)
            coded = codes.map({c: float(c in ev) for c in codes.dropna().unique()})
            out[e.event] = coded.astype(float)
        for c in (e.time, e.entry):  # the entry time is in the unit of the time
            if c is not None and e.unit != "months" and c not in converted:
                out[c] = pd.to_numeric(out[c], errors="coerce") * TO_MONTHS[e.unit]
                converted.add(c)
    return out
