"""Streamlit helpers of the risk-models page: cached fits, chunked validation, what-if widgets.

Every heavy computation is cached with ``st.cache_data`` keyed by the modelled columns of the
(filtered) data, the features, the endpoint, the model, the seed and the options. Validation
runs chunk by chunk (one CV repeat or a few bootstrap replicates per cached call) with a
progress bar between chunks, so a script run never computes for more than a fraction of a
second without returning control to Streamlit (navigation and widget changes stay responsive).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence

import pandas as pd
import streamlit as st

from hccdash import models as M
from hccdash.identity import register
from hccdash.plotting.models import predicted_survival_figure
from hccdash.report.summary_tables import models_model
from hccdash.schema import Cohort, Endpoint
from hccdash.survdata import SurvData
from hccdash.timetext import ignored_text
from hccdash.timetext import parse_times as _parse_times
from hccdash.ui import cache
from hccdash.ui.cache import CACHE, cohort_cache
from hccdash.ui.common import esc_md, guarded
from hccdash.ui.downloads import show_figure
from hccdash.ui.fragments import session_fragment
from hccdash.ui.report_view import update_report_figure, update_report_table
from hccdash.ui.table_view import render_table_model

# The analyses' cache settings (exact DataFrame keys: frame_fingerprint), fewer entries: fits
# of models are larger than KM results.
_CACHE = {**CACHE, "max_entries": 128}


def model_frame(data: pd.DataFrame, endpoint: Endpoint, features: Sequence[str]) -> pd.DataFrame:
    """Only the columns a model uses (the patient id, the endpoint's and the features)."""
    ep = M.resolve_endpoint(endpoint)
    cols = [c for c in ("patient_id", ep.time, ep.event, *features) if c in data.columns]
    return data[list(dict.fromkeys(cols))]


def model_surv(
    cohort: Cohort, data: pd.DataFrame, endpoint: Endpoint, features: Sequence[str]
) -> SurvData:
    """The risk-models page's survival object, as the Cox page's (``cox_view.model_surv``):
    the view's validated survival data of ``endpoint`` (built once per view,
    :func:`hccdash.ui.cache.surv_data`) over the modelled columns with the codebook's level
    order (``Cohort.as_categorical``). Derived once per session, view and feature set and
    identified by them; every fit, validation chunk and importance is keyed by it."""
    sd = cache.surv_data(data, endpoint.time, endpoint.event, endpoint.key)
    key = f"{cache.frame_key(data)}|models={tuple(features)!r}"

    def build() -> SurvData:
        frame = register(model_frame(cohort.as_categorical(data), endpoint, features), key)
        return sd.with_frame(frame, key=key)

    return cache.session_memo("models_frame", (key, endpoint.time, endpoint.event), build)


@cohort_cache(**_CACHE)
def prepare(surv: SurvData, endpoint: Endpoint, features: tuple[str, ...]) -> M.ModelData:
    """Cached :func:`hccdash.models.prepare` of the view's survival data (:func:`model_surv`)."""
    return M.prepare(surv, endpoint, features)


@cohort_cache(**_CACHE)
def fit_model(
    surv: SurvData,
    endpoint: Endpoint,
    features: tuple[str, ...],
    kind: str,
    seed: int,
    n_estimators: int,
) -> M.FittedModel:
    """Cached :func:`hccdash.models.fit_model` on all complete cases."""
    md = M.prepare(surv, endpoint, features)
    return M.fit_model(md, kind, seed=seed, n_estimators=n_estimators)


@cohort_cache(**_CACHE)
def importance(
    surv: SurvData,
    endpoint: Endpoint,
    features: tuple[str, ...],
    kind: str,
    seed: int,
    n_estimators: int,
    n_repeats: int = 10,
) -> M.ImportanceResult:
    """Cached permutation importance of the full-data fit."""
    md = M.prepare(surv, endpoint, features)
    fitted = fit_model(surv, endpoint, features, kind, seed, n_estimators)
    return M.permutation_importance_table(fitted, md, n_repeats=n_repeats, seed=seed)


@cohort_cache(**{**_CACHE, "max_entries": 1024})
def _chunk(
    surv: SurvData,
    endpoint: Endpoint,
    features: tuple[str, ...],
    kind: str,
    method: str,
    start: int,
    stop: int,
    n_splits: int,
    options: M.ValidationOptions,
) -> M.ValidationChunk:
    md = M.prepare(surv, endpoint, features)
    if method == "cv":
        return M.cv_chunk(md, kind, start, stop, options, n_splits=n_splits)
    return M.bootstrap_chunk(md, kind, start, stop, options)


def validate(
    surv: SurvData,
    endpoint: Endpoint,
    features: tuple[str, ...],
    kind: str,
    *,
    method: str = "cv",
    n_splits: int = 3,
    n_units: int = 5,
    times: tuple[float, ...],
    tau: float,
    seed: int,
    n_estimators: int,
    chunk: int = 1,
) -> M.ValidationResult:
    """Cross-validation (``n_units`` repeats) or bootstrap (``n_units`` replicates), chunked.

    Each chunk is cached on its own; a progress bar advances between chunks.
    """
    options = M.ValidationOptions(times=times, tau=tau, seed=seed, n_estimators=n_estimators)
    label = M.MODEL_LABELS[kind]
    what = "repeat" if method == "cv" else "bootstrap replicate"
    bar = st.progress(0.0, text=f"Validating {label}…")
    if method != "cv":
        n_splits = 0  # not used by the bootstrap; one cache key for every n_splits
    chunks = []
    for start in range(0, n_units, chunk):
        stop = min(start + chunk, n_units)
        chunks.append(
            _chunk(surv, endpoint, features, kind, method, start, stop, n_splits, options)
        )
        bar.progress(stop / n_units, text=f"Validating {label}: {what} {stop} of {n_units}")
    bar.empty()
    md = prepare(surv, endpoint, features)
    if method == "cv":
        return M.summarise_cv(md, kind, chunks, options, n_splits=n_splits)
    return _summarise_bootstrap(surv, endpoint, features, kind, n_units, chunk, options)


@cohort_cache(**_CACHE)
def _summarise_bootstrap(
    surv: SurvData,
    endpoint: Endpoint,
    features: tuple[str, ...],
    kind: str,
    n_units: int,
    chunk: int,
    options: M.ValidationOptions,
) -> M.ValidationResult:
    # The chunks come from their own cache (filled by validate()'s loop just before).
    chunks = [
        _chunk(
            surv, endpoint, features, kind, "bootstrap", start, min(start + chunk, n_units), 0,
            options,
        )
        for start in range(0, n_units, chunk)
    ]  # fmt: skip
    md = M.prepare(surv, endpoint, features)
    return M.summarise_bootstrap(md, kind, chunks, options)


def parse_times(text: str) -> tuple[tuple[float, ...], list[str]]:
    """Parse ``"12, 24"`` into positive times; bad entries come back as messages."""
    times, bad = _parse_times(text, positive=True)
    msg = ignored_text(bad, "AUC times", positive=True)
    return times, [msg] if msg else []


def show_messages(messages: Sequence[str]) -> None:
    """Plain messages from a result, as one info box (never a traceback)."""
    if messages:
        st.info("\n\n".join(f"- {esc_md(m)}" for m in messages), icon=":material/info:")


def metrics_table(results: Sequence[M.ValidationResult]) -> pd.DataFrame:
    """The validation tables of several models stacked, rounded for the screen."""
    frames = [r.to_frame() for r in results if r.metrics]
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    if (table["method"] == "cv").all():
        table = table.drop(columns=["apparent", "optimism"])
    return table


def patient_widgets(md: M.ModelData, key: str = "whatif") -> dict[str, object]:
    """One widget per feature for the hypothetical patient (defaults: most common / median)."""
    patient: dict[str, object] = {}
    levels = md.level_map()
    cols = st.columns(min(4, max(1, len(md.features))))
    for i, f in enumerate(md.features):
        box = cols[i % len(cols)]
        if f in levels:
            options = list(levels[f])
            common = md.X[f].mode().iloc[0]
            patient[f] = box.selectbox(
                esc_md(f),
                options,
                index=options.index(common),
                key=f"{key}_{f}_{'|'.join(options)}",
            )
        else:
            values = md.X[f]
            lo, hi = float(values.min()), float(values.max())
            patient[f] = box.number_input(
                esc_md(f),
                min_value=lo,
                max_value=hi,
                value=float(values.median()),
                key=f"{key}_{f}_{lo:g}_{hi:g}",
            )
    return patient


@session_fragment()
def full_validation(
    surv: SurvData,
    endpoint,
    md: M.ModelData,
    kinds: tuple[str, ...],
    opts: dict,
    full_key: tuple,
    tables: MutableMapping[str, pd.DataFrame],
    report_tables: list,
) -> None:
    """The "Run full validation" button and the optimism-corrected bootstrap it runs.

    An ``st.fragment``: the click and the bootstrap's progress rerun this section only (the
    cross-validation, fits and figures of the page stay as drawn). The table goes to the
    page's ZIP (``tables``) and report (``report_tables`` on a full run, the stored section
    on a fragment rerun).
    """
    if st.button(
        "Run full validation (optimism-corrected bootstrap, 200 replicates)",
        key="models_full_button",
        icon=":material/play_arrow:",
        help="200 refits per model, computed in small cached chunks with a progress bar; "
        "about 10 s of computation per model on the bundled cohort.",
    ):
        st.session_state["models_full_key"] = full_key
    if st.session_state.get("models_full_key") != full_key:
        return
    boot = {}
    for kind in kinds:
        with guarded(M.MODEL_LABELS[kind]):
            boot[kind] = validate(
                surv, endpoint, md.features, kind, method="bootstrap", n_units=200, chunk=5,
                **opts,
            )  # fmt: skip
    boot_table = metrics_table(list(boot.values()))
    st.subheader("Optimism-corrected bootstrap")
    st.caption(
        "Apparent = the model scored on the patients it was fitted to; optimism = mean gain "
        "of a bootstrap refit on its own sample over the original data; estimate = apparent − "
        "optimism. sd, lower, upper describe the optimism over replicates."
    )
    if not boot_table.empty:
        boot_model = models_model(
            list(boot.values()), key="risk_models_bootstrap", details=boot_table
        )
        render_table_model(boot_model, "models_boot", title=False)
        if all(getattr(t, "key", None) != boot_model.key for t in report_tables):
            report_tables.append(boot_model)
        update_report_table("models", boot_model)
        tables["bootstrap"] = boot_table
    for res in boot.values():
        show_messages(res.messages)


@session_fragment()
def what_if(
    models: Sequence[M.FittedModel],
    md: M.ModelData,
    unit: str,
    figures: MutableMapping[str, object],
    tables: MutableMapping[str, pd.DataFrame],
) -> None:
    """The what-if patient: widgets, each model's predicted survival, the matching patients.

    An ``st.fragment``: changing a feature of the hypothetical patient reruns this section
    only (the fits above are not touched). ``figures`` and ``tables`` are the page's dicts for
    its "Download all" ZIP, updated in place; the report's figure follows too.
    """
    patient = patient_widgets(md, key="models_whatif")
    with guarded("What-if prediction"):
        pred = M.predict_patient(list(models), md, patient, times=(12.0, 24.0))
        fig = predicted_survival_figure(pred, time_unit=unit)
        show_figure(fig, "what_if_patient", key="models_whatif_fig")
        figures["what_if"] = fig
        update_report_figure("models", "what_if", fig)
        table = pred.to_frame().rename(
            columns={"median": "predicted median", "surv_12": "1-year", "surv_24": "2-year"}
        )
        st.dataframe(table, hide_index=True, key="models_whatif_table")
        tables["what_if"] = table
        st.caption(
            f"Matching rule: {esc_md(pred.match_rule)}. {pred.matched_n} real patient(s), "
            f"{pred.matched_events} event(s). A blank median means the curve stays above 0.5 "
            "within the follow-up the model saw; a blank rate means beyond that follow-up."
        )
        show_messages(pred.messages)


# Page copy: what the sample size lets the page claim (plain sentences, no streamlit).
def events_per_variable_message(md: M.ModelData) -> tuple[str, str]:
    """A severity (``"error"``/``"warning"``/``"info"``) and a plain events-per-variable note."""
    epv = md.events_per_variable
    base = (
        f"{md.events} events for {md.n_parameters} model parameter(s) among {md.n} patients: "
        f"{epv:.1f} events per variable."
    )
    if epv < 5:
        return "error", (
            base + " Below 5 a Cox model's coefficients are badly biased and unstable; treat "
            "every estimate here as a description of this sample, not a prognostic score."
        )
    if epv < 10:
        return "warning", (
            base + " Below the usual 10-20, coefficients are inflated and validation "
            "estimates are noisy; keep the feature set small."
        )
    return "info", base + " Enough for a modest model; validation still decides."


def validation_statement(md: M.ModelData, folds: int = 3) -> str:
    """What cross-validation can and cannot say at this sample size (plain language)."""
    per_fold = md.n / folds
    ev_fold = md.events / folds
    if md.n < 50:
        return (
            f"With {md.n} patients and {md.events} events, each test fold holds about "
            f"{per_fold:.0f} patients and {ev_fold:.0f} events. The concordance of a fold rests on "
            "a few dozen patient pairs, so the spread over repeats is wide and a C of 0.7 is "
            "compatible with no real discrimination. Validation here can reveal a model that "
            "fails badly; it cannot show that a model works, and no model fitted to these data "
            "should be used to make decisions for individual patients. External validation in "
            "a larger cohort is needed."
        )
    return (
        f"With {md.n} patients and {md.events} events, repeated cross-validation gives a usable "
        "estimate of discrimination (C, AUC) and calibration-in-the-large (Brier score against "
        "the Kaplan-Meier null). It is internal validation: it does not show the model "
        "transports to other centres or periods."
    )
