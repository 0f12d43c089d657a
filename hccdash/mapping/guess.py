"""Guess a mapping from the column names (English and common Chinese headers)."""

from __future__ import annotations

import re

import pandas as pd

from hccdash.cohort.roles import ROLE_ALIASES
from hccdash.io import map_unique
from hccdash.mapping.coding import norm_code
from hccdash.mapping.columns import ColumnMapping

# -- guessing ------------------------------------------------------------------------------
_ALIASES: dict[str, tuple[str, ...]] = {
    "patient_id": (
        "patientid", "id", "patient", "pid", "subject", "subjectid", "caseid", "case",
        "patientno", "no", "编号", "病例号", "患者编号", "住院号", "病案号", "序号", "id号",
    ),
    "os_time": (
        "osmonths", "os", "ostime", "overallsurvival", "overallsurvivaltime", "survivaltime",
        "survtime", "survival", "time", "futime", "osmo", "生存时间", "总生存期", "总生存时间",
        "os时间", "生存期",
    ),
    "os_event": (
        "osevent", "osstatus", "status", "death", "dead", "vitalstatus", "event",
        "died", "fustat", "cens", "死亡", "生存状态", "结局", "状态", "是否死亡", "os状态",
        "os事件",
    ),
    "pfs_time": (
        "pfsmonths", "pfs", "pfstime", "progressionfreesurvival", "pfsmo", "无进展生存期",
        "无进展生存时间", "pfs时间",
    ),
    "pfs_event": (
        "pfsevent", "pfsstatus", "progression", "progressed", "pd", "进展", "疾病进展",
        "是否进展", "pfs状态", "pfs事件",
    ),
    "start_date": (
        "startdate", "diagnosisdate", "dateofdiagnosis", "treatmentstart", "treatmentstartdate",
        "datestart", "dateoftreatment", "rtstart", "诊断日期", "确诊日期", "治疗开始日期",
        "开始日期", "治疗日期", "入组日期",
    ),
    "progression_date": (
        "progressiondate", "dateofprogression", "pddate", "进展日期", "疾病进展日期",
    ),
    "death_date": ("deathdate", "dateofdeath", "dod", "死亡日期", "死亡时间"),
    "last_followup_date": (
        "lastfollowup", "lastfollowupdate", "lastfu", "lastfudate", "lastcontact",
        "lastcontactdate", "dateoflastfollowup", "datelastfollowup", "末次随访", "末次随访日期",
        "最后随访日期", "随访日期",
    ),
    # The sidebar roles' header aliases: hccdash.cohort.roles (the bundled disease's words).
    **ROLE_ALIASES,
}  # fmt: skip
_UNIT_WORDS = (
    ("days", ("days", "day", "d", "天", "日")),
    ("weeks", ("weeks", "week", "wk", "wks", "w", "周")),
    ("years", ("years", "year", "yr", "yrs", "y", "年")),
    ("months", ("months", "month", "mo", "mos", "mon", "m", "月")),
)


def _key(name: str) -> str:
    """Column name without case, units in brackets, spaces or punctuation."""
    text = str(name).lower()
    text = re.sub(r"[\(\[（【].*?[\)\]）】]", "", text)
    return re.sub(r"[\s_\-\.\:/,;'\"]+", "", text)


def _unit_of(name: str) -> str | None:
    """The time unit a column name states (``"Survival_days"``, ``"os (mo)"``, ``"生存时间(月)"``).

    >>> _unit_of("Survival_days"), _unit_of("OS (mo)"), _unit_of("生存时间(月)"), _unit_of("time")
    ('days', 'months', 'months', None)
    """
    text = str(name).lower()
    for unit, words in _UNIT_WORDS:
        for w in words:
            if w.isascii():
                if re.search(rf"(^|[^a-z]){re.escape(w)}($|[^a-z])", text):
                    return unit
            elif w in text:
                return unit
    return None


def guess_mapping(data: pd.DataFrame) -> ColumnMapping:
    """Propose a mapping from the column names (exact aliases first, then prefixes).

    Columns that are not recognised become extra factors when they look categorical (2-12
    distinct values) or numeric. The guess is a proposal: the data page shows it for editing.
    """
    cols = [str(c) for c in data.columns]
    keys = {c: _key(c) for c in cols}
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for role, aliases in _ALIASES.items():
        for alias in aliases:
            hit = next((c for c in cols if c not in used and keys[c] == alias), None)
            if hit is not None:
                chosen[role] = hit
                used.add(hit)
                break
    # Second pass: names that start with an alias ("os_months_from_rt", "死亡日期(随访)").
    for role, aliases in _ALIASES.items():
        if role in chosen or role == "patient_id":
            continue
        # OS columns by prefix only for long aliases ("survival_in_days", "survtime_mo"),
        # so that "time_to_x" or "status_ecog" are not taken for the endpoint.
        shortest = 6 if role in ("os_time", "os_event") else 3
        for alias in aliases:
            if len(alias) < shortest:
                continue
            hit = next((c for c in cols if c not in used and keys[c].startswith(alias)), None)
            if hit is not None:
                chosen[role] = hit
                used.add(hit)
                break
    # A date column is not a duration: drop time guesses whose cells look like dates.
    for role in ("os_time", "pfs_time"):
        col = chosen.get(role)
        if col is not None and _looks_like_dates(data[col]):
            used.discard(chosen.pop(role))
    # An "event" column holding dates ("death": 2021-03-04) is the event's date.
    for role, date_role in (("os_event", "death_date"), ("pfs_event", "progression_date")):
        col = chosen.get(role)
        if col is not None and _looks_like_dates(data[col]):
            del chosen[role]
            if date_role not in chosen:
                chosen[date_role] = col
            else:
                used.discard(col)
    time_cols = [chosen[r] for r in ("os_time", "pfs_time") if r in chosen]
    unit = next((u for u in (_unit_of(c) for c in time_cols) if u), "months")
    extras = []
    for c in cols:
        if c in used:
            continue
        s = data[c]
        if _looks_like_dates(s):
            continue
        nunique = s.nunique(dropna=True)
        if (pd.api.types.is_numeric_dtype(s) and nunique > 1) or 1 < nunique <= 12:
            extras.append(c)
    return ColumnMapping(
        patient_id=chosen.get("patient_id"),
        os_time=chosen.get("os_time"),
        os_event=chosen.get("os_event"),
        pfs_time=chosen.get("pfs_time"),
        pfs_event=chosen.get("pfs_event"),
        time_unit=unit,
        start_date=chosen.get("start_date"),
        progression_date=chosen.get("progression_date"),
        death_date=chosen.get("death_date"),
        last_followup_date=chosen.get("last_followup_date"),
        child_pugh=chosen.get("child_pugh"),
        kps=chosen.get("kps"),
        pvtt=chosen.get("pvtt"),
        ascites=chosen.get("ascites"),
        treatment=chosen.get("treatment"),
        extra_factors=tuple(extras),
    )


def _looks_like_dates(s: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(s):
        return False
    present = s[map_unique(s, norm_code).notna()]
    if present.empty:
        return False
    sample = present.astype(str).head(50)
    hits = sample.str.match(r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
    return bool(hits.mean() >= 0.8)
