"""The Examples in the docstrings of the survival engine (hccdash.cox, hccdash.nonparametric)
and of the issue-18 modules (hccdash.coxext) run and print what they say; each names the R
call it reproduces."""

import doctest
import importlib

import pytest

MODULES = [
    "hccdash.cox.concordance",
    "hccdash.cox.design",
    "hccdash.cox.fit",
    "hccdash.cox.zph",
    "hccdash.nonparametric.groups",
    "hccdash.nonparametric.km",
    "hccdash.nonparametric.summaries",
    "hccdash.nonparametric.ties",
    "hccdash.rdata",
    "hccdash.coxext.fit",
    "hccdash.coxext.zph",
    "hccdash.coxext.counting",
    "hccdash.coxext.adjusted",
    "hccdash.coxext.subgroup",
    "hccdash.coxext.weighting",
    "hccdash.coxext.landmark",
    "hccdash.coxext.concordance",
    "hccdash.coxext.profiles",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
