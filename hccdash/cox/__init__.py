"""Cox proportional hazards models, exact against R's ``survival::coxph``.

Why our own Newton-Raphson instead of lifelines' ``CoxPHFitter``: R's ``coxph`` (C routine
``coxfit6``) is the reference clinicians rerun, and matching it to 1e-6 needs the same
likelihood (Efron or Breslow ties), the same convergence rule run to ``eps = 1e-12`` and R's
score test, concordance standard error and ``cox.zph`` test, which lifelines computes
differently (its ``check_assumptions`` uses the pre-3.0 approximation).

One job per module:

- :mod:`~hccdash.cox.results`: the frozen result types (``CoxResult``, ``PHTest``, ...);
- :mod:`~hccdash.cox.design`: the design matrix, R's level order, the identifiability checks;
- :mod:`~hccdash.cox.newton`: risk sets, R's Newton-Raphson, no-information and separation;
- :mod:`~hccdash.cox.firth`: Firth's penalised refit;
- :mod:`~hccdash.cox.concordance`: Harrell's C and the one pair-counting kernel;
- :mod:`~hccdash.cox.fit`: :func:`cox_fit`;
- :mod:`~hccdash.cox.zph`: :func:`cox_zph`.

They import nothing of the bundled cohort. Public API: :func:`cox_fit` ->
:class:`CoxResult`, :func:`cox_zph` -> :class:`PHTest`.
"""

from hccdash.cox.design import model_terms
from hccdash.cox.fit import cox_fit
from hccdash.cox.results import ChisqTest, CoxResult, CoxTerm, PHRow, PHTest
from hccdash.cox.zph import cox_zph

__all__ = [
    "ChisqTest",
    "CoxResult",
    "CoxTerm",
    "PHRow",
    "PHTest",
    "cox_fit",
    "cox_zph",
    "model_terms",
]
