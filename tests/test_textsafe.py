"""Safe display of user text: the escaper, the formula defuser, and a scan of every Streamlit call.

The scan reads ``pages/*.py``, ``app.py`` and ``hccdash/ui/*.py`` (AST, no browser) and fails on
any argument of a markdown-rendering call (alerts, captions, markdown, metric labels, help,
expander/tab labels, widget labels) that is built from a variable (an f-string, ``+``,
``str(...)``, ``.join``, a name) without going through ``esc_md`` (:func:`hccdash.textsafe.md`).
Numbers are fine: an f-string field with a format spec (``{x:.1f}``) or one of the numeric
helpers below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from hccdash import export, textsafe
from hccdash import io as hio

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("hccdash/ui/*.py")])

# Calls whose first argument (or `label`/`body`) Streamlit renders as markdown.
MARKDOWN_CALLS = {
    "markdown", "error", "warning", "info", "success", "caption", "metric", "expander",
    "subheader", "header", "title", "toast", "write", "popover",
    # widget labels are markdown too (images included)
    "selectbox", "multiselect", "slider", "select_slider", "number_input", "radio", "toggle",
    "checkbox", "text_input", "text_area", "date_input", "button", "download_button",
    "file_uploader", "page_link", "segmented_control", "pills",
}  # fmt: skip
MARKDOWN_KEYWORDS = {"help", "label", "body", "caption", "placeholder"}
# Calls that make text safe, or that return numbers/fixed text only.
SAFE_CALLS = {
    "esc_md",
    "esc_label",
    "md",
    "len",
    "int",
    "float",
    "round",
    "fmt_p",
    "count_text",
}
# Names of values that are numbers or fixed program text (not user data), per file.
SAFE_NAMES = {
    "n", "n_total", "minimum", "limit", "size", "excluded", "i", "v", "e", "ev", "total",
    "what", "unit", "text",
}  # fmt: skip
# Reviewed exceptions: (file, source of the argument), each program text or numbers only.
ALLOWED = {
    # KPS group labels and the endpoint code ("OS"/"PFS") are program constants.
    ("sidebar.py", "label"),
    ("sidebar.py", 'f"Set the KPS range to the paper\'s group KPS {label}"'),
    # the paper's own inconsistencies, transcribed in hccdash's published.json (not user data)
    ("reproduce.py", 'f"**{i}. {row.inconsistency}**  \\n{row.explanation}"'),
    # counts of patients and events, and fixed sentences
    ("models.py", "U.validation_statement(md, int(n_splits))"),
    # the e-mail is escaped just above (who = esc_md(email)); the rest is fixed text
    (
        "auth.py",
        'f"Access refused: you are signed in as {who}, which is not on this dashboard\'s "\n'
        "            \"list of allowed accounts. Ask the dashboard's administrator to add you, or "
        'sign "\n            "out and sign in with another account."',
    ),
    # program constants: why landmark analysis, preset names, format labels, counts
    ("cox_extras_landmark.py", "landmark.LANDMARK_WHY"),
    # _pick's label is always a literal of the cox_extras_*.py tabs ("Strata", "Treatment (two
    # arms)")
    ("cox_extras_common.py", "label"),
    (
        "figure_panel.py",
        'f"Download at {preset.label} ({export.layout.width} × {export.layout.height} px"\n'
        '        f"{dpi}); change the size under Figure options."',
    ),
    (
        "figure_panel.py",
        "f\"Left out of the {preset.label} file for lack of room: {', '.join(omitted)}. \"\n"
        '            "Choose a larger size, fewer or shorter labels, or turn parts off."',
    ),
    (
        "report_view.py",
        'f"{len(chosen)} section(s): {n_tables} table(s) and {n_figs} figure(s), numbered, "\n'
        '            "with the filters in words and a methods paragraph."',
    ),
    ("table_view.py", "labels[fmt]"),
    ("table_view.py", "helps[fmt]"),
}


def _safe_expr(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(_safe_expr(v) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        if node.format_spec is not None:
            return True  # {x:.1f}, {n:,}: a number
        return _safe_expr(node.value)
    if isinstance(node, ast.Call):
        fn = node.func
        name = (
            fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
        )
        if (
            isinstance(fn, ast.Attribute)
            and fn.attr == "join"
            and isinstance(fn.value, ast.Constant)
        ):
            gen = node.args[0] if node.args else None
            return isinstance(gen, ast.GeneratorExp | ast.ListComp) and _safe_expr(gen.elt)
        if isinstance(fn, ast.Attribute) and _constant(fn.value):
            return True  # TESTS.get(...): a lookup in a program constant
        if name == "upper":  # endpoint.key.upper(): "OS", "PFS"; fmt.upper(): "PNG"
            return isinstance(fn, ast.Attribute) and _safe_expr_or_key(fn.value)
        return name in SAFE_CALLS
    if isinstance(node, ast.Subscript):
        return _constant(node.value)
    if isinstance(node, ast.BinOp):
        return _safe_expr(node.left) and _safe_expr(node.right)
    if isinstance(node, ast.IfExp):
        return _safe_expr(node.body) and _safe_expr(node.orelse)
    if isinstance(node, ast.Name):
        return node.id in SAFE_NAMES or _constant(node)
    if isinstance(node, ast.Attribute):
        # counts and fixed attributes: fit.n, fit.events, report.n_rows, view.n_excluded
        return node.attr in {
            "n",
            "events",
            "n_rows",
            "n_excluded",
            "dropped",
            "conf_type",
            "df",
        } or (node.attr.startswith(("n_", "matched_")))
    return False


def _constant(node: ast.expr) -> bool:
    """A module constant (UPPER_CASE name)."""
    return isinstance(node, ast.Name) and node.id.lstrip("_").isupper()


def _safe_expr_or_key(node: ast.expr) -> bool:
    return (
        _safe_expr(node)
        or (isinstance(node, ast.Attribute) and node.attr == "key")
        or (isinstance(node, ast.Name) and node.id == "fmt")
    )


def unsafe_calls(source: str) -> list[tuple[int, str]]:
    """(line, code) of markdown-rendering arguments built from non-escaped data."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr not in MARKDOWN_CALLS:
            continue
        args = node.args[:1] + [k.value for k in node.keywords if k.arg in MARKDOWN_KEYWORDS]
        for arg in args:
            if not _safe_expr(arg):
                found.append((arg.lineno, ast.get_source_segment(source, arg) or ""))
    return found


def _unsafe_in(path: Path) -> list[tuple[int, str]]:
    hits = unsafe_calls(path.read_text(encoding="utf-8"))
    return [(line, code) for line, code in hits if (path.name, code) not in ALLOWED]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_streamlit_call_renders_unescaped_data(path):
    hits = _unsafe_in(path)
    assert hits == [], f"{path.name}: wrap these in esc_md(...): {hits}"


def test_the_scan_can_fail():
    bad = 'st.error(str(exc))\nst.caption(f"file {name}")\nc.metric(label, 1, help=f"{x}")\n'
    assert [line for line, _ in unsafe_calls(bad)] == [1, 2, 3, 3]
    good = 'st.error(esc_md(str(exc)))\nst.caption(f"{n:,} rows of {esc_md(name)}")\n'
    assert unsafe_calls(good) == []


HOSTILE = [
    "![x](http://127.0.0.1:9/tag)",
    '<img src="http://127.0.0.1:9/img">',
    "[a](javascript:alert(1))",
    '=HYPERLINK("http://127.0.0.1:9/f","x")',
    "a\u202eb\u200fc",
    "x" * 5000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_md_leaves_no_markup(text):
    out = textsafe.md(text)
    # every markdown/HTML opener is escaped
    for ch in "![]()<>":
        assert all(out[i - 1] == "\\" for i, c in enumerate(out) if c == ch), out[:200]
    assert "\u202e" not in out and "\u200f" not in out
    assert ":\\/\\/" not in out and "://" not in out  # no GFM autolink either
    assert len(out) < 2100


def test_md_breaks_autolinks_but_shows_the_text():
    out = textsafe.md("see http://x.org, www.x.org or a@b.org")
    assert "://" not in out and "www\\." not in out and "a@" not in out
    assert out.replace("\u200b", "").replace("\\", "") == "see http://x.org, www.x.org or a@b.org"


def test_plotly_text_escapes_html():
    assert "<" not in textsafe.plotly_text(HOSTILE[1])
    assert textsafe.plotly_text("KPS ≤70") == "KPS ≤70"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        (" =1+1", "' =1+1"),
        ("+cmd", "'+cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-1", "-1"),
        ("-1 ", "-1 "),
        (" -1.5e3", " -1.5e3"),
        ("+2", "+2"),
        ("-", "'-"),
        ("abc", "abc"),
        (7, 7),
        (None, None),
    ],
)
def test_one_defuser(value, expected):
    assert textsafe.defuse_cell(value) == expected


def test_io_export_and_grid_use_the_one_defuser():
    """`-1 ` used to be a number for hccdash.io and a formula for hccdash.export."""
    df = pd.DataFrame({"=bad": ["-1 ", "=HYPERLINK(1)", " @x"]})
    grid = hio.neutralise_formulas(df)
    assert list(grid.columns) == ["'=bad"]
    assert grid.iloc[:, 0].tolist() == ["-1 ", "'=HYPERLINK(1)", "' @x"]
    assert hio.formula_cells(df) == {"=bad": [1, 2]}
    csv = export.table_bytes(df, "csv").decode("utf-8-sig").splitlines()
    assert csv == ["'=bad", "-1 ", "'=HYPERLINK(1)", "' @x"]
    assert not hasattr(hio, "safe_cell") and not hasattr(export, "_defuse")
