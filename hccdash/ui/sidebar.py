"""The shared sidebar: cohort filters synced with the URL query string, and the patient count.

``app.py`` calls :func:`render_sidebar` on every run before the page; pages call
:func:`filtered_view` to get the filtered cohort. The filters live in widget state (keys
``f_*``), are read from ``st.query_params`` on the first run of a session (so a bookmarked
URL restores the view) and written back to it on every run (so the URL is always shareable).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from hccdash.codebook import Grouping, level_text
from hccdash.filters import (
    PAGE_KEYS,
    ROLE_KEYS,
    FilterSpec,
    apply_filters,
    binary_options,
    describe,
    events_per_endpoint,
    filter_labels,
    filter_levels,
    role_columns,
    slug,
)
from hccdash.identity import register
from hccdash.schema import (
    ASCITES,
    CHILD_PUGH,
    KPS,
    PATIENT_ID,
    PVTT,
    TREATMENT,
    Cohort,
)
from hccdash.ui import served_view
from hccdash.ui.cache import SCAN, cohort_cache
from hccdash.ui.common import esc_label, esc_md
from hccdash.ui.state import active_cohort, dropped_message, ensure_app_router, server_cohort

_VIEW_KEY = "hccdash_filtered_view"
_INIT_KEY = "hccdash_filters_initialised_for"
_WARN_KEY = "hccdash_url_warnings"
_EXTRA_PREFIX = "f_x_"
_SIGNS = {">": "gt", "<": "lt", "≤": "le", "≥": "ge", "=": "eq"}


def preset_ranges(grouping: Grouping, lo: int, hi: int) -> dict[str, tuple[int, int]]:
    """A codebook grouping as one-click ranges of an integer slider from ``lo`` to ``hi``:
    the low group ``lo .. floor(cut)``, the high group ``floor(cut) + 1 .. hi``, in the
    grouping's display order.

    >>> g = Grouping("KPS", 70, ("60–70", ">70"), order=(">70", "60–70"), preset=True)
    >>> preset_ranges(g, 60, 100)
    {'>70': (71, 100), '60–70': (60, 70)}
    """
    cut = int(np.floor(grouping.cut))
    low, high = grouping.labels
    ranges = {low: (lo, cut), high: (cut + 1, hi)}
    return {label: ranges[label] for label in grouping.level_order()}


def preset_key(column: str, label: str) -> str:
    """Widget key of a preset button: ``("kps", ">70")`` -> ``"f_kps_btn_gt70"``."""
    text = "".join(_SIGNS.get(ch, ch) for ch in label)
    return f"f_{column}_btn_{slug(text)}"


@dataclass(frozen=True)
class FilteredView:
    """The active cohort after the sidebar filters.

    Attributes
    ----------
    cohort : Cohort
        The unfiltered active cohort (bundled or uploaded).
    data : pandas.DataFrame
        Rows passing the filters.
    spec : FilterSpec
        The filters applied.
    n, n_total : int
        Patients kept, patients loaded.
    """

    cohort: Cohort
    data: pd.DataFrame
    spec: FilterSpec
    n: int
    n_total: int

    @property
    def filters_text(self) -> str:
        """The filters in one line with the cohort's own labels (captions, methods)."""
        return describe(self.spec, filter_labels(self.cohort), filter_levels(self.cohort))


def _cohort_id(cohort: Cohort) -> tuple[object, ...]:
    # Not id(): the bundled cohort comes from st.cache_data, a fresh copy on every run.
    return (cohort.name, cohort.source, cohort.n, tuple(map(str, cohort.data.columns)))


def _kps_bounds(data: pd.DataFrame, column: str | None = KPS) -> tuple[int, int, int] | None:
    """Slider bounds and step of the range role's column (None: not a numeric range)."""
    if column is None or column not in data.columns:
        return None
    kps = pd.to_numeric(data[column], errors="coerce").dropna()
    if kps.empty:
        return None
    lo, hi = int(np.floor(kps.min())), int(np.ceil(kps.max()))
    if lo == hi:
        return None
    step = 10 if (kps % 10 == 0).all() and lo % 10 == 0 else 1
    return lo, hi, step


def _clamp_kps(value: tuple[int, int], bounds: tuple[int, int, int]) -> tuple[int, int]:
    lo, hi, step = bounds
    a = max(lo, min(hi, value[0]))
    b = max(lo, min(hi, value[1]))
    if step > 1:
        # snap inward to the slider grid: (71, 100) -> (80, 100)
        a = lo + int(np.ceil((a - lo) / step)) * step
        b = lo + int(np.floor((b - lo) / step)) * step
    a, b = min(a, hi), max(b, lo)
    return (a, b) if a <= b else (b, a)


def _levels(data: pd.DataFrame, column: str) -> list[str]:
    return sorted({level_text(v) for v in data[column].dropna().unique()})


@cohort_cache(**SCAN)
def _extra_candidates(data: pd.DataFrame, skip: tuple[str, ...] = ()) -> list[str]:
    """Columns offered under "More filters": every column but ``skip`` (the role columns and
    their URL keys, :func:`_role_skip`), the identifier and the page keys' names (cached per
    cohort: it scans every column)."""
    skip = {*skip, PATIENT_ID}
    return [
        c for c in data.columns if c not in skip and c not in PAGE_KEYS and data[c].notna().any()
    ]


def _role_skip(roles: dict[str, str]) -> tuple[str, ...]:
    """Names that are not "more filters" columns: the role columns and the roles' URL keys."""
    probe = FilterSpec(roles=tuple((r, c) for r, c in roles.items() if c != r))
    return tuple(dict.fromkeys([*roles.values(), *(probe.query_key(r) for r in roles)]))


def _is_num(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def _num_bounds(col: pd.Series) -> tuple[float, float]:
    num = pd.to_numeric(col, errors="coerce").dropna()
    return float(num.min()), float(num.max())


def _default_widget_state(data: pd.DataFrame, kps: str | None = KPS) -> dict[str, object]:
    state: dict[str, object] = {
        "f_child_pugh": [],
        "f_pvtt": "any",
        "f_ascites": "any",
        "f_arm": "any",
        "f_more_cols": [],
    }
    bounds = _kps_bounds(data, kps)
    if bounds is not None:
        state["f_kps"] = (bounds[0], bounds[1])
    return state


def _spec_to_widgets(spec: FilterSpec, data: pd.DataFrame, roles: dict[str, str]) -> None:
    """Seed widget state from a spec (URL on first load or a newly loaded cohort)."""
    for key in list(st.session_state.keys()):
        if str(key).startswith(_EXTRA_PREFIX):
            del st.session_state[key]
    state = _default_widget_state(data, roles.get(KPS))
    if spec.child_pugh is not None:
        state["f_child_pugh"] = list(spec.child_pugh)
    bounds = _kps_bounds(data, roles.get(KPS))
    if spec.kps is not None and bounds is not None:
        state["f_kps"] = _clamp_kps(spec.kps, bounds)
    for key, value in (("f_pvtt", spec.pvtt), ("f_ascites", spec.ascites), ("f_arm", spec.arm)):
        if value is not None:
            state[key] = value
    cols = []
    for column, values in spec.extra:
        if column not in _extra_candidates(data, _role_skip(roles)):
            continue
        cols.append(column)
        if _is_num(data[column]):
            lo, hi = _num_bounds(data[column])
            state[_EXTRA_PREFIX + column] = (
                max(lo, min(hi, float(values[0]))),
                max(lo, min(hi, float(values[1]))),
            )
        else:
            state[_EXTRA_PREFIX + column] = [str(v) for v in values]
    state["f_more_cols"] = cols
    for key, value in state.items():
        st.session_state[key] = value


def _reset(ref: weakref.ref[pd.DataFrame], kps: str | None = KPS) -> None:
    """ "Reset filters" (the cohort by weak reference: Streamlit keeps a button's callback
    arguments after its session has closed, and must not keep the cohort with them)."""
    data = ref()
    if data is None:
        return
    for key in list(st.session_state.keys()):
        if str(key).startswith(_EXTRA_PREFIX):
            del st.session_state[key]
    for key, value in _default_widget_state(data, kps).items():
        st.session_state[key] = value
    st.session_state[_WARN_KEY] = []


def _set_kps(value: tuple[int, int], bounds: tuple[int, int, int]) -> None:
    st.session_state["f_kps"] = _clamp_kps(value, bounds)


def range_presets(grouping: Grouping, values: pd.Series) -> dict[str, tuple[float, float]]:
    """A codebook grouping as one-click ranges of a numeric slider over ``values``: the low
    group from the smallest value to the cut, the high group from the smallest value above
    the cut to the largest (exact on the data), in the grouping's display order; a group
    without values is left out.

    >>> g = Grouping("Age: ≤50 vs >50", 50, ("≤50", ">50"), preset=True)
    >>> range_presets(g, pd.Series([31.0, 50.0, 50.5, 77.0]))
    {'≤50': (31.0, 50.0), '>50': (50.5, 77.0)}
    """
    num = pd.to_numeric(values, errors="coerce").dropna()
    low, high = grouping.labels
    ranges: dict[str, tuple[float, float]] = {}
    below, above = num[num <= grouping.cut], num[num > grouping.cut]
    if len(below):
        ranges[low] = (float(num.min()), float(below.max()))
    if len(above):
        ranges[high] = (float(above.min()), float(num.max()))
    return {label: ranges[label] for label in grouping.level_order() if label in ranges}


def _set_range(key: str, value: tuple[float, float]) -> None:
    st.session_state[key] = value


def _range_presets(cohort: Cohort, column: str, key: str) -> None:
    """One-click buttons of the codebook's preset groupings of a "more filters" column."""
    for grouping in (g for g in cohort.groupings(column) if g.preset):
        presets = range_presets(grouping, cohort.data[column])
        if not presets:
            continue
        st.caption(esc_md(f"One click: {grouping.name}"))
        cols = st.columns(len(presets))
        for col, (label, rng) in zip(cols, presets.items(), strict=True):
            col.button(
                label,
                key=preset_key(f"xp_{column}", label),
                on_click=_set_range,
                args=(key, rng),
                width="stretch",
                help=esc_md(f"Set the {cohort.short_label(column)} range to the group {label}"),
            )


def _role_levels(cohort: Cohort, column: str) -> list[str]:
    """The codebook's levels (even those absent from the data), then any other value."""
    v = cohort.variable(column)
    listed = list(v.levels) if v is not None else []
    present = _levels(cohort.data, column)
    return listed + [x for x in present if x not in listed]


def _widgets(cohort: Cohort, roles: dict[str, str]) -> FilterSpec:
    """Draw the filter widgets and return the spec they describe.

    ``roles`` maps each sidebar role the cohort has to its column (:func:`role_columns`):
    the codebook's ``role`` entries, whatever the columns are called, else the canonical
    names. Labels and levels come from the codebook.
    """
    data = cohort.data
    sb = st.sidebar
    fields: dict[str, object] = {
        "roles": tuple((r, c) for r, c in roles.items() if c != r),
    }

    column = roles.get(CHILD_PUGH)
    if column is not None:
        options = _role_levels(cohort, column)
        chosen = sb.multiselect(
            esc_label(cohort.short_label(column)),
            options,
            key="f_child_pugh",
            placeholder="any level",
        )
        if chosen:
            fields["child_pugh"] = tuple(o for o in options if o in chosen)

    column = roles.get(KPS)
    bounds = _kps_bounds(data, column)
    if column is not None and bounds is not None:
        lo, hi, step = bounds
        current = st.session_state.get("f_kps")
        if not isinstance(current, tuple | list) or len(current) != 2:
            st.session_state["f_kps"] = (lo, hi)
        else:
            st.session_state["f_kps"] = _clamp_kps((int(current[0]), int(current[1])), bounds)
        short = cohort.short_label(column)
        value = sb.slider(esc_label(f"{short} (inclusive)"), lo, hi, step=step, key="f_kps")
        for grouping in (g for g in cohort.groupings(column) if g.preset):
            sb.caption(esc_md(f"One click: {grouping.name}"))
            presets = preset_ranges(grouping, lo, hi)
            cols = sb.columns(len(presets))
            for col, (label, rng) in zip(cols, presets.items(), strict=True):
                col.button(
                    label,
                    key=preset_key(KPS, label),
                    on_click=_set_kps,
                    args=(rng, bounds),
                    width="stretch",
                    help=esc_md(f"Set the {short} range to the group {label}"),
                )
        if tuple(value) != (lo, hi):
            fields["kps"] = (int(value[0]), int(value[1]))

    for role, key in ((PVTT, "f_pvtt"), (ASCITES, "f_ascites")):
        column = roles.get(role)
        if column is None:
            continue
        label = cohort.short_label(column)
        named = binary_options(data[column])
        if named is None:  # levels read as yes/no: the choices are yes/no
            choices = {"any": "any", "yes": "yes", "no": "no"}
        else:  # other levels (positive/negative ...): the codebook's, by their slug
            by_slug = {slug(v): v for v in _role_levels(cohort, column)}
            choices = {"any": "any", **{s: by_slug.get(s, v) for s, v in by_slug.items()}}
        if st.session_state.get(key) not in choices:
            st.session_state[key] = "any"
        choice = sb.radio(
            esc_label(label),
            list(choices),
            key=key,
            horizontal=True,
            format_func=choices.__getitem__,
        )
        if choice != "any":
            fields[role] = choice

    column = roles.get(TREATMENT)
    if column is not None:
        levels = {slug(v): v for v in _role_levels(cohort, column)}
        if st.session_state.get("f_arm") not in {"any", *levels}:
            st.session_state["f_arm"] = "any"
        arm = sb.selectbox(
            esc_label(cohort.short_label(column)),
            ["any", *levels],
            key="f_arm",
            format_func={"any": "any", **levels}.__getitem__,
        )
        if arm != "any":
            fields["arm"] = arm

    extra: list[tuple[str, object]] = []
    candidates = _extra_candidates(data, _role_skip(roles))
    with sb.expander("More filters", expanded=bool(st.session_state.get("f_more_cols"))):
        if st.session_state.get("f_more_cols"):
            st.session_state["f_more_cols"] = [
                c for c in st.session_state["f_more_cols"] if c in candidates
            ]
        chosen_cols = st.multiselect(
            "Filter on columns", candidates, key="f_more_cols", placeholder="choose columns"
        )
        for column in chosen_cols:
            col = data[column]
            key = _EXTRA_PREFIX + column
            if _is_num(col):
                lo_f, hi_f = _num_bounds(col)
                if lo_f == hi_f:
                    st.caption(f"{esc_md(column)}: every value is {lo_f:g}; nothing to filter.")
                    continue
                cur = st.session_state.get(key)
                if not isinstance(cur, tuple | list) or len(cur) != 2:
                    st.session_state[key] = (lo_f, hi_f)
                else:  # keep a stale range inside this cohort's bounds
                    a, b = (max(lo_f, min(hi_f, float(v))) for v in cur)
                    st.session_state[key] = (min(a, b), max(a, b))
                rng = st.slider(esc_label(cohort.short_label(column)), lo_f, hi_f, key=key)
                _range_presets(cohort, column, key)
                if (float(rng[0]), float(rng[1])) != (lo_f, hi_f):
                    extra.append((column, (float(rng[0]), float(rng[1]))))
            else:
                levels_x = _role_levels(cohort, column)  # the codebook's order, then others
                if key in st.session_state:
                    st.session_state[key] = [v for v in st.session_state[key] if v in levels_x]
                picked = st.multiselect(
                    esc_label(cohort.short_label(column)),
                    levels_x,
                    key=key,
                    placeholder="any value",
                )
                if picked:
                    extra.append((column, tuple(v for v in levels_x if v in picked)))
    fields["extra"] = tuple(extra)
    return FilterSpec(**fields)  # type: ignore[arg-type]


def _sync_query_params(spec: FilterSpec, data: pd.DataFrame) -> None:
    """Write the filters to the URL; leave page choices (endpoint, by, ...) alone."""
    wanted = spec.to_query()
    filter_keys = set(ROLE_KEYS.values()) | (set(map(str, data.columns)) - PAGE_KEYS)
    for key in list(st.query_params.keys()):
        if key in filter_keys and key not in wanted:
            del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def count_text(n: int, n_total: int) -> str:
    """The always-visible count, exactly ``n = 14 of 21 patients``."""
    return f"n = {n} of {n_total} patients"


def render_sidebar() -> FilteredView:
    """Draw the shared sidebar for this run and return the filtered cohort.

    Call once per run, before the page (``app.py`` does).
    """
    cohort = active_cohort()
    data = register(cohort.data, cohort.identity)  # caches key on the identity, no hashing
    roles = role_columns(cohort)
    if st.session_state.get(_INIT_KEY) != _cohort_id(cohort):
        spec, warnings = FilterSpec.from_query(st.query_params.to_dict(), data, roles)
        _spec_to_widgets(spec, data, roles)
        st.session_state[_INIT_KEY] = _cohort_id(cohort)
        st.session_state[_WARN_KEY] = warnings

    sb = st.sidebar
    dropped = dropped_message()
    if dropped:
        sb.warning(esc_md(dropped), icon=":material/cloud_off:")
        # In the page too (a collapsed sidebar must not hide a switch of cohort).
        st.warning(esc_md(dropped), icon=":material/cloud_off:")
    _, server_error = server_cohort()
    if server_error:
        sb.error(esc_md(f"The server's cohort (HCCDASH_DATA) cannot be used: {server_error}"))
    sb.subheader("Filters")
    counts = sb.container()
    for message in st.session_state.get(_WARN_KEY, []):
        sb.warning(esc_md(message))
    spec = _widgets(cohort, roles)
    sb.button(
        "Reset filters",
        key="f_reset",
        on_click=_reset,
        args=(weakref.ref(data), roles.get(KPS)),
        icon=":material/undo:",
    )

    # a filtered view is identified by its cohort and its spec
    endpoints = cohort.endpoints()
    if served_view.is_served(cohort):  # counted on the engine; no row in this session
        n, n_total, events = served_view.counts(cohort, spec)
        filtered = register(data.iloc[:0], f"{cohort.identity}|filters={spec!r}")
    else:
        filtered = register(apply_filters(data, spec), f"{cohort.identity}|filters={spec!r}")
        n, n_total = len(filtered), len(data)
        events = events_per_endpoint(filtered, endpoints)
    counts.markdown(count_text(n, n_total))
    labels = {e.key: e.key.upper() for e in endpoints}
    if events:
        counts.caption(" · ".join(f"{esc_md(labels[k])} events: {v}" for k, v in events.items()))
    _sync_query_params(spec, data)
    view = FilteredView(cohort, filtered, spec, n, n_total)
    st.session_state[_VIEW_KEY] = view
    return view


def sidebar_view() -> FilteredView:
    """The filtered cohort of this run as the sidebar made it: for a cohort served in place
    (:mod:`hccdash.ui.served_view`) its shell and counts, no rows (the KM and cohort pages
    compute on the engine)."""
    ensure_app_router()
    view = st.session_state.get(_VIEW_KEY)
    if view is None or _cohort_id(view.cohort) != _cohort_id(active_cohort()):
        view = render_sidebar()
    return view


def filtered_view() -> FilteredView:
    """The filtered cohort of this run with its rows (drawing the sidebar if ``app.py`` has
    not yet). A cohort served in place gives the rows its filters keep, read into memory, or
    stops the page with a message when they are more than ``HCCDASH_IN_MEMORY_ROWS``."""
    view = sidebar_view()
    if served_view.is_served(view.cohort):
        return served_view.rows_view(view)
    return view
