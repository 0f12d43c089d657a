"""Messages shared by every page: the reconstruction notice, errors, too-few-patients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from hccdash.errors import HccdashError
from hccdash.report.fmt import format_estimate_ci
from hccdash.report.fmt import format_p as _format_p
from hccdash.schema import Cohort

REPRODUCE_PAGE = "pages/reproduce.py"
# Characters with a meaning in Streamlit markdown (links, images, emphasis, emoji shortcodes,
# HTML-looking tags, LaTeX): escaped in every data- or URL-derived string we show, so a column
# name or a crafted link cannot make the browser fetch an external image.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
RECONSTRUCTION_TEXT = (
    "This is the bundled, reconstructed cohort: 21 patients generated to reproduce the "
    "published figures of Luo et al. The study never published patient-level data, so these "
    "rows are not real patients. Use it to explore the methods, not to draw clinical "
    "conclusions."
)


def esc_md(text: object) -> str:
    """``text`` with every markdown-special character backslash-escaped (shown literally)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def reconstruction_notice(cohort: Cohort) -> None:
    """Banner on every page showing the bundled cohort, linking to the reproduce page."""
    if not cohort.reconstructed:
        return
    st.info(RECONSTRUCTION_TEXT, icon=":material/science:")
    st.page_link(
        REPRODUCE_PAGE,
        label="How it was reconstructed and how close it is: Reproduce the paper",
        icon=":material/fact_check:",
    )


def show_error(exc: HccdashError, section: str | None = None) -> None:
    """Show an error a user can act on as a message in place (never a traceback).

    ``section`` names what could not be shown ("The Cox model"), so the reader knows which
    part of the page the message is about.
    """
    text = f"{section} cannot be shown: {exc}" if section else str(exc)
    st.warning(esc_md(text), icon=":material/warning:")


@contextmanager
def guarded(section: str = "This section") -> Iterator[None]:
    """Run one page section; an expected failure becomes a message, the page goes on.

    ``HccdashError`` (bad input, analysis not computable) is shown with :func:`show_error`,
    naming the section.
    """
    try:
        yield
    except HccdashError as exc:
        show_error(exc, section)


def too_few_patients(n: int, minimum: int = 2, what: str = "this analysis") -> bool:
    """Show a message and return True when fewer than ``minimum`` patients are left."""
    if n >= minimum:
        return False
    if n == 0:
        st.warning(
            "No patients left after the filters: widen or reset the filters in the sidebar.",
            icon=":material/filter_alt_off:",
        )
    else:
        st.warning(
            f"Only {n} patient{'s' if n != 1 else ''} left after the filters: {what} needs at "
            f"least {minimum}. Widen or reset the filters in the sidebar.",
            icon=":material/filter_alt_off:",
        )
    return True


def fmt_p(p: float | None) -> str:
    """p value as printed in tables (alias of :func:`hccdash.report.fmt.format_p`):
    ``<0.001``, otherwise 2 significant digits; ``—`` when missing."""
    return _format_p(p)


def fmt_ci(est: float | None, lower: float | None, upper: float | None, digits: int = 1) -> str:
    """``est (lower–upper)``; a missing estimate or bound is ``NR`` (not reached). Alias of
    :func:`hccdash.report.fmt.format_estimate_ci`."""
    return format_estimate_ci(est, lower, upper, digits)


def url_choice(
    key: str,
    parsed: tuple[object | None, list[str]],
    options: list,
    default: object,
) -> None:
    """Seed a page widget from its URL parameter on the page's first run.

    ``parsed`` is ``(value, warnings)`` from a ``hccdash.filters.parse_*`` function; warnings
    (invalid URL values) are shown and the value is ignored.
    """
    if key in st.session_state and st.session_state[key] in options:
        return
    value, warnings = parsed
    for message in warnings:
        st.warning(esc_md(message), icon=":material/link_off:")
    st.session_state[key] = value if value in options else default
