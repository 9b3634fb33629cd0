"""Compiled loops (numba) for the passes over every person that numpy can only write slowly.

Why numba here, and only here: at full scale (one row per resident, about 1.9 million
person rows, 0.7 million households, up to 0.45 million firm rows) a month is dominated by
passes over the person rows. Two kinds of pass are slow in numpy:

- **Flags and sums per household from the persons** (which households have a working-age
  member, an earner, a farmer...). The persons are not sorted by household (newborns are
  appended), so numpy needs a boolean mask, an index list, a gather of the household and a
  scattered write per flag: four or five full passes and temporaries for each flag.
- **Selections by several conditions** (present women of fertile age, workers of firms
  above target whose draw fell below their firm's layoff rate...): numpy evaluates each
  condition over every row into a temporary and combines them.

A compiled loop does each in one pass without temporaries. Every kernel returns exactly what
the numpy expression in its docstring returns (same rows in the same order, same floats
summed in the same order), so the model's results do not depend on whether a kernel or the
expression is used; ``tests/model/test_kernels.py`` checks each against its expression.
Random draws are never made here: the callers draw with numpy from the mechanism's stream and
pass the draws in, so the streams advance exactly as before.

Kernels are compiled on first use and cached on disk (``cache=True``), so only the first
run after installing pays the compilation (a few seconds).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Bits of the household type code of :func:`household_types`.
HAS_WORKING_AGE = 1
HAS_YOUNG_ADULT = 2
HAS_HIGH_SKILL = 4
HAS_EARNER = 8


@njit(cache=True, nogil=True)
def household_types(household, present, age_m, female, skill, status, retirement_age_m,
                    n_households, working_age_min_m, young_end_m, high_skill, employed):
    """Type code (uint8) of each household row, from its present members.

    Bits: :data:`HAS_WORKING_AGE` (a member aged ``working_age_min_m`` or more and below
    their own retirement age ``retirement_age_m[3 x female + skill]``), :data:`HAS_YOUNG_ADULT`
    (such a member younger than ``young_end_m``), :data:`HAS_HIGH_SKILL` (such a member of
    skill ``high_skill``) and :data:`HAS_EARNER` (a member whose status is ``employed``; the
    employed are all present). Equals, bit by bit, the numpy flags
    ``flags = zeros(n_households, bool); flags[household[flatnonzero(condition)]] = True``.
    """
    out = np.zeros(n_households, np.uint8)
    for i in range(household.shape[0]):
        code = np.uint8(0)
        if status[i] == employed:
            code |= HAS_EARNER
        if present[i]:
            a = age_m[i]
            if a >= working_age_min_m and a < retirement_age_m[3 * np.int64(female[i]) + skill[i]]:
                code |= HAS_WORKING_AGE
                if a < young_end_m:
                    code |= HAS_YOUNG_ADULT
                if skill[i] == high_skill:
                    code |= HAS_HIGH_SKILL
        if code:
            out[household[i]] |= code
    return out


@njit(cache=True, nogil=True)
def leave_probability(types, housing, present, rate, by_type, by_housing):
    """Monthly probability that each household row leaves, and whether it has a working-age member.

    ``types`` are :func:`household_types` codes; the multiplier of a household is
    ``by_type[kind]`` with ``kind = (no earner) + 2 (young adult) + 4 (high skill)``, times
    ``by_housing[housing]``. Equals the numpy
    ``minimum(rate * (by_type[kind] * by_housing[housing]), 1.0)``, set to 0 for households
    absent or without a working-age member.
    """
    n = types.shape[0]
    prob = np.zeros(n)
    has_wa = np.zeros(n, np.bool_)
    for h in range(n):
        t = types[h]
        wa = (t & HAS_WORKING_AGE) != 0
        has_wa[h] = wa
        if wa and present[h]:
            kind = (1 if (t & HAS_EARNER) == 0 else 0) + (2 if (t & HAS_YOUNG_ADULT) else 0) \
                + (4 if (t & HAS_HIGH_SKILL) else 0)
            prob[h] = min(rate * (by_type[kind] * by_housing[housing[h]]), 1.0)
    return prob, has_wa


@njit(cache=True, nogil=True)
def members_of(household, present, chosen):
    """Rows of the present persons whose household is flagged in ``chosen`` (bool per
    household), in row order: ``flatnonzero(present & chosen[household])``."""
    n = household.shape[0]
    out = np.empty(n, np.intp)
    k = 0
    for i in range(n):
        if present[i] and chosen[household[i]]:
            out[k] = i
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def households_where(household, rows, key, value, n_households):
    """Bool per household row: True where one of the persons ``rows`` has ``key == value``:
    ``flags[household[rows[key[rows] == value]]] = True``."""
    out = np.zeros(n_households, np.bool_)
    for j in range(rows.shape[0]):
        r = rows[j]
        if key[r] == value:
            out[household[r]] = True
    return out


@njit(cache=True, nogil=True)
def households_with(household, key, value, n_households):
    """Bool per household row: True where a person row (any row) has ``key == value``:
    ``flags[household[flatnonzero(key == value)]] = True``."""
    out = np.zeros(n_households, np.bool_)
    for i in range(household.shape[0]):
        if key[i] == value:
            out[household[i]] = True
    return out


@njit(cache=True, nogil=True)
def age_one_month(age_m, present):
    """Everyone present ages by a month (``age_m += present``); returns how many are present."""
    k = 0
    for i in range(age_m.shape[0]):
        if present[i]:
            age_m[i] += 1
            k += 1
    return k


@njit(cache=True, nogil=True)
def deaths(present, age_m, u, table, max_age_years):
    """Rows of the present persons who die this month, in row order: the ``j``-th present
    person dies if ``u[j] < table[min(age_m // 12, max_age_years)]``."""
    out = np.empty(u.shape[0], np.intp)
    j = 0
    k = 0
    for i in range(present.shape[0]):
        if present[i]:
            a = min(age_m[i] // 12, max_age_years)
            if u[j] < table[a]:
                out[k] = i
                k += 1
            j += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def fertile_women(present, female, age_m, start_m, end_m):
    """Rows of present women aged ``start_m`` to below ``end_m`` months, in row order:
    ``flatnonzero(present & female & (age_m >= start_m) & (age_m < end_m))``."""
    n = present.shape[0]
    out = np.empty(n, np.intp)
    k = 0
    for i in range(n):
        if present[i] and female[i] and age_m[i] >= start_m and age_m[i] < end_m:
            out[k] = i
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def draw_below_rate(rows, age_m, rate_by_age_m, u):
    """The rows whose draw falls below the rate of their age in months:
    ``rows[u < rate_by_age_m[age_m[rows]]]``."""
    out = np.empty(rows.shape[0], np.intp)
    k = 0
    for j in range(rows.shape[0]):
        r = rows[j]
        if u[j] < rate_by_age_m[age_m[r]]:
            out[k] = r
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def life_course_candidates(present, status, age_m, skill, active_statuses, min_retirement_age_m,
                           child, school_start_m, student, school_leaving_age_years):
    """Three row lists (row order) from the statuses as they stand:

    - retirement candidates: present persons with a status in ``active_statuses`` and at
      least ``min_retirement_age_m`` months old;
    - school starters: status ``child``, at least ``school_start_m`` months old;
    - school leavers: status ``student``, whole years of age at least
      ``school_leaving_age_years[skill]``.
    """
    n = present.shape[0]
    old = np.empty(n, np.intp)
    starting = np.empty(n, np.intp)
    leaving = np.empty(n, np.intp)
    ko = ks = kl = 0
    for i in range(n):
        s = status[i]
        a = age_m[i]
        if s == child:
            if a >= school_start_m:
                starting[ks] = i
                ks += 1
        elif s == student:
            if a // 12 >= school_leaving_age_years[skill[i]]:
                leaving[kl] = i
                kl += 1
        elif present[i] and a >= min_retirement_age_m:
            for t in active_statuses:
                if s == t:
                    old[ko] = i
                    ko += 1
                    break
    return old[:ko].copy(), starting[:ks].copy(), leaving[:kl].copy()
