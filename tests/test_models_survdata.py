"""hccdash.models.prepare on the one survival-data object (hccdash.survdata.SurvData), as the
Cox and univariate pages use it: the same design and numbers as from the DataFrame, without
validating the times and events again; and a codebook's further endpoint ("rfs")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccdash import models as M
from hccdash.schema import Endpoint, load_bundled_cohort
from hccdash.survdata import survival_data
from hccdash.synth import generate as _generate

FEATURES = ("treatment", "child_pugh", "kps", "pvtt")
_BUNDLED = load_bundled_cohort()


def _data(n: int, seed: int) -> pd.DataFrame:
    return _BUNDLED.as_categorical(_generate(n, seed=seed))


@pytest.mark.parametrize("endpoint", ["os", "pfs"])
def test_survdata_and_dataframe_give_the_same_design(endpoint):
    data = _data(60, 5)
    data.loc[[3, 9], "kps"] = np.nan
    data.loc[[4], "pfs_months"] = np.nan
    ep = M.resolve_endpoint(endpoint)
    from_frame = M.prepare(data, endpoint, FEATURES)
    from_surv = M.prepare(survival_data(data, ep.time, ep.event, endpoint=ep.key), ep, FEATURES)
    assert from_surv == from_frame  # features, levels, counts, ids (the dataclass's fields)
    np.testing.assert_array_equal(from_surv.time, from_frame.time)
    np.testing.assert_array_equal(from_surv.event, from_frame.event)
    pd.testing.assert_frame_equal(from_surv.X, from_frame.X)
    assert from_surv.dropped == (3 if endpoint == "pfs" else 2)
    cv_frame = M.cross_validate(from_frame, "cox", M.ValidationOptions(seed=11), n_repeats=1)
    cv_surv = M.cross_validate(from_surv, "cox", M.ValidationOptions(seed=11), n_repeats=1)
    assert cv_surv.to_frame().equals(cv_frame.to_frame())


def test_survdata_of_a_further_endpoint_is_modelled_and_its_columns_are_not_features():
    data = _data(80, 2).assign(rfs_months=lambda d: d["pfs_months"] * 0.9,
                               rfs_event=lambda d: d["pfs_event"])  # fmt: skip
    sd = survival_data(data, "rfs_months", "rfs_event", endpoint="rfs")
    md = M.prepare(sd, "rfs", FEATURES)
    assert (md.endpoint, md.time_column, md.n) == ("rfs", "rfs_months", 80)
    assert md.events == int(data["rfs_event"].sum())
    rfs = Endpoint("rfs", "Recurrence-free survival", "rfs_months", "rfs_event")
    with pytest.raises(Exception, match="built on time column 'rfs_months', not 'os_months'"):
        M.prepare(sd, "os", FEATURES)
    assert M.prepare(sd, rfs, FEATURES) == md
    cand = M.candidate_features(data, ("rfs_months", "rfs_event"))
    assert "rfs_months" not in cand and "rfs_event" not in cand and "kps" in cand
