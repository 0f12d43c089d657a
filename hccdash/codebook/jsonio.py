"""The codebook's JSON form (docs/codebook.md): one dict per entry, read back with checks."""

from __future__ import annotations

from hccdash.codebook.model import Codebook, EndpointSpec, Grouping, Variable, _fail
from hccdash.errors import preview_labels

_VAR_KEYS = {
    "name", "label", "kind", "levels", "reference", "unit", "short", "role", "exclude",
    "groupings",
}  # fmt: skip
_EP_KEYS = {
    "key", "label", "time", "event", "unit", "start_date", "end_date", "coding", "entry",
}  # fmt: skip
_TOP_KEYS = {
    "format", "version", "name", "description", "notice", "default_model", "id_column",
    "endpoints", "variables",
}  # fmt: skip


def _variable_dict(v: Variable) -> dict[str, object]:
    d: dict[str, object] = {"name": v.name, "label": v.label, "kind": v.kind}
    if v.levels:
        d["levels"] = [_level_entry(v, lv) for lv in v.levels]
    for k in ("reference", "unit", "short", "role"):
        if getattr(v, k) is not None:
            d[k] = getattr(v, k)
    if v.exclude:
        d["exclude"] = list(v.exclude)
    if v.groupings:
        d["groupings"] = [
            {
                "name": g.name,
                "cut": g.cut,
                "labels": list(g.labels),
                **({"order": list(g.order)} if g.order else {}),
                **({"preset": True} if g.preset else {}),
            }
            for g in v.groupings
        ]
    return d


def _level_entry(v: Variable, label: str) -> object:
    code = next((c for c, lab in v.level_labels.items() if lab == label), None)
    return label if code is None or code == label else {"value": code, "label": label}


def _endpoint_dict(e: EndpointSpec) -> dict[str, object]:
    d: dict[str, object] = {
        "key": e.key, "label": e.label, "time": e.time, "event": e.event, "unit": e.unit,
        "coding": {
            "event": list(e.event_values), "censored": list(e.censored_values),
            "competing": list(e.competing_values),
        },
    }  # fmt: skip
    if e.code_names:
        d["coding"]["names"] = dict(e.code_names)  # type: ignore[index]
    for k in ("start_date", "end_date", "entry"):
        if getattr(e, k) is not None:
            d[k] = getattr(e, k)
    return d


def _strs(values: object, where: str) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise _fail(where, f"expected a list, got {values!r}")
    return tuple(str(x) for x in values)


def _names(values: object, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(values, dict):
        raise _fail(where, f"coding.names must be an object of code: name, got {values!r}")
    return tuple((str(k), str(v)) for k, v in values.items())


def _unknown(d: dict, allowed: set[str], where: str) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        raise _fail(where, f"unknown keys {preview_labels(extra)}")


def _from_dict(doc: dict) -> Codebook:
    _unknown(doc, _TOP_KEYS, "top level")
    variables = []
    for i, vd in enumerate(doc.get("variables", [])):
        where = f"variables[{i}]"
        if not isinstance(vd, dict) or "name" not in vd:
            raise _fail(where, "each variable needs at least a 'name'")
        _unknown(vd, _VAR_KEYS, f"variable {vd['name']!r}")
        levels, labels = [], {}
        for lv in vd.get("levels", []):
            if isinstance(lv, dict):
                code, lab = str(lv["value"]), str(lv.get("label", lv["value"]))
                labels[code] = lab
                levels.append(lab)
            else:
                levels.append(str(lv))
        groupings = tuple(
            Grouping(
                name=str(g["name"]),
                cut=float(g["cut"]),
                labels=tuple(str(x) for x in g["labels"]),  # type: ignore[arg-type]
                order=tuple(str(x) for x in g.get("order", ())),
                preset=bool(g.get("preset", False)),
            )
            for g in vd.get("groupings", [])
        )
        for g in groupings:
            if len(g.labels) != 2:
                raise _fail(f"variable {vd['name']!r}", f"grouping {g.name!r} needs two labels")
        variables.append(
            Variable(
                name=str(vd["name"]),
                label=str(vd.get("label", vd["name"])),
                kind=str(vd.get("kind", "categorical")),
                levels=tuple(levels),
                level_labels=labels,
                reference=None if vd.get("reference") is None else str(vd["reference"]),
                unit=vd.get("unit"),
                short=vd.get("short"),
                role=vd.get("role"),
                exclude=_strs(vd.get("exclude", []), f"variable {vd['name']!r} exclude"),
                groupings=groupings,
            )
        )
    endpoints = []
    for i, ed in enumerate(doc.get("endpoints", [])):
        where = f"endpoints[{i}]"
        if not isinstance(ed, dict) or not {"key", "time", "event"} <= set(ed):
            raise _fail(where, "each endpoint needs 'key', 'time' and 'event'")
        _unknown(ed, _EP_KEYS, f"endpoint {ed['key']!r}")
        coding = ed.get("coding", {})
        endpoints.append(
            EndpointSpec(
                key=str(ed["key"]),
                label=str(ed.get("label", ed["key"])),
                time=str(ed["time"]),
                event=str(ed["event"]),
                unit=str(ed.get("unit", "months")),
                event_values=_strs(coding.get("event", ["1"]), where),
                censored_values=_strs(coding.get("censored", ["0"]), where),
                competing_values=_strs(coding.get("competing", []), where),
                start_date=ed.get("start_date"),
                end_date=ed.get("end_date"),
                code_names=_names(coding.get("names", {}), where),
                entry=None if ed.get("entry") is None else str(ed["entry"]),
            )
        )
    return Codebook(
        variables=tuple(variables),
        endpoints=tuple(endpoints),
        name=doc.get("name"),
        description=doc.get("description"),
        notice=doc.get("notice"),
        default_model=_strs(doc.get("default_model", []), "default_model"),
        id_column=doc.get("id_column"),
    )


# -- R defaults -----------------------------------------------------------------------------
