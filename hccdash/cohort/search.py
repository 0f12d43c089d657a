"""The annealing search: a state of 21 patients, its statistics, its score, the moves."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hccdash.cohort.fastkm import km_medians, km_surv, logrank, risk_tables, surv_at
from hccdash.cohort.targets import (
    COLUMNS,
    DEFAULT_ITERATIONS,
    F_ASC,
    F_CIRR,
    F_CP,
    F_FAIL,
    F_KPS,
    FACTORS,
    LAYOUT,
    LR_TO_FACTOR,
    MAX_OS,
    MIN_ALIVE_FU,
    MIN_OS,
    MIN_PFS,
    NONE_CODE,
    PROG_GAP,
    SEED,
    TICKS,
    K,
    N,
    Targets,
)


# ------------------------------------------------------------------------------------------
# State
# ------------------------------------------------------------------------------------------
@dataclass
class State:
    """Mutable search state (never leaves the generator)."""

    codes: np.ndarray  # (N, n_factors) int; failure code 2 = None
    alive: np.ndarray  # (N,) bool
    os: np.ndarray  # (N,) int tenths of a month
    pfs: np.ndarray  # (N,) int tenths of a month

    def copy(self) -> State:
        return State(self.codes.copy(), self.alive.copy(), self.os.copy(), self.pfs.copy())


_COL_FACTOR = np.array([f for f, _ in COLUMNS])
_COL_LEVEL = np.array([lv for _, lv in COLUMNS])


def indicators(codes: np.ndarray) -> np.ndarray:
    """(N, K) 0/1 membership matrix; failure 'None' rows belong to no failure level."""
    ind = np.ones((N, K))
    ind[:, 1:] = codes[:, _COL_FACTOR] == _COL_LEVEL[None, :]
    return ind


def covariates_ok(codes: np.ndarray) -> bool:
    """Clinical coherence: Child-Pugh C has ascites and KPS <= 70; ascites and Child-Pugh B/C
    are cirrhotic."""
    cp, cirr, asc = codes[:, F_CP], codes[:, F_CIRR], codes[:, F_ASC]
    if np.any((cp == 2) & ((asc != 0) | (codes[:, F_KPS] != 1))):
        return False
    if np.any((asc == 0) & (cirr != 0)):
        return False
    return not np.any((cp >= 1) & (cirr != 0))


def outcomes_ok(s: State) -> bool:
    """Time constraints: see the module constants."""
    prog = s.codes[:, F_FAIL] != NONE_CODE
    if np.any(s.os < MIN_OS) or np.any(s.os > MAX_OS):
        return False
    if np.any(s.alive & (s.os < MIN_ALIVE_FU)):
        return False
    if np.any(~prog & (s.pfs != s.os)):
        return False
    return not np.any(prog & ((s.pfs < MIN_PFS) | (s.pfs > s.os - PROG_GAP)))


def initial_state(rng: np.random.Generator) -> State:
    """A coherent starting cohort: exact Table 1 counts, random times."""
    codes = np.zeros((N, len(FACTORS)), dtype=np.int64)
    for f, spec in enumerate(FACTORS):
        counts = list(spec.counts) + ([N - sum(spec.counts)] if spec.excluded else [])
        col = np.repeat(np.arange(len(counts)), counts)
        if f in (F_CP, F_KPS):
            col = col[::-1]  # C first, then B; KPS 60-70 first: rows 0-1 fit every rule
        elif f not in (F_CIRR, F_ASC):
            col = rng.permutation(col)
        codes[:, f] = col
    # Unshuffled: patients 0-1 Child-Pugh C, 0-6 ascites, 0-13 cirrhotic, 0-6 Child-Pugh B/C,
    # 0-9 KPS 60-70.
    os = np.sort(rng.integers(40, 500, size=N))[rng.permutation(N)]
    fail = codes[:, F_FAIL]
    prog = fail != NONE_CODE
    pfs = np.where(prog, np.maximum(MIN_PFS, (os * 0.45).astype(np.int64)), os)
    pfs = np.minimum(pfs, np.where(prog, os - PROG_GAP, os))
    alive = np.zeros(N, dtype=bool)
    none_idx = np.flatnonzero(~prog)
    prog_idx = np.flatnonzero(prog)
    alive[none_idx[0]] = True
    alive[prog_idx[:2]] = True
    os = np.where(alive, np.maximum(os, MIN_ALIVE_FU), os)
    pfs = np.where(prog, pfs, os)
    s = State(codes, alive, os, pfs)
    if not (covariates_ok(codes) and outcomes_ok(s)):
        raise RuntimeError("initial reconstruction state violates its own constraints")
    return s


# ------------------------------------------------------------------------------------------
# Statistics and score
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stats:
    """Everything the score compares, computed by the fast exact kernels."""

    median: np.ndarray  # (2, K) months
    p: np.ndarray  # (2, n_factors)
    chisq: np.ndarray  # (2, n_factors)
    os_rates: np.ndarray
    pfs_rates: np.ndarray
    follow_up_min: float
    follow_up_max: float
    median_follow_up: float


def compute_stats(s: State, targets: Targets) -> Stats:
    """KM medians per column, log-rank per factor and landmarks for both endpoints."""
    ind = indicators(s.codes)
    prog = s.codes[:, F_FAIL] != NONE_CODE
    events = (prog | ~s.alive, ~s.alive)
    times = (s.pfs, s.os)
    med = np.empty((2, K))
    ps = np.empty((2, len(FACTORS)))
    ch = np.empty((2, len(FACTORS)))
    rates = []
    for e in range(2):
        u, at, ev = risk_tables(times[e], events[e], ind)
        surv = km_surv(at, ev)
        med[e] = km_medians(u / TICKS, surv)
        chisq, p = logrank(at, ev, LAYOUT)
        ps[e, LR_TO_FACTOR] = p
        ch[e, LR_TO_FACTOR] = chisq
        lm = targets.pfs_landmarks if e == 0 else targets.os_landmarks
        rates.append(surv_at(u / TICKS, surv[:, 0], lm))
    return Stats(
        median=med,
        p=ps,
        chisq=ch,
        os_rates=rates[1],
        pfs_rates=rates[0],
        follow_up_min=float(s.os.min()) / TICKS,
        follow_up_max=float(s.os.max()) / TICKS,
        median_follow_up=float(np.median(s.os)) / TICKS,
    )


_LOG_ALPHA = math.log10(0.05)


def score(st: Stats, t: Targets) -> float:
    """Distance to the published figures (0 = everything reproduced)."""
    total = 0.0
    # Subgroup medians: aim within 1 month, count heavily beyond it.
    scored = ~np.isnan(t.median)
    diff = np.abs(st.median[scored] - t.median[scored])
    missing = np.isnan(diff)
    d = np.where(missing, 0.0, diff)
    total += float(0.1 * d.sum() + np.maximum(d - 1.0, 0.0).sum() + 8.0 * missing.sum())
    # Log-rank p values: same side of 0.05, then close on the log scale.
    lp = np.log10(np.maximum(st.p, 1e-12))
    lt = np.log10(t.p)
    total += float(np.abs(lp - lt).sum())
    wrong = (lp < _LOG_ALPHA) != (lt < _LOG_ALPHA)
    total += float((3.0 + 5.0 * np.abs(lp - _LOG_ALPHA))[wrong].sum())
    # Overall medians.
    for got, want in ((st.median[1, 0], t.os_median), (st.median[0, 0], t.pfs_median)):
        if math.isnan(got):
            total += 20.0
        else:
            dd = abs(got - want)
            total += dd + 10.0 * max(0.0, dd - 0.3)
    # Landmark rates.
    for got, want in ((st.os_rates, t.os_rates), (st.pfs_rates, t.pfs_rates)):
        dd = np.abs(got - want)
        total += float(10.0 * dd.sum() + 100.0 * np.maximum(dd - 0.025, 0.0).sum())
    # Follow-up range 3-55 months, median follow-up 23 months.
    total += 0.2 * (abs(st.follow_up_min - 3.0) + abs(st.follow_up_max - 55.0))
    dd = abs(st.median_follow_up - t.median_follow_up)
    total += 0.05 * dd + 0.5 * max(0.0, dd - 1.0)
    return total


# ------------------------------------------------------------------------------------------
# Search
# ------------------------------------------------------------------------------------------
def _propose(s: State, rng: np.random.Generator) -> State | None:
    """One random move, or None when it would break a constraint."""
    c = s.copy()
    r = rng.random()
    prog = c.codes[:, F_FAIL] != NONE_CODE
    if r < 0.35:  # swap one covariate between two patients
        f = int(rng.integers(len(FACTORS)))
        if f == F_FAIL:  # Intrahepatic <-> Extrahepatic only; "None" moves with its times
            pool = np.flatnonzero(prog)
            i, j = rng.choice(pool, size=2, replace=False)
        else:
            i, j = rng.choice(N, size=2, replace=False)
        if c.codes[i, f] == c.codes[j, f]:
            return None
        c.codes[i, f], c.codes[j, f] = c.codes[j, f], c.codes[i, f]
        if f in (F_CP, F_KPS, F_CIRR, F_ASC) and not covariates_ok(c.codes):
            return None
        return c
    if r < 0.6:  # move one patient's OS
        i = int(rng.integers(N))
        step = int(rng.integers(-30, 31)) if rng.random() < 0.8 else int(rng.integers(-120, 121))
        c.os[i] += step
        if not prog[i]:
            c.pfs[i] = c.os[i]
        elif c.pfs[i] > c.os[i] - PROG_GAP:
            c.pfs[i] = c.os[i] - PROG_GAP
    elif r < 0.85:  # move one patient's PFS
        i = int(rng.choice(np.flatnonzero(prog)))
        step = int(rng.integers(-20, 21)) if rng.random() < 0.8 else int(rng.integers(-80, 81))
        c.pfs[i] += step
    elif r < 0.95:  # exchange the whole outcome of two patients
        i, j = rng.choice(N, size=2, replace=False)
        for arr in (c.os, c.pfs, c.alive):
            arr[i], arr[j] = arr[j], arr[i]
        c.codes[i, F_FAIL], c.codes[j, F_FAIL] = c.codes[j, F_FAIL], c.codes[i, F_FAIL]
    else:  # move "alive" to another patient of the same kind (progressed or not)
        i = int(rng.choice(np.flatnonzero(c.alive)))
        same = np.flatnonzero(~c.alive & (prog == prog[i]))
        j = int(rng.choice(same))
        c.alive[i], c.alive[j] = False, True
    return c if outcomes_ok(c) else None


@dataclass(frozen=True)
class SearchResult:
    """The best state found, its statistics and score, and the search's bookkeeping."""

    state: State
    stats: Stats
    score: float
    iterations: int
    accepted: int


@dataclass
class Progress:
    """Everything the annealing loop carries from one iteration to the next.

    A search stopped after ``done`` iterations and resumed from its progress makes exactly the
    moves, draws and decisions of one uninterrupted run: the random generator's state, the
    temperature (a running product, so it is carried, not recomputed) and the current and
    best states are all here. The test suite checks the shipped cohort in segments that run
    side by side, from checkpoints of this object (:func:`progress_to_json`).
    """

    done: int
    rng: np.random.Generator
    cur: State
    cur_score: float
    best: State
    best_score: float
    accepted: int
    temp: float


def start(targets: Targets, *, seed: int = SEED, t_start: float = 3.0) -> Progress:
    """The search before its first iteration (the initial state drawn from ``seed``)."""
    rng = np.random.default_rng(seed)
    cur = initial_state(rng)
    cur_score = score(compute_stats(cur, targets), targets)
    return Progress(0, rng, cur, cur_score, cur.copy(), cur_score, 0, t_start)


def ratio_of(iterations: int, t_start: float = 3.0, t_end: float = 0.003) -> float:
    """The geometric schedule's factor per iteration."""
    return (t_end / t_start) ** (1.0 / max(iterations - 1, 1))


def advance(pr: Progress, targets: Targets, stop: int, ratio: float) -> Progress:
    """Run the annealing loop from ``pr.done`` up to ``stop`` iterations (in place)."""
    rng, cur, cur_score = pr.rng, pr.cur, pr.cur_score
    best, best_score, accepted, temp = pr.best, pr.best_score, pr.accepted, pr.temp
    for _ in range(pr.done, stop):
        cand = _propose(cur, rng)
        u = rng.random()
        if cand is not None:
            sc = score(compute_stats(cand, targets), targets)
            delta = sc - cur_score
            if delta <= 0 or u < math.exp(-delta / temp):
                cur, cur_score = cand, sc
                accepted += 1
                if sc < best_score:
                    best, best_score = cand.copy(), sc
        temp *= ratio
    pr.done = max(stop, pr.done)
    pr.cur, pr.cur_score, pr.best, pr.best_score = cur, cur_score, best, best_score
    pr.accepted, pr.temp = accepted, temp
    return pr


def finish(pr: Progress, targets: Targets) -> SearchResult:
    """The result of a search that has run all its iterations."""
    return SearchResult(
        pr.best, compute_stats(pr.best, targets), pr.best_score, pr.done, pr.accepted
    )


def search(
    targets: Targets,
    *,
    seed: int = SEED,
    iterations: int = DEFAULT_ITERATIONS,
    t_start: float = 3.0,
    t_end: float = 0.003,
) -> SearchResult:
    """Simulated annealing with a geometric temperature schedule (deterministic for a seed).

    Parameters
    ----------
    targets : Targets
        The published figures (:func:`build_targets`).
    seed : int
        Seed of the only random generator used (``numpy.random.default_rng``).
    iterations : int
        Proposed moves; the temperature falls geometrically from ``t_start`` to ``t_end``.
    t_start, t_end : float
        Initial and final temperature, in units of :func:`score`.

    Returns
    -------
    SearchResult
        The best state seen (not the last one), its statistics and score.
    """
    pr = start(targets, seed=seed, t_start=t_start)
    advance(pr, targets, iterations, ratio_of(iterations, t_start, t_end))
    return finish(pr, targets)


def progress_to_json(pr: Progress) -> dict:
    """A JSON-safe copy of ``pr`` (floats as ``float.hex``, exact)."""

    def state(s: State) -> dict:
        return {"codes": s.codes.tolist(), "alive": s.alive.tolist(), "os": s.os.tolist(),
                "pfs": s.pfs.tolist()}  # fmt: skip

    return {
        "done": pr.done,
        "rng": pr.rng.bit_generator.state,
        "cur": state(pr.cur),
        "cur_score": pr.cur_score.hex(),
        "best": state(pr.best),
        "best_score": pr.best_score.hex(),
        "accepted": pr.accepted,
        "temp": pr.temp.hex(),
    }


def progress_from_json(data: dict) -> Progress:
    """The inverse of :func:`progress_to_json`."""

    def state(d: dict) -> State:
        ints = {k: np.array(d[k], dtype=np.int64) for k in ("codes", "os", "pfs")}
        return State(ints["codes"], np.array(d["alive"], dtype=bool), ints["os"], ints["pfs"])

    rng = np.random.default_rng()
    rng.bit_generator.state = data["rng"]
    return Progress(
        int(data["done"]), rng, state(data["cur"]), float.fromhex(data["cur_score"]),
        state(data["best"]), float.fromhex(data["best_score"]), int(data["accepted"]),
        float.fromhex(data["temp"]),
    )  # fmt: skip
