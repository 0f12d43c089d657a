"""Checks of the values of other columns: duplicate patient ids, unreadable factor values
(yes/no, class or score, 0-100), constant columns, text that starts like a spreadsheet formula.
Part of :mod:`hccdash.datacheck`.
"""

from __future__ import annotations

import pandas as pd

from hccdash import io as hio
from hccdash import schema
from hccdash.datacheck.report import _Collector, _text
from hccdash.io import map_unique
from hccdash.mapping import ColumnMapping, norm_code


def _duplicate_ids(
    raw: pd.DataFrame, ids: pd.Series, mapping: ColumnMapping, col: _Collector
) -> None:
    if mapping.patient_id is not None:
        dup = (
            ids.duplicated(keep=False) & raw[mapping.patient_id].pipe(map_unique, norm_code).notna()
        )
        col.rows(
            dup, mapping.patient_id, raw[mapping.patient_id], "the same patient id as another row",
            "give every patient one row with a unique id (the repeats are excluded on confirm, "
            "the first row of each id is kept)", fatal=True, kind="duplicate_id",
        )  # fmt: skip


def _role_values(raw: pd.DataFrame, data: pd.DataFrame, mapping: ColumnMapping, col) -> None:
    expect = {
        schema.PVTT: "yes/no (1/0, true/false, 是/否, 有/无)",
        schema.ASCITES: "yes/no (1/0, true/false, 是/否, 有/无)",
        schema.CHILD_PUGH: "a class A/B/C or a score 5-15",
        schema.KPS: "a number (0-100)",
    }
    for role, src in mapping.roles().items():
        if role not in expect:
            continue
        present = raw[src].pipe(map_unique, norm_code).notna()
        unread = present & data[role].isna()
        col.rows(
            unread, src, raw[src], f"a value that cannot be read as {expect[role]}",
            f"recode them; until then they count as missing {role}", fatal=False,
            kind="role_value",
        )  # fmt: skip
        if role == schema.KPS:
            kps = data[role]
            col.rows(
                (kps < 0) | (kps > 100), src, raw[src], "a KPS outside 0-100",
                "KPS is 0-100 in steps of 10; correct the cells", fatal=False,
                kind="role_value",
            )  # fmt: skip


def _constant_columns(raw: pd.DataFrame, mapping: ColumnMapping, col) -> None:
    cols = [*mapping.roles().values(), *mapping.extra_factors]
    for c in dict.fromkeys(cols):
        present = raw[c].pipe(map_unique, norm_code).dropna()
        if len(raw) > 1 and present.nunique() <= 1:
            only = repr(_text(raw[c][present.index[0]])) if len(present) else "nothing"
            col.table(
                c,
                f"column {c!r} has one value ({only}) for every patient: it cannot split the "
                "cohort into groups",
                "leave it out of the factors (or check the export)",
                fatal=False,
                kind="constant_column",
            )


def _formula_text(raw: pd.DataFrame, mapping: ColumnMapping, col: _Collector) -> None:
    for c, pos in hio.formula_cells(raw[list(mapping.source_columns())]).items():
        mask = pd.Series(False, index=raw.index)
        mask.iloc[pos] = True
        col.rows(
            mask, c, raw[c], "text that starts like a spreadsheet formula",
            "nothing is executed: the cells are kept as text and shown/exported with a "
            "leading apostrophe; remove them if they are not data", fatal=False,
            kind="formula_text",
        )  # fmt: skip
