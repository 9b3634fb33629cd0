"""The vectorised person rules agree with the per-agent Mesa reference (a statistical test).

Design. For each of ``N_SEEDS`` fixed seeds one initial city is built (the tiny city at
scale ``SCALE``, 2000-2001) and run twice: by ``CityModel(mechanisms="person_rules")`` and
by :class:`simulator.reference.ReferenceModel` (independent draws). Compared are the
yearly values of the seven :data:`simulator.reference.INDICATORS` (population, births,
deaths, employed, job seekers, in- and out-migrants): 7 x 2 = 14 comparisons.

Test. For each comparison the paired differences ``d_s = reference_s - vectorised_s``
over the seeds are tested for a zero mean with an exact sign-flip permutation test: if both
implement the same rules, the two runs of one city are exchangeable, so each ``d_s`` is
symmetric about zero and all ``2^N`` sign patterns of the ``d_s`` are equally likely. The
p-value is the share of sign patterns whose mean is at least as far from zero as the
observed one (exact, no distributional assumption; ties and zero differences only make it
conservative).

False-alarm rate. Each comparison is tested at ``ALPHA / 14`` (Bonferroni), so the
probability that a correct implementation fails the test (over the choice of seeds) is at
most ``ALPHA = 0.001``. With 20 seeds the smallest attainable p-value is ``2 / 2^20``, well
below ``ALPHA / 14``. The seeds are fixed, so the test is deterministic.

Power. ``test_the_test_detects_a_wrong_rule`` runs the first year of the same design against
a reference whose mortality is three times the rule's and checks that the test rejects it.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulator.reference import INDICATORS, ReferenceModel, run_pair

N_SEEDS = 20
SCALE = 3  # persons per row: about 1170 person rows, so that the reference runs 2 years in under a second
END_YEAR = 2001
ALPHA = 0.001  # family-wise false-alarm rate


def sign_flip_p_value(d: np.ndarray) -> float:
    """Exact two-sided p-value for a zero mean of paired differences symmetric about zero."""
    d = np.asarray(d, dtype=float)
    sums = np.zeros(1)
    for x in d:  # the sums of all 2^n sign patterns
        sums = np.concatenate([sums + x, sums - x])
    observed = abs(float(d.sum()))
    return float(np.mean(np.abs(sums) >= observed - 1e-9 * max(1.0, observed)))


@pytest.fixture(scope="module")
def runs(load_tiny) -> list[dict]:
    """One pair of runs (vectorised, reference) per seed, on the same initial city."""
    sc = load_tiny(f"run.end_year={END_YEAR}", scale=SCALE)
    return [run_pair(sc, seed=seed) for seed in range(N_SEEDS)]


def _p_values(runs: list[dict], reference_key: str = "reference") -> dict[tuple[str, int], float]:
    years = len(runs[0]["vectorised"]["population"])
    out = {}
    for k in INDICATORS:
        for y in range(years):
            d = np.array([r[reference_key][k][y] - r["vectorised"][k][y] for r in runs])
            out[(k, y)] = sign_flip_p_value(d)
    return out


def test_sign_flip_p_value() -> None:
    assert sign_flip_p_value(np.zeros(5)) == 1.0
    # all 2^6 patterns, the observed one (all positive) and its mirror are the most extreme
    assert sign_flip_p_value(np.ones(6)) == pytest.approx(2 / 64)
    d = np.array([3.0, -1.0, 2.0])  # sums: +-3 +-1 +-2 -> |sum| >= 4 in 4 of 8 patterns
    assert sign_flip_p_value(d) == pytest.approx(4 / 8)


def test_vectorised_person_rules_agree_with_the_mesa_reference(runs) -> None:
    p = _p_values(runs)
    threshold = ALPHA / len(p)
    assert 2 / 2**N_SEEDS < threshold  # the test can reject at all
    # both models really moved: every flow happened in both
    for model in ("vectorised", "reference"):
        for k in ("births", "deaths", "in_migrants", "out_migrants"):
            assert sum(r[model][k].sum() for r in runs) > 0, (model, k)
    rejected = {
        f"{k} year {y}": (
            pv,
            float(np.mean([r["reference"][k][y] - r["vectorised"][k][y] for r in runs])),
        )
        for (k, y), pv in p.items()
        if pv < threshold
    }
    assert not rejected, f"disagreement (p-value, mean reference - vectorised): {rejected}"


class _TooDeadly(ReferenceModel):
    """A reference with a wrong rule: three times the mortality (about 8 deaths a year among the
    test city's 1,170 rows: at twice the rule's, a first year's difference of about 8 rows is
    within a few seeds' Poisson noise, and the test's power at its threshold depends on the draws)."""

    def _new_year(self) -> None:
        super()._new_year()
        self.death_probability = [min(1.0, 3.0 * q) for q in self.death_probability]


def test_the_test_detects_a_wrong_rule(runs, load_tiny) -> None:
    """The first year of the design, against a reference with a wrong rule, at the test's threshold."""
    from simulator.model.city import STREAMS, CityModel

    sc = load_tiny(f"run.end_year={END_YEAR}", scale=SCALE)
    wrong = []
    for seed, r in enumerate(runs):
        city = CityModel(sc, levers=(), seed=seed, mechanisms="person_rules")
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(len(STREAMS) + 1)[-1])
        model = _TooDeadly(city, rng=rng)
        for _ in range(12):
            model.step()
        first_year = {k: v[:1] for k, v in r["vectorised"].items()}
        wrong.append({"vectorised": first_year, "reference": model.indicators()})
    p = _p_values(wrong)
    threshold = ALPHA / len(_p_values(runs))
    assert p[("deaths", 0)] < threshold, p[("deaths", 0)]
