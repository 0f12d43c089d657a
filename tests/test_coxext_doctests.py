"""The Examples in the docstrings of the issue-18 modules run and print what they say."""

import doctest
import importlib

import pytest

MODULES = [
    "hccdash.coxext.fit",
    "hccdash.coxext.zph",
    "hccdash.coxext.counting",
    "hccdash.coxext.adjusted",
    "hccdash.coxext.subgroup",
    "hccdash.coxext.weighting",
    "hccdash.coxext.landmark",
    "hccdash.coxext.concordance",
    "hccdash.coxext.profiles",
    "hccdash.nonparametric.ties",
    "hccdash.nonparametric.km",
    "hccdash.nonparametric.groups",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
