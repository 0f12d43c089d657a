"""Safe display of user-derived text: the one home of markdown/HTML escaping and formula defusing.

User-derived text is anything that came from a file or a URL: column names, levels, cell
values, file names, sheet names, codebook labels, and messages that quote them. Streamlit
renders markdown (images, links, HTML-looking tags, emoji shortcodes, LaTeX) in
``st.markdown``, alerts, captions, metric labels, help texts, expander and tab labels and
widget labels; plotly renders a small HTML subset (``<a href>``, ``<b>``, ``<br>``) in figure
text; a spreadsheet runs a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula. A file
whose header is ``![x](http://host/track)`` would make every browser that shows it fetch that
address; a cell ``=HYPERLINK("http://host", "click")`` would become a live link in Excel.

Every such string goes through one of these pure functions (no streamlit here, so they are
tested without a browser); :mod:`hccdash.ui.common` re-exports :func:`md` as ``esc_md``.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = [
    "FORMULA_PREFIXES",
    "MAX_SHOWN",
    "defuse_cell",
    "is_formula",
    "label",
    "md",
    "plain",
    "plotly_text",
]

# Characters with a meaning in Streamlit markdown (links, images, emphasis, emoji shortcodes,
# HTML-looking tags, LaTeX, tables, headings, lists).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# Characters a spreadsheet reads as the start of a formula (OWASP CSV injection), also after
# leading spaces (LibreOffice trims them).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_WWW = re.compile(r"(?i)www(?=\\\.)")
# Longest user string shown in a message; the rest is cut with an ellipsis (a 1 MB header
# must not make a 1 MB alert).
MAX_SHOWN = 2000


def _visible(text: str, limit: int | None, keep: str = "") -> str:
    """Control and bidirectional-format characters made visible; long text shortened.

    Right-to-left overrides (U+202E ...) can make ``exe.txt`` read as ``txt.exe``; newlines
    would start new markdown blocks. They are written as ``<U+202E>`` instead.
    """
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in keep:
            out.append(ch)
        elif ch in "\n\t" or cat in ("Cc", "Cf", "Zl", "Zp"):
            out.append(f"<U+{ord(ch):04X}>")
        else:
            out.append(ch)
    s = "".join(out)
    if limit is not None and len(s) > limit:
        s = s[:limit] + f"… ({len(s) - limit} more characters)"
    return s


def md(text: object, limit: int | None = MAX_SHOWN) -> str:
    """``text`` shown literally by Streamlit markdown: every special character escaped.

    Use for any string that reaches ``st.markdown``, an alert, a caption, a label or a help
    text and may carry user data (a whole message that quotes a column name included).

    Parameters
    ----------
    text : object
        Converted with ``str``.
    limit : int or None
        Longest text kept (``None``: no limit); longer text ends with an ellipsis.

    Examples
    --------
    >>> md("![x](http://127.0.0.1/t)")
    '\\\\!\\\\[x\\\\]\\\\(http\\\\:\\u200b//127\\\\.0\\\\.0\\\\.1/t\\\\)'
    >>> md("KPS > 70")
    'KPS \\\\> 70'
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", _visible(str(text), limit, keep="\n"))
    # Escapes do not stop GFM's autolinks (http://..., www...., a@b.c): a zero-width space
    # inside each trigger keeps the text as typed on screen and never a live link.
    escaped = escaped.replace("\\://", "\\:\u200b//").replace("@", "\u200b@")
    return _WWW.sub("www\u200b", escaped)


def plain(text: object, limit: int | None = MAX_SHOWN) -> str:
    """``text`` with control/bidi characters visible and long text shortened, not escaped.

    For places that show text as plain text already (``st.text``, ``st.code``, dataframe
    cells, file names of downloads).

    Examples
    --------
    >>> plain("a\\u202eb")
    'a<U+202E>b'
    """
    return _visible(str(text), limit)


# In a widget label only links and images can reach out (Streamlit labels take no HTML):
# these characters are escaped there, so the label's accessible name stays readable.
_LABEL_SPECIAL = re.compile(r"([\\\[\]<>`])")
_LABEL_WWW = re.compile(r"(?i)www(?=\.)")


def label(text: object, limit: int | None = 200) -> str:
    """``text`` safe as a Streamlit widget label, tab or page-link label.

    Escapes only what makes a link or an image (``[``, ``]``), code and tag brackets, and
    breaks bare ``http://`` / ``www.`` / e-mail autolinks with a zero-width space, so the label
    a screen reader announces (Streamlit's ``aria-label`` is the raw string) keeps its words:
    ``"Gleason grade group (1-5)"`` is unchanged, where :func:`md` would add backslashes.

    Examples
    --------
    >>> label("Gleason grade group (1-5)")
    'Gleason grade group (1-5)'
    >>> label("![x](http://127.0.0.1/t)")
    '!\\\\[x\\\\](http:\\u200b//127.0.0.1/t)'
    """
    escaped = _LABEL_SPECIAL.sub(r"\\\1", _visible(str(text), limit))
    escaped = escaped.replace("://", ":\u200b//").replace("@", "\u200b@")
    return _LABEL_WWW.sub("www\u200b", escaped)


def plotly_text(text: object, limit: int | None = MAX_SHOWN) -> str:
    """``text`` for plotly titles, axis titles, legend names, hover and annotations.

    plotly renders ``<a href>``, ``<b>``, ``<br>`` and entities; escaping ``&``, ``<`` and
    ``>`` shows them as typed.

    Examples
    --------
    >>> plotly_text('<a href="javascript:alert(1)">x</a>')
    '&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;'
    """
    return html.escape(_visible(str(text), limit), quote=True)


def is_formula(value: object) -> bool:
    """True when a spreadsheet would run ``value`` as a formula (text only).

    A plain number written as text (``"-1.5"``, ``"+2"``, ``"-1 "``) is not a formula.

    Examples
    --------
    >>> is_formula('=HYPERLINK("http://x")'), is_formula(" =1+1"), is_formula("-1 ")
    (True, True, False)
    """
    if not isinstance(value, str):
        return False
    stripped = value.lstrip(" ")
    if not stripped.startswith(FORMULA_PREFIXES):
        return False
    return not _PLAIN_NUMBER.match(value.strip())


def defuse_cell(value: object) -> object:
    """``value`` with a leading apostrophe if a spreadsheet would run it as a formula.

    The one formula defuser: CSV/XLSX exports, the data grids and the report tables use it.

    Examples
    --------
    >>> defuse_cell("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    >>> defuse_cell("-1 "), defuse_cell(3)
    ('-1 ', 3)
    """
    return "'" + value if is_formula(value) else value
