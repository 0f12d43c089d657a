"""200 rapid sidebar changes: every one reaches the page (issue 20, "a change never redraws").

Each change clicks a PVTT or ascites radio as soon as the previous change has shown its count,
while the rest of the page's run may still be going (Streamlit interrupts it): the next
change must still be drawn. The test waits on the page's content (the sidebar's
``n = a of b`` and the URL), never on Streamlit's running/not-running flip, which a fast rerun
can skip. The nine PVTT x ascites combinations of the bundled cohort have nine different
counts, so a lost change cannot pass unnoticed.
"""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hccdash.filters import FilterSpec, apply_filters
from hccdash.schema import load_bundled_cohort

pytestmark = pytest.mark.e2e
N_CHANGES = 200

_SHOWN_JS = """
([n, total, query]) => {
  const el = document.querySelector('[data-testid="stSidebar"]');
  const m = el && el.innerText.match(/n\\s*=\\s*([\\d,]+)\\s+of\\s+([\\d,]+)/);
  if (!m || +m[1].replace(/,/g, '') !== n || +m[2].replace(/,/g, '') !== total) return false;
  const p = new URLSearchParams(location.search);
  return Object.entries(query).every(([k, v]) => p.get(k) === v)
    && ['pvtt', 'ascites'].every((k) => k in query || !p.has(k));
}
"""


def _spec(pvtt: str, ascites: str) -> FilterSpec:
    return FilterSpec(
        pvtt=None if pvtt == "any" else pvtt, ascites=None if ascites == "any" else ascites
    )


def test_every_one_of_200_rapid_changes_is_drawn(app):
    data = load_bundled_cohort().data
    rng = random.Random(20)
    app.goto("cohort")
    state = {"PVTT": "any", "Ascites": "any"}
    missed = []
    for i in range(N_CHANGES):
        label = rng.choice(["PVTT", "Ascites"])
        state[label] = rng.choice([v for v in ("any", "yes", "no") if v != state[label]])
        spec = _spec(state["PVTT"], state["Ascites"])
        expected = (len(apply_filters(data, spec)), len(data))
        group = app.sidebar.get_by_role("radiogroup", name=label)
        group.locator("label").filter(has_text=re.compile(rf"^{state[label]}$")).click()
        try:
            app.page.wait_for_function(
                _SHOWN_JS, arg=[*expected, spec.to_query()], timeout=30_000, polling=50
            )
        except PlaywrightTimeout:
            missed.append((i, dict(state), expected, app.n_text(), app.page.url))
            break
    assert not missed, f"change never drawn: {missed}"
    app.wait_settled(0)
    assert not app.problems(), app.problems()
