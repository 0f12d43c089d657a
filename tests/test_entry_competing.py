"""The competing-risks page warns once that cmprsk ignores a declared delayed entry (issue 18
item 2). Data: R's ``survival::mgus2`` on the age scale (tests/reference/delayed_entry/
mgus2_age.R: entry = age at diagnosis, exit = age at death or last follow-up, years)."""

from __future__ import annotations

import pytest
from test_page_mapping_endpoints import AGE, on_data_page

from hccdash import schema
from hccdash.ui.state import UPLOADED_KEY

pytestmark = pytest.mark.usefixtures("router_on_every_run")
WARNING = "The codebook declares delayed entry"


def test_competing_page_warns_that_cmprsk_ignores_the_declared_entry():
    at = on_data_page(AGE)
    at.selectbox(key="map_os_time").set_value("age_exit")
    at.selectbox(key="map_time_unit").set_value("years")
    at.selectbox(key="map_os_entry").set_value("age").run()
    at.button(key="up_confirm").click().run()
    assert at.session_state[UPLOADED_KEY].entry_column("os") == schema.OS_ENTRY
    at.switch_page("pages/competing.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="cr_time").value == schema.OS_TIME
    shown = [w.value.replace("\\", "") for w in at.warning if WARNING in w.value]
    assert len(shown) == 1
    assert f"delayed entry ({schema.OS_ENTRY!r})" in shown[0]
    assert "survfit(Surv(entry, time, factor(status)) ~ 1)" in shown[0]
    # another time column than the endpoint's: no entry is declared for it, no warning
    at.selectbox(key="cr_time").set_value(schema.OS_ENTRY).run()
    assert not any(WARNING in w.value for w in at.warning)
