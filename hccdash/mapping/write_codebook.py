"""The codebook a mapped upload writes, and a loaded codebook merged into it."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from hccdash import schema
from hccdash.codebook import Codebook, EndpointSpec, Variable, infer_variable
from hccdash.mapping.coding import EventCoding, norm_code
from hccdash.mapping.columns import ColumnMapping


def mapping_codebook(
    raw: pd.DataFrame,
    mapping: ColumnMapping,
    data: pd.DataFrame,
    *,
    names: dict[str, tuple[str, str]] | None = None,
    loaded: Codebook | None = None,
    file_labels: dict[str, str] | None = None,
    file_levels: dict[str, tuple[str, ...]] | None = None,
) -> Codebook:
    """The codebook of a mapped upload.

    Parameters
    ----------
    raw : pandas.DataFrame
        The file's table.
    mapping : ColumnMapping
    data : pandas.DataFrame
        ``apply_mapping(raw, mapping)`` (the cohort frame).
    names : dict, optional
        Endpoint slot (``"os"``, ``"pfs"``) -> (key, label) chosen by the user.
    loaded : Codebook, optional
        A codebook the user uploaded: its variables and endpoint names win over the defaults.
    file_labels, file_levels : dict, optional
        Variable labels and value-label levels stored in the file (SPSS, Stata, SAS; see
        :class:`hccdash.readstat.StatTableFile`), by source column.

    Returns
    -------
    Codebook
        Endpoints with their source unit and coding; one variable per other column with the
        user's column name as label (a role column: the name of the column it came from),
        kinds and levels by R's rules (two distinct values: binary).
    """
    names = dict(names or {})
    labels = {"os": "Overall survival", "pfs": "Progression-free survival"}
    labels |= {x.key: x.label for x in mapping.endpoints}
    further = {x.key: x for x in mapping.endpoints}
    slots = mapping.slots()
    endpoints = []
    for s in slots:
        slot, label, tcol, ecol, coding = s.which, labels[s.which], s.time, s.event, s.coding
        src_t, src_e = s.src_time, s.src_event
        key, lab = names.get(slot, (slot, label))
        if slot in further:  # the end date of a further endpoint computed from dates
            end_date = further[slot].end_date if src_t is None else None
        else:
            end_date = src_e if src_t is None else None
        if src_e is not None:  # the codebook lists the codes the file uses
            coding = coding.present(raw[src_e])
        else:  # event status from the dates: 1 = the event, 0 = censored
            coding = EventCoding(event=("1",), censored=("0",))
        entry = s.entry if s.entry in data.columns else None
        endpoints.append(
            EndpointSpec(
                key=key or slot,
                label=lab or label,
                time=tcol,
                event=ecol,
                unit=s.unit if src_t is not None else "days",
                event_values=tuple(dict.fromkeys(str(norm_code(v)) for v in coding.event)),
                censored_values=tuple(dict.fromkeys(str(norm_code(v)) for v in coding.censored)),
                competing_values=coding.competing,
                code_names=coding.names,
                start_date=mapping.start_date if src_t is None else None,
                end_date=end_date,
                entry=entry,
            )
        )
    roles = dict(mapping.roles())
    file_labels, file_levels = dict(file_labels or {}), dict(file_levels or {})
    variables = []
    described = Codebook(endpoints=tuple(endpoints)).endpoint_columns()
    for c in data.columns:
        if c in described:
            continue
        if c == schema.PATIENT_ID:
            variables.append(Variable(c, mapping.patient_id or "row", kind="id"))
            continue
        src = roles.get(c, c)
        v = infer_variable(c, data[c], file_labels.get(src, src))
        if src in file_levels and v.levels:
            order = [x for x in file_levels[src] if x in v.levels]
            levels = (*order, *(x for x in v.levels if x not in order))
            v = replace(v, levels=levels, reference=levels[0])
        if c in roles:
            v = replace(v, role=c, short=file_labels.get(src, src))
        variables.append(v)
    cb = Codebook(
        variables=tuple(variables), endpoints=tuple(endpoints), id_column=schema.PATIENT_ID
    )
    if loaded is None:
        return cb
    # The loaded codebook names the file's columns; the cohort frame has the canonical names
    # of the mapped endpoint and role columns.
    renamed = {src: c for c, src in roles.items()}
    by_source = {(s.src_time, s.src_event): (s.time, s.event) for s in slots if s.src_time}
    loaded = replace(
        loaded,
        variables=tuple(replace(v, name=renamed.get(v.name, v.name)) for v in loaded.variables),
        endpoints=tuple(
            replace(x, time=by_source[(x.time, x.event)][0], event=by_source[(x.time, x.event)][1])
            if (x.time, x.event) in by_source
            else x
            for x in loaded.endpoints
        ),
    )
    return merge_codebooks(cb, loaded)


def merge_codebooks(base: Codebook, loaded: Codebook) -> Codebook:
    """``base`` with everything ``loaded`` describes taken from ``loaded`` (variables by
    name; endpoints by their time and event columns, else by key)."""
    present = {v.name for v in base.variables}
    # A role the mapping gave to a column stays with it (one column per role).
    mapped = {v.role: v.name for v in base.variables if v.role is not None}
    described = tuple(
        v if v.role is None or mapped.get(v.role, v.name) == v.name else replace(v, role=None)
        for v in loaded.variables
        if v.name in present
    )
    names = {v.name for v in described}
    # The loaded codebook's variables in its order (its tables' order), then the others.
    variables = described + tuple(v for v in base.variables if v.name not in names)
    endpoints = []
    for e in base.endpoints:
        match = next(
            (x for x in loaded.endpoints if (x.time, x.event) == (e.time, e.event)), None
        ) or next((x for x in loaded.endpoints if x.key == e.key), None)
        if match is None:
            endpoints.append(e)
            continue
        # The mapping's declaration of event types wins; the loaded codebook's names fill in.
        own = {*e.event_values, *e.censored_values}
        competing = e.competing_values or tuple(c for c in match.competing_values if c not in own)
        listed = own | set(competing)
        code_names = {**dict(match.code_names), **dict(e.code_names)}
        endpoints.append(
            replace(
                e,
                key=match.key,
                label=match.label,
                competing_values=competing,
                code_names=tuple((k, v) for k, v in code_names.items() if k in listed),
            )
        )
    return replace(
        base,
        variables=variables,
        endpoints=tuple(endpoints),
        name=loaded.name or base.name,
        description=loaded.description or base.description,
        notice=loaded.notice,
        default_model=loaded.default_model or base.default_model,
    )
