"""One options panel per figure: every FigureSpec field, from and to the URL, reset in a click.

``figure_panel`` draws a popover of widgets and returns the :class:`FigureSpec` they make; the
options that differ from the defaults go to the URL (``?fig_title=...``) so a view with its
figure options is bookmarkable. ``show_spec_figure`` draws the figure on the page (screen
preset, live: it follows every change), the download buttons at the chosen size preset, an
exact preview of the exported file on request, and the spec as JSON for
``python -m hccdash figure ... --spec FILE.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from functools import partial

import plotly.graph_objects as go
import streamlit as st

from hccdash.errors import HccdashError
from hccdash.export import MIME, chromium_available, preset_figure_bytes, safe_filename
from hccdash.plotting.km import level_style
from hccdash.plotting.spec import (
    ANNOTATION_POSITIONS,
    CENSOR_MARKS,
    CI_BANDS,
    PALETTES,
    RISK_TABLES,
    FigureSpec,
)
from hccdash.style import SIZE_PRESETS
from hccdash.ui.cache import cohort_cache, session_memo
from hccdash.ui.common import esc_label, esc_md
from hccdash.ui.fragments import session_fragment

EXPORT_KEY = "{key}__export"  # session state: the last exported figure's JSON (tests read it)
_RISK = {"none": "none", "at-risk": "number at risk", "kmunicate": "at risk (events, censored)"}
_CI = {"auto": "auto (one curve only)", "on": "on", "off": "off"}
_CENSOR = {"+": "+", "|": "|", "none": "none"}
_ANN = {
    "above": "above the plot",
    "top-right": "inside, top right",
    "bottom-left": "inside, bottom left",
    "none": "none",
}
_TEXT_FIELDS = ("title", "xlabel", "ylabel", "legend_title")


def _wkey(key: str, name: str) -> str:
    return f"{key}__{name}"


def _seed(key: str, spec: FigureSpec, defaults: dict[str, str]) -> None:
    """Put ``spec`` into the widgets' session state (first run, or after reset)."""
    ss = st.session_state
    ss[_wkey(key, "preset")] = spec.preset
    for name in _TEXT_FIELDS:
        value = getattr(spec, name)
        ss[_wkey(key, name)] = value or ""
        ss[_wkey(key, f"show_{name}")] = value != ""
    for name in ("palette", "risk_table", "ci", "censor", "annotation"):
        ss[_wkey(key, name)] = getattr(spec, name)
    for name in ("y_percent", "caption", "median_lines", "show_test", "show_hr"):
        ss[_wkey(key, name)] = getattr(spec, name)
    ss[_wkey(key, "x_max")] = float(spec.x_max or 0.0)
    ss[_wkey(key, "x_break")] = float(spec.x_break or 0.0)
    ss[_wkey(key, "labels")] = dict(spec.group_labels)
    ss[_wkey(key, "colors")] = dict(spec.colors)
    ss[_wkey(key, "reference")] = spec.reference
    ss.pop(_wkey(key, "reference_choice"), None)
    ss[_wkey(key, "seeded")] = True


def _reset(key: str, kind: str, prefix: str, defaults: dict[str, str]) -> None:
    for k in [k for k in st.session_state if str(k).startswith(f"{key}__")]:
        del st.session_state[k]
    for k in [k for k in st.query_params if k.startswith(prefix + "_")]:
        del st.query_params[k]
    _seed(key, FigureSpec(kind=kind), defaults)


def figure_panel(
    key: str,
    kind: str,
    *,
    prefix: str = "fig",
    levels: Sequence[str] = (),
    color_levels: Sequence[str] | None = None,
    defaults: dict[str, str] | None = None,
    references: Sequence[str] = (),
    container=None,
    lazy: bool = False,
) -> FigureSpec:
    """Draw the figure's options popover and return the spec it makes.

    Parameters
    ----------
    key : str
        Widget key prefix (one per figure on the page).
    kind : {"km", "cif", "forest", "schoenfeld"}
    prefix : str
        URL parameter prefix (``fig`` -> ``fig_title=...``); one per figure on a page.
    levels : sequence of str
        The groups drawn (for labels and colours).
    color_levels : sequence of str, optional
        The factor's full level order (the default colours).
    defaults : dict
        The default texts shown in the text boxes (``title``, ``legend_title``, ...).
    references : sequence of str
        Reference-level choices of the HR (KM): the first is the cohort's reference.
    lazy : bool
        Build the popover's widgets only while it is open (issue 20: two dozen widgets cost
        a rerun tens of ms; opening the popover reruns the page or the figure's fragment).
        The closed panel's spec comes from the widgets' kept values (``persist_state``).
    """
    defaults = dict(defaults or {})
    if not st.session_state.get(_wkey(key, "seeded")):
        url_spec, warnings = FigureSpec.from_query(dict(st.query_params), kind=kind, prefix=prefix)
        for message in warnings:
            st.warning(esc_md(message), icon=":material/link_off:")
        _seed(key, url_spec, defaults)
    ss = st.session_state
    box = container if container is not None else st
    choice = _wkey(key, "reference_choice")
    if references and ss.get(choice) not in references:
        current = ss.get(_wkey(key, "reference"))
        ss[choice] = current if current in references else references[0]
    keep = {"persist_state": "page"} if lazy else {}
    if lazy:
        pop = box.popover(
            "Figure options", icon=":material/tune:", width="content", key=_wkey(key, "open"),
            on_change="rerun",
        )  # fmt: skip
        if not pop.open:
            spec = _spec_from_widgets(key, kind, defaults, references)
            _to_url(spec, prefix)
            return spec
    else:
        pop = box.popover("Figure options", icon=":material/tune:", width="content")
    with pop:
        c1, c2 = st.columns([3, 1])
        c1.selectbox(
            "Size",
            list(SIZE_PRESETS),
            format_func=lambda k: SIZE_PRESETS[k].label,
            key=_wkey(key, "preset"),
            **keep,
            help="Slides use text of at least 22 px, journal columns at least 7 pt.",
        )
        c2.button(
            "Reset",
            key=_wkey(key, "reset"),
            on_click=_reset,
            args=(key, kind, prefix, defaults),
            icon=":material/restart_alt:",
            help="All figure options back to their defaults.",
        )
        tabs = st.tabs(["Text", "Groups", "Axes", "Content"])
        with tabs[0]:
            st.caption("An empty box keeps the default text (shown greyed); switch a text off.")
            names = {"title": "Title", "legend_title": "Legend title", "xlabel": "x-axis label"}
            if kind in ("forest",):
                names.pop("legend_title")
            else:
                names["ylabel"] = "y-axis label"
            for name, label in names.items():
                t1, t2 = st.columns([4, 1])
                t1.text_input(
                    esc_label(label),
                    key=_wkey(key, name),
                    **keep,
                    placeholder=esc_label(defaults.get(name) or "(default)"),
                    disabled=not ss.get(_wkey(key, f"show_{name}"), True),
                )
                t2.toggle("show", key=_wkey(key, f"show_{name}"), **keep)
            st.toggle("Methods caption in the image", key=_wkey(key, "caption"), **keep)
        with tabs[1]:
            st.selectbox("Palette", PALETTES, key=_wkey(key, "palette"), **keep)
            labels = dict(ss.get(_wkey(key, "labels"), {}))
            colors = dict(ss.get(_wkey(key, "colors"), {}))
            base = replace(FigureSpec(kind=kind), palette=ss[_wkey(key, "palette")])
            for i, level in enumerate(levels[:12]):
                g1, g2 = st.columns([4, 1])
                text = g1.text_input(
                    f"Label of {esc_label(level)}",
                    value=labels.get(level, level),
                    key=_wkey(key, f"label_{i}"),
                    **keep,
                )
                default_color, _ = level_style(base, level, color_levels or levels, True)
                picked = g2.color_picker(
                    "Colour",
                    value=colors.get(level, default_color),
                    key=_wkey(key, f"color_{i}"),
                    **keep,
                    label_visibility="hidden" if i else "visible",
                )
                if text and text != level:
                    labels[level] = text
                else:
                    labels.pop(level, None)
                if picked.upper() != default_color.upper():
                    colors[level] = picked.upper()
                else:
                    colors.pop(level, None)
            ss[_wkey(key, "labels")] = labels
            ss[_wkey(key, "colors")] = colors
            if references:
                st.selectbox(
                    "Reference group of the hazard ratios",
                    list(references),
                    key=choice,
                    **keep,
                    help="Each other group's HR is against this one; default: the cohort's.",
                )
        with tabs[2]:
            if kind in ("km", "cif"):
                st.toggle("y axis in %", key=_wkey(key, "y_percent"), **keep)
                a1, a2 = st.columns(2)
                a1.number_input(
                    "x axis end (0 = all)", min_value=0.0, key=_wkey(key, "x_max"), **keep
                )
                a2.number_input(
                    "Break every (0 = auto)", min_value=0.0, key=_wkey(key, "x_break"), **keep
                )
            else:
                st.caption("The axes of this figure follow the data.")
        with tabs[3]:
            if kind in ("km", "cif"):
                st.radio(
                    "Risk table",
                    RISK_TABLES,
                    format_func=_RISK.get,
                    key=_wkey(key, "risk_table"),
                    **keep,
                )
                b1, b2 = st.columns(2)
                b1.selectbox("CI band", CI_BANDS, format_func=_CI.get, key=_wkey(key, "ci"), **keep)
                b2.selectbox("Censor mark", CENSOR_MARKS, key=_wkey(key, "censor"), **keep)
                st.toggle("Median lines", key=_wkey(key, "median_lines"), **keep)
                st.selectbox(
                    "Test and HR text",
                    ANNOTATION_POSITIONS,
                    format_func=_ANN.get,
                    key=_wkey(key, "annotation"),
                    **keep,
                )
                b3, b4 = st.columns(2)
                b3.toggle("Show test", key=_wkey(key, "show_test"), **keep)
                b4.toggle("Show HR", key=_wkey(key, "show_hr"), **keep)
            else:
                st.caption("Nothing else to choose for this figure.")
        spec = _spec_from_widgets(key, kind, defaults, references)
        st.download_button(
            "Save options (JSON, for the CLI's --spec)",
            data=spec.to_json(),
            file_name=f"{safe_filename(key)}_spec.json",
            mime=MIME["json"],
            key=_wkey(key, "save"),
            on_click="ignore",
            icon=":material/save:",
        )
    _to_url(spec, prefix)
    return spec


def _spec_from_widgets(
    key: str, kind: str, defaults: dict[str, str], references: Sequence[str]
) -> FigureSpec:
    ss = st.session_state
    values: dict[str, object] = {"kind": kind, "preset": ss[_wkey(key, "preset")]}
    for name in _TEXT_FIELDS:
        text = str(ss.get(_wkey(key, name), "") or "")
        shown = ss.get(_wkey(key, f"show_{name}"), True)
        values[name] = "" if not shown else (text.strip() or None)
    for name in ("palette", "risk_table", "ci", "censor", "annotation"):
        values[name] = ss[_wkey(key, name)]
    for name in ("y_percent", "caption", "median_lines", "show_test", "show_hr"):
        values[name] = bool(ss[_wkey(key, name)])
    values["x_max"] = float(ss[_wkey(key, "x_max")]) or None
    values["x_break"] = float(ss[_wkey(key, "x_break")]) or None
    values["group_labels"] = tuple(ss.get(_wkey(key, "labels"), {}).items())
    values["colors"] = tuple(ss.get(_wkey(key, "colors"), {}).items())
    if references:
        ref = ss.get(_wkey(key, "reference_choice"))
        values["reference"] = ref if ref in references[1:] else None
    else:
        values["reference"] = ss.get(_wkey(key, "reference"))
    known = {f.name for f in fields(FigureSpec)}
    return FigureSpec(**{k: v for k, v in values.items() if k in known})


def _to_url(spec: FigureSpec, prefix: str) -> None:
    wanted = spec.to_query(prefix)
    for k in [k for k in st.query_params if k.startswith(prefix + "_") and k not in wanted]:
        del st.query_params[k]
    for k, v in wanted.items():
        if st.query_params.get(k) != v:
            st.query_params[k] = v


# session-scoped while the session holds an upload: the image shows its patients' curves
@cohort_cache(show_spinner=False, max_entries=32)
def _preview_png(fig_json: str, preset: str) -> bytes:
    return preset_figure_bytes(go.Figure(fig_json).to_dict(), "png", preset)


def show_spec_figure(
    build: Callable[[FigureSpec, float | None], go.Figure],
    spec: FigureSpec,
    name: str,
    key: str,
    *,
    screen_width: float | None = None,
    ident: tuple | None = None,
) -> go.Figure:
    """Draw ``build(spec)`` on the page and offer it at ``spec.preset``; return the export figure.

    The page shows the screen layout (it follows every option live); the files are the
    figure built for the preset, the same bytes the CLI writes for the same spec.

    ``ident``: what the figure shows besides its spec, as a tuple whose first item is the view's
    identity (``hccdash.ui.cache.surv_fingerprint`` / ``frame_key``) and whose other items are
    the analysis choices. With it, the figures are built once per (identity, spec, width) in
    this session (:func:`hccdash.ui.cache.session_memo`): a rerun that changed something else
    (another figure's options, a table option, a revisited filter) builds nothing. Without it
    the figure is built on every run.
    """

    def make() -> tuple[go.Figure, go.Figure, str]:
        screen = build(replace(spec, preset="screen"), screen_width)
        export = screen if spec.preset == "screen" and screen_width is None else build(spec, None)
        return screen, export, export.to_json()

    if ident is None:
        screen, export, export_json = make()
    else:
        memo_key = (str(ident[0]), *map(repr, ident[1:]), key, repr(spec), screen_width)
        screen, export, export_json = session_memo("figure", memo_key, make, keep=_FIGURES_KEPT)
    st.plotly_chart(
        screen,
        width="stretch",
        theme=None,
        config={"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]},
        key=f"{key}_chart",
    )
    st.session_state[EXPORT_KEY.format(key=key)] = export_json
    _export_panel(export, spec.preset, name, key)
    return export


_FIGURES_KEPT = 12  # figures (screen + export of each) held per session: a page's worth


@session_fragment(slot="key")
def _export_panel(export: go.Figure, preset_key: str, name: str, key: str) -> None:
    """The figure's file downloads and exact preview: a fragment, so the preview toggle (and a
    download click) reruns only this panel, not the page."""
    preset = SIZE_PRESETS[preset_key]
    omitted = list((export.layout.meta or {}).get("omitted", []))
    if omitted:
        st.caption(
            f"Left out of the {preset.label} file for lack of room: {', '.join(omitted)}. "
            "Choose a larger size, fewer or shorter labels, or turn parts off."
        )
    if not chromium_available():
        st.info(
            "Server-side export needs chromium, which is not installed on this server; the "
            "chart's own toolbar camera saves a PNG of what is on screen."
        )
        return
    stem = f"{safe_filename(name)}_{preset_key}"
    dpi = f", {preset.dpi} dpi" if preset.dpi else ""
    st.caption(
        f"Download at {preset.label} ({export.layout.width} × {export.layout.height} px"
        f"{dpi}); change the size under Figure options."
    )
    cols = st.columns(len(preset.formats) + 1)
    for col, fmt in zip(cols, preset.formats, strict=False):
        col.download_button(
            fmt.upper(),
            data=partial(preset_figure_bytes, export, fmt, preset_key),
            file_name=f"{stem}.{'tif' if fmt == 'tiff' else fmt}",
            mime=MIME[fmt],
            key=f"{key}_{fmt}",
            on_click="ignore",
            icon=":material/download:",
        )
    if cols[-1].toggle("Preview file", key=f"{key}_preview", help="The exported image, exactly"):
        try:
            st.image(_preview_png(export.to_json(), preset_key), caption=preset.label)
        except HccdashError as exc:
            st.warning(esc_md(str(exc)))
