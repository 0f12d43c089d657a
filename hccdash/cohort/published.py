"""The paper's published figures, as transcribed in ``published.json`` (shipped in this package).

``published.json`` is a verbatim copy of ``shared/paper/published.json`` so the generator, the
reproduce module and CI do not depend on files outside the repository.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

PUBLISHED_JSON = Path(__file__).resolve().parent / "published.json"


@lru_cache(maxsize=1)
def _load_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def load_published(path: Path = PUBLISHED_JSON) -> dict:
    """The paper's transcribed figures as a fresh dict (callers may not mutate a shared one).

    Parameters
    ----------
    path : pathlib.Path
        Defaults to the copy shipped in ``hccdash/cohort/published.json``.

    Returns
    -------
    dict
        The JSON document: ``cohort``, ``overall_survival``, ``progression_free_survival``,
        ``table1_univariate``, ``table2_multivariate_cox``, ``response_recist_1_1``,
        ``failure_pattern``, ``toxicity``, ``inconsistencies_in_the_paper`` ...
    """
    return json.loads(_load_text(str(path)))
