"""FigureSpec: one specification for every figure kind, as JSON and as a URL query."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccdash.errors import InputError
from hccdash.plotting.spec import (
    ANNOTATION_POSITIONS,
    CENSOR_MARKS,
    CI_BANDS,
    KINDS,
    PALETTES,
    RISK_TABLES,
    FigureSpec,
    load_spec,
)
from hccdash.style import SIZE_PRESETS

text = st.one_of(st.none(), st.text(max_size=40))
pairs = st.lists(st.tuples(st.text(min_size=1, max_size=12), st.text(max_size=40)), max_size=4)
hexes = st.lists(
    st.tuples(
        st.text(min_size=1, max_size=12),
        st.from_regex(r"\A#[0-9A-F]{6}\Z"),
    ),
    max_size=3,
)
specs = st.builds(
    FigureSpec,
    kind=st.sampled_from(KINDS),
    preset=st.sampled_from(sorted(SIZE_PRESETS)),
    title=text,
    xlabel=text,
    ylabel=text,
    legend_title=text,
    group_labels=pairs.map(lambda v: tuple(dict(v).items())),
    palette=st.sampled_from(PALETTES),
    colors=hexes.map(lambda v: tuple(dict(v).items())),
    y_percent=st.booleans(),
    x_max=st.one_of(st.none(), st.floats(0.5, 500, allow_nan=False)),
    x_break=st.one_of(st.none(), st.sampled_from([1.0, 3.0, 6.0, 12.0, 0.5])),
    time_unit=st.sampled_from([None, "days", "months", "years"]),
    risk_table=st.sampled_from(RISK_TABLES),
    caption=st.booleans(),
    ci=st.sampled_from(CI_BANDS),
    censor=st.sampled_from(CENSOR_MARKS),
    median_lines=st.booleans(),
    annotation=st.sampled_from(ANNOTATION_POSITIONS),
    show_test=st.booleans(),
    show_hr=st.booleans(),
    reference=text,
)


@settings(max_examples=60, deadline=None)
@given(specs)
def test_json_and_query_round_trip(spec):
    assert FigureSpec.from_json(spec.to_json()) == spec
    # Through a URL: values are strings, as st.query_params gives them back.
    query = {k: str(v) for k, v in spec.to_query("fig").items()}
    back, warnings = FigureSpec.from_query(query, kind=spec.kind, prefix="fig")
    assert warnings == []
    # x_max written with %g: compare at that precision.
    assert back == replace(spec, x_max=back.x_max)
    if spec.x_max is not None:
        assert back.x_max == pytest.approx(spec.x_max, rel=1e-5)


def test_default_spec_is_an_empty_query_and_canonical_json():
    assert FigureSpec().to_query() == {}
    assert FigureSpec(title="").to_query() == {"fig_title": ""}
    a = FigureSpec(group_labels=(("b", "B"), ("a", "A")))
    assert json.loads(a.to_json())["group_labels"] == {"b": "B", "a": "A"}
    assert a.to_json() == FigureSpec.from_json(a.to_json()).to_json()
    assert {f.name for f in fields(FigureSpec)} <= set(json.loads(a.to_json()))


def test_bad_values_are_named():
    with pytest.raises(InputError, match=r"risk_table='rows'.*kmunicate"):
        FigureSpec(risk_table="rows")
    with pytest.raises(InputError, match=r"colors \['red'\]"):
        FigureSpec(colors=(("A", "red"),))
    with pytest.raises(InputError, match=r"unknown keys \['titel'\]"):
        FigureSpec.from_dict({"titel": "x"})
    with pytest.raises(InputError, match=r"not valid JSON \(line 1"):
        FigureSpec.from_json("{")
    spec, warnings = FigureSpec.from_query(
        {"fig_preset": "poster", "fig_y_percent": "yes", "fig_color": "x", "by": "arm"}
    )
    assert spec == FigureSpec()
    assert len(warnings) == 3
    assert any("fig_preset" in w and "poster" in w for w in warnings)


def test_load_spec_file(tmp_path):
    path = tmp_path / "spec.json"
    spec = FigureSpec(title="OS by arm", y_percent=True, reference="IMRT")
    path.write_text(spec.to_json(), encoding="utf-8")
    assert load_spec(str(path)) == spec
    with pytest.raises(InputError, match="Cannot read --spec"):
        load_spec(str(tmp_path / "missing.json"))


def test_a_text_that_starts_with_a_tilde_survives_the_url():
    """'~' in a URL means "the default" (None); a reference level or title that is '~' or
    starts with it (found by the property test above) must come back as itself."""
    for value in ("~", "~x", "~~"):
        spec = FigureSpec(kind="km", reference=value, title=value)
        query = spec.to_query("fig")
        back, warnings = FigureSpec.from_query(query, kind="km", prefix="fig")
        assert warnings == [] and (back.reference, back.title) == (value, value), query
    back, _ = FigureSpec.from_query({"fig_reference": "~"}, kind="km", prefix="fig")
    assert back.reference is None
