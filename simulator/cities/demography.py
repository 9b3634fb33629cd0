"""From census shares and crude rates to the model's age bands, fertility and mortality.

The census gives three age groups (0-14, 15-59, 60+; often also 65+), a crude
birth rate and a crude death rate. The model needs finer age bands (persons
are spread uniformly within each band), a total fertility rate and a life
expectancy at birth. The derivations use the model's own rules
(:mod:`simulator.model.demography`), so that a city built from them starts
with the census's births and deaths:

* **age bands**: within each census group, persons are spread over the
  model's bands as in the template city's age structure moved forward to the
  start year (each cohort ``years`` older, thinned by the template's mortality):
  the census says nothing finer, and the template's cohorts carry the shape of
  China's birth cohorts (the 1960s boom, the 1959-61 famine trough, ...);
* **mortality**: the Gompertz level ``A`` that gives the census crude death
  rate on that age structure, ``CDR = sum_a d(a) A exp(b a)``, and the life
  expectancy of ``A`` (the model's life table);
* **fertility**: the total fertility rate that gives the census crude birth
  rate with the model's fertility schedule on that age structure,
  ``CBR = TFR x female share x sum_a d(a) phi(a)``.
"""

from __future__ import annotations

import numpy as np

from simulator.model.demography import MAX_AGE_YEARS, fertility_schedule, gompertz_level

AGES = np.arange(MAX_AGE_YEARS + 1, dtype=float)


def survivors(level: float, slope: float) -> np.ndarray:
    """``l(a)`` at ages 0..MAX_AGE of the Gompertz hazard ``level x exp(slope a)``."""
    return np.exp(-level / slope * (np.exp(slope * AGES) - 1.0))


def life_expectancy(level: float, slope: float) -> float:
    """Period life expectancy at birth of a Gompertz level, as the model computes it
    (the inverse of :func:`simulator.model.demography.gompertz_level`)."""
    surv = survivors(level, slope)
    return float(surv[:-1].sum() - 0.5 * (surv[0] - surv[-1]))


def parse_bands(bands: list[str]) -> list[tuple[int, int]]:
    """``['0-14', '15-29']`` -> ``[(0, 14), (15, 29)]``."""
    return [(int(a), int(b)) for a, b in (k.split("-") for k in bands)]


def refine(bands: list[tuple[int, int]], cuts: tuple[int, ...]) -> list[tuple[int, int]]:
    """``bands`` split at the ages in ``cuts`` (the first age of each new band)."""
    out = []
    for lo, hi in bands:
        edges = [lo, *[a for a in cuts if lo < a <= hi], hi + 1]
        out += [(a, b - 1) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return out


def census_groups(share0_14: float, share60: float, share65: float | None, last_age: int) -> list[tuple[int, int, float]]:
    """The census age groups as ``(first age, last age, share)``."""
    groups = [(0, 14, share0_14), (15, 59, 1.0 - share0_14 - share60)]
    if share65 is not None:
        groups += [(60, 64, share60 - share65), (65, last_age, share65)]
    else:
        groups += [(60, last_age, share60)]
    return groups


def density(bands: list[tuple[int, int]], shares: list[float]) -> np.ndarray:
    """Share of persons at each single year of age 0..MAX_AGE when each band is uniform."""
    d = np.zeros(MAX_AGE_YEARS + 1)
    for (lo, hi), s in zip(bands, shares, strict=True):
        d[lo : hi + 1] = s / (hi - lo + 1)
    return d


def moved_forward(bands: list[tuple[int, int]], shares: list[float], years: int, life_expectancy_years: float, slope: float) -> np.ndarray:
    """Weights by single year of age of an age structure ``years`` later.

    Each cohort is ``years`` older and thinned by survival ``l(a) / l(a - years)``
    (Gompertz mortality of the given life expectancy); the ages below ``years``
    (born since) get the density of the youngest age. Only ratios of weights
    within an age group are used.
    """
    d = density(bands, shares)
    if years <= 0:
        return d
    surv = survivors(gompertz_level(life_expectancy_years, slope), slope)
    w = np.empty_like(d)
    w[years:] = d[:-years] * surv[years:] / surv[:-years]
    w[:years] = d[0]
    return w


def split_groups(groups: list[tuple[int, int, float]], bands: list[tuple[int, int]], weight: np.ndarray) -> list[float]:
    """Shares of the model's ``bands`` from census ``groups``, spreading each group by ``weight(a)``.

    Every band must lie within one group (the bands refine the groups).
    """
    shares = []
    for lo, hi in bands:
        g = [grp for grp in groups if grp[0] <= lo and hi <= grp[1]]
        if not g:
            raise ValueError(f"age band {lo}-{hi} straddles two census age groups")
        glo, ghi, gshare = g[0]
        total = weight[glo : ghi + 1].sum()
        within = weight[lo : hi + 1].sum() / total if total > 0 else (hi - lo + 1) / (ghi - glo + 1)
        shares.append(gshare * within)
    return shares


def life_expectancy_for_death_rate(bands: list[tuple[int, int]], shares: list[float], crude_death_rate: float, slope: float) -> float:
    """Life expectancy whose Gompertz mortality gives ``crude_death_rate`` on this age structure."""
    level = crude_death_rate / float((density(bands, shares) * np.exp(slope * AGES)).sum())
    return life_expectancy(level, slope)


def total_fertility_rate(
    bands: list[tuple[int, int]], shares: list[float], crude_birth_rate: float, female_share: float, mean_age: float, sd: float
) -> float:
    """The total fertility rate that gives ``crude_birth_rate`` with the model's schedule."""
    per_woman = float((density(bands, shares) * fertility_schedule(1.0, mean_age, sd)).sum())
    return crude_birth_rate / (female_share * per_woman)


def census_bands(last_age: int) -> list[tuple[int, int]]:
    """The census's 5-year age groups as model bands: 0-4, 5-9, ..., 80-84, 85-``last_age``
    (the census's 0 and 1-4 joined; its 85+ spread to the model's last age)."""
    return [(a, a + 4) for a in range(0, 85, 5)] + [(85, last_age)]


def total_fertility_rate_by_sex(
    bands: list[tuple[int, int]], female_shares: list[float], crude_birth_rate: float, mean_age: float, sd: float
) -> float:
    """The total fertility rate that gives ``crude_birth_rate`` with the model's schedule when
    ``female_shares`` are the women of each band as shares of all residents (the pyramid by sex):
    ``CBR = TFR x sum_a w(a) phi(a)``, ``w`` the women's density by single year of age."""
    per_woman = float((density(bands, female_shares) * fertility_schedule(1.0, mean_age, sd)).sum())
    return crude_birth_rate / per_woman


def migration_weight(years: int, household_rate: float, alone_rate: float, age_profile: dict[int, float]) -> np.ndarray:
    """Relative chance, by single year of age at the earlier date, of having left over the next
    ``years`` years, by the model's two ways of leaving: with the household (``household_rate``, every
    age alike) and alone (``alone_rate`` times the age profile's relative propensity, a step function
    from each of its ages on, 0 below the first), the profile averaged over the ``years`` years each
    cohort ages through."""
    keys = sorted(age_profile)
    step = np.zeros(MAX_AGE_YEARS + 1 + years)
    for i, a in enumerate(keys):
        end = keys[i + 1] if i + 1 < len(keys) else len(step)
        step[a:end] = age_profile[a]
    ahead = np.array([step[a : a + years].mean() if years > 0 else step[a] for a in range(MAX_AGE_YEARS + 1)])
    return household_rate + alone_rate * ahead


def projected_back(
    bands: list[tuple[int, int]],
    males: list[float],
    females: list[float],
    years: int,
    life_expectancy_years: float,
    slope: float,
    total: float,
    weight: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Persons by sex and single year of age ``years`` before a census, from the census's persons by
    band (``males``, ``females``), by reverse survival and the residual net migration.

    Each cohort aged ``a + years`` at the census was aged ``a`` then, and more of it was alive:
    ``p(a) = c(a + years) l(a) / l(a + years)`` (Gompertz mortality of the given life expectancy);
    the ages whose cohort is in the census's last, open band (85+, spread evenly, so no single age
    is known) take the census's age shape at their own age, scaled so that their survivors
    ``years`` later are the census's open band. The difference between
    ``total`` (the population then, from another source) and the reverse-survived persons is the net
    migration of the ``years`` years (positive: more left than came); it is spread over ages and
    sexes in proportion to ``p(a) x weight(a)`` (:func:`migration_weight`), so the cohorts most
    likely to leave get back most of it. Persons are clipped at 0 and rescaled to ``total``.

    Returns:
        Men and women by single year of age (persons), and the net migration found (persons).
    """
    surv = survivors(gompertz_level(life_expectancy_years, slope), slope)
    # the cohorts in the census's last, open band (its 85+) are spread evenly over it: no single
    # age is known there, so the ages whose cohort reached it take the census's age shape at their
    # own age, scaled so that their survivors are the census's open band
    cut = max(0, bands[-1][0] - years)
    out = []
    for counts in (males, females):
        c = density(bands, counts)
        p = np.zeros_like(c)
        p[:cut] = c[years : years + cut] * surv[:cut] / surv[years : years + cut]
        ages = np.arange(cut, MAX_AGE_YEARS + 1 - years)  # those who can be alive `years` later
        alive = float((c[ages] * surv[ages + years] / surv[ages]).sum())
        if alive > 0:
            p[cut:] = c[cut:] * float(c[bands[-1][0] :].sum()) / alive
        out.append(p)
    m, f = out
    residual = total - float(m.sum() + f.sum())
    wm, wf = m * weight, f * weight
    mass = float(wm.sum() + wf.sum())
    m = np.maximum(m + residual * wm / mass, 0.0)
    f = np.maximum(f + residual * wf / mass, 0.0)
    k = total / float(m.sum() + f.sum())
    return m * k, f * k, residual
