"""Messages shared by every page: the reconstruction notice, errors, too-few-patients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from hccdash.errors import HccdashError
from hccdash.report.fmt import format_p as _format_p
from hccdash.schema import Cohort
from hccdash.textsafe import label as esc_label  # widget labels: readable accessible names
from hccdash.textsafe import md as esc_md  # the one markdown escaper, for every page

__all__ = ["esc_label", "esc_md"]

REPRODUCE_PAGE = "pages/reproduce.py"


def reconstruction_notice(cohort: Cohort) -> None:
    """The codebook's notice on every page (the bundled cohort: its rows are reconstructed),
    with a link to the reproduce page while the bundled cohort is loaded."""
    notice = cohort.notice
    if notice:
        st.info(esc_md(notice), icon=":material/science:")
    if cohort.reconstructed:
        from hccdash.cohort.bundled import REPRODUCE_LINK

        st.page_link(REPRODUCE_PAGE, label=REPRODUCE_LINK, icon=":material/fact_check:")


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


def url_choice(
    key: str,
    parsed: tuple[object | None, list[str]],
    options: list,
    default: object,
) -> None:
    """Seed a page widget from its URL parameter on the page's first run.

    Later visits to the page in the same session restore the last choice, unless the URL
    names another value.

    ``parsed`` is ``(value, warnings)`` from a ``hccdash.filters.parse_*`` function; warnings
    (invalid URL values) are shown and the value is ignored.
    """
    kept = f"hccdash_kept_{key}"
    if key in st.session_state and st.session_state[key] in options:
        # Streamlit drops a widget's state on a run that does not draw it (another page):
        # keep the choice under a plain key so coming back to the page restores it.
        st.session_state[kept] = st.session_state[key]
        return
    if st.session_state.get(kept) in options and not parsed[0]:
        st.session_state[key] = st.session_state[kept]
        return
    value, warnings = parsed
    for message in warnings:
        st.warning(esc_md(message), icon=":material/link_off:")
    st.session_state[key] = value if value in options else default
