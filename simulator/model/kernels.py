"""Compiled loops (numba) for the passes over every person that numpy can only write slowly.

Why numba here, and only here: at full scale (one row per resident, about 1.9 million
person rows, 0.7 million households, up to 0.45 million firm rows) a month is dominated by
passes over the person rows. Two kinds of pass are slow in numpy:

- **Flags and sums per household from the persons** (which households have a working-age
  member, an earner, a farmer...). The person rows are in no household order (persons are
  put in households at random when the city is built, and newborns are appended), so numpy
  needs a boolean mask, an index list, a gather of the household and a scattered write per
  flag: four or five full passes and temporaries for each flag.
- **Long chains of elementwise operations** (the firms' month accounts, their wage offers,
  the yearly counts by region): numpy makes a temporary array for every operation and reads
  and writes each once more.

A compiled loop does each in one pass without temporaries. Every kernel returns exactly what
the numpy expression in its docstring returns (same rows in the same order, same floats
summed in the same order), so the model's results do not depend on whether a kernel or the
expression is used; ``tests/model/test_kernels.py`` checks each against its expression.
Random draws are never made here: the callers draw with numpy from the mechanism's stream and
pass the draws in, so the streams advance exactly as before.

Plain selections (``flatnonzero(status == ...)``) stay in numpy: it is faster at them than a
compiled loop with a branch per row.

A loop with no branch, no write whose place depends on the data and no read of a table by a
person's attribute is run by the compiler on several rows at once (SIMD), several times faster:
where a kernel needs both, it computes a flag or code per row in such a loop first and gathers or
lists in a second (:func:`household_types`, :func:`keyed_candidates`). A table of a few values
read by skill or sex is cheaper picked by selection than read.

Each kernel is compiled on its first call and cached on disk (``cache=True``), so only the
first run after installing pays the compilation (a few seconds); later processes load the
cached code (about 0.3 s in all). numba itself is imported at the first call, so commands
that run no model do not import it.
"""

from __future__ import annotations

import functools
import math

import numpy as np


def njit(cache: bool, nogil: bool):
    """``numba.njit(cache=..., nogil=..., error_model="numpy")``, applied at the decorated function's
    first call. numpy's error model: a division by zero gives inf or NaN, as in numpy, instead of
    raising (and the loops need no test of each divisor)."""

    def decorate(func):
        compiled = None

        @functools.wraps(func)
        def call(*args):
            nonlocal compiled
            if compiled is None:
                import numba

                compiled = numba.njit(cache=cache, nogil=nogil, error_model="numpy")(func)
                globals()[func.__name__] = compiled  # later calls through the module go straight to it
            return compiled(*args)

        return call

    return decorate


# Bits of the household type code of :func:`household_types`.
HAS_WORKING_AGE = 1
HAS_YOUNG_ADULT = 2
HAS_HIGH_SKILL = 4
HAS_EARNER = 8
HAS_FARM = 16

# Rows of the counts of :func:`region_person_counts`.
REGION_POPULATION, REGION_OLD, REGION_WORKING_AGE, REGION_EMPLOYED, REGION_UNEMPLOYED = range(5)
# Entries of the counts of :func:`city_person_counts`.
(CITY_POPULATION, CITY_WORKING_AGE, CITY_OLD, CITY_EMPLOYED, CITY_PUBLIC_EMPLOYED, CITY_UNEMPLOYED, CITY_RETIRED,
 CITY_UNEMPLOYED_FORMER_HEAVY, CITY_WELFARE_JOBS) = range(9)


@njit(cache=True, nogil=True)
def household_types(household, present, age_m, female, skill, status, retirement_age_m,
                    n_households, working_age_min_m, young_end_m, high_skill, employed, exp_sector, agri):
    """Type code (uint8) of each household row, from its present members.

    Bits: :data:`HAS_WORKING_AGE` (a member aged ``working_age_min_m`` or more and below
    their own retirement age ``retirement_age_m[3 x female + skill]``, skills 0, 1 and 2; ages
    and limits in whole months),
    :data:`HAS_YOUNG_ADULT` (such a member younger than ``young_end_m``), :data:`HAS_HIGH_SKILL`
    (such a member of skill ``high_skill``), :data:`HAS_EARNER` (a member whose status is
    ``employed``; the employed are all present) and :data:`HAS_FARM` (a present member with
    ``exp_sector == agri``). Equals, bit by bit, the numpy flags
    ``flags = zeros(n_households, bool); flags[household[flatnonzero(condition)]] = True``.

    Two loops: each person's code, then the codes OR-ed into their households. The first has no
    branch, no table read and no write that depends on the data, so the compiler runs it on
    several persons at once (SIMD); the retirement age is picked from the six ages by selection
    (a read of the table by the person's skill and sex made it four times slower).
    """
    n = household.shape[0]
    m0, m1, m2 = np.int32(retirement_age_m[0]), np.int32(retirement_age_m[1]), np.int32(retirement_age_m[2])
    w0, w1, w2 = np.int32(retirement_age_m[3]), np.int32(retirement_age_m[4]), np.int32(retirement_age_m[5])
    wa_min, young_end = np.int32(working_age_min_m), np.int32(young_end_m)
    codes = np.empty(n, np.uint8)
    for i in range(n):
        a = np.int32(age_m[i])
        s = np.int32(skill[i])
        men = m0 if s == 0 else (m1 if s == 1 else m2)
        women = w0 if s == 0 else (w1 if s == 1 else w2)
        retire = women if female[i] else men
        here = np.int32(present[i])
        wa = here & np.int32(a >= wa_min) & np.int32(a < retire)
        code = (wa * HAS_WORKING_AGE) | ((wa & np.int32(a < young_end)) * HAS_YOUNG_ADULT) \
            | ((wa & np.int32(s == high_skill)) * HAS_HIGH_SKILL) | (np.int32(status[i] == employed) * HAS_EARNER) \
            | ((here & np.int32(exp_sector[i] == agri)) * HAS_FARM)
        codes[i] = np.uint8(code)
    out = np.zeros(n_households, np.uint8)
    for i in range(n):
        out[household[i]] |= codes[i]
    return out


@njit(cache=True, nogil=True)
def leave_probability(types, housing, present, rate, by_type, by_housing):
    """Monthly probability that each household row leaves, and whether it has a working-age member.

    ``types`` are :func:`household_types` codes; the multiplier of a household is
    ``by_type[kind]`` with ``kind = (no earner) + 2 (young adult) + 4 (high skill)``, times
    ``by_housing[housing]``; ``rate`` is each household's base rate (an array). Equals the numpy
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
            prob[h] = min(rate[h] * (by_type[kind] * by_housing[housing[h]]), 1.0)
    return prob, has_wa


@njit(cache=True, nogil=True)
def apportion_whole(target, alive, sector, ownership, apart, n_sectors, held):
    """Whole targets apportioned within groups (see
    :func:`simulator.model.labour_market.whole_targets`), of the targets ``t = where(alive, target,
    0)`` in the groups ``sector + n_sectors x (ownership == apart)``, with the workers ``held`` by
    the first rows (0 for the rows after them): ``floor(t)`` for every row, and each group's
    ``floor(sum of its fractional parts + 0.5)`` extras to its rows with a fractional part, those
    holding more than the whole part (``workers > floor(t)``) first, then by the largest fractional
    part, ties to the earlier row. Equals, bit by bit, the order of ``np.lexsort((index, -frac,
    ~incumbent, ~eligible, group))`` cut at each group's extras, in linear time (a group whose sum is
    NaN, from an infinite or NaN target, gets no extras, as that cut at a NaN count).

    Four passes: the whole and fractional parts, groups and kinds of row; the sums of
    the fractional parts in row order and the counts by group, carried along each run of rows of
    one group (the rows come in runs of a sector); each group's rows of each kind, listed without
    a branch; and in each list that gets fewer extras than it has rows, the r-th largest
    fractional part found by a histogram of 2048 buckets (then among the bucket's values)."""
    n = target.shape[0]
    n_groups = 2 * n_sectors
    n_held = min(held.shape[0], n)
    whole = np.empty(n)
    frac = np.empty(n)
    group = np.empty(n, np.int64)
    kind = np.empty(n, np.int8)  # 0: whole target; 1: holds its extra worker already; 2: another
    for i in range(n):
        t = target[i] if alive[i] else 0.0
        w = held[i] if i < n_held else 0.0  # the rows after the workers' hold none
        b = np.floor(t)
        f = t - b
        whole[i] = b
        frac[i] = f
        group[i] = sector[i] + n_sectors * np.int64(ownership[i] == apart)
        kind[i] = np.int8(f > 0.0) * (np.int8(1) + np.int8(not w > b))  # (a NaN held: not an incumbent)
    sums = np.zeros(n_groups)
    n_inc = np.zeros(n_groups, np.int64)
    n_oth = np.zeros(n_groups, np.int64)
    if n > 0:  # each group's sum in row order (as np.bincount's weights), carried along a run
        cur = group[0]
        acc = 0.0
        ci = 0
        co = 0
        for i in range(n):
            g = group[i]
            if g != cur:
                sums[cur] = acc
                n_inc[cur] += ci
                n_oth[cur] += co
                cur = g
                acc = sums[g]
                ci = 0
                co = 0
            acc += frac[i]
            k = kind[i]
            ci += k == 1
            co += k == 2
        sums[cur] = acc
        n_inc[cur] += ci
        n_oth[cur] += co
    # each group's incumbents and others in row order; a row is written to both lists and the
    # place moves on in its own (each group's list has one spare place at its end)
    start_inc = np.zeros(n_groups + 1, np.int64)
    start_oth = np.zeros(n_groups + 1, np.int64)
    for g in range(n_groups):
        start_inc[g + 1] = start_inc[g] + n_inc[g] + 1
        start_oth[g + 1] = start_oth[g] + n_oth[g] + 1
    inc = np.empty(start_inc[n_groups], np.int64)
    oth = np.empty(start_oth[n_groups], np.int64)
    fill_inc = start_inc[:-1].copy()
    fill_oth = start_oth[:-1].copy()
    if n > 0:
        cur = group[0]
        pi = fill_inc[cur]
        po = fill_oth[cur]
        for i in range(n):
            g = group[i]
            if g != cur:
                fill_inc[cur] = pi
                fill_oth[cur] = po
                cur = g
                pi = fill_inc[g]
                po = fill_oth[g]
            k = kind[i]
            inc[pi] = i
            oth[po] = i
            pi += k == 1
            po += k == 2
    n_buckets = 2048
    count = np.zeros(n_buckets, np.int64)
    for g in range(n_groups):
        sg = sums[g]
        k = np.int64(np.floor(sg + 0.5)) if not np.isnan(sg) else 0  # (an infinite target: no extras)
        for part in range(2):  # the incumbents, then the others with what is left
            if part == 0:
                rows = inc[start_inc[g]:start_inc[g] + n_inc[g]]
                r = min(k, n_inc[g])
            else:
                rows = oth[start_oth[g]:start_oth[g] + n_oth[g]]
                r = k - n_inc[g]
            m = rows.shape[0]
            if r <= 0:
                continue
            if r >= m:
                for j in range(m):
                    whole[rows[j]] += 1.0
                continue
            # the r rows with the largest fractional parts, ties to the earlier row (the parts are in
            # [0, 1], 1 for a tiny negative target such as -1e-20: the last bucket takes it):
            # the r-th largest, thr, is in the bucket where the counts from the top reach r
            vals = np.empty(m)
            for j in range(m):
                vals[j] = frac[rows[j]]
            count[:] = 0
            for j in range(m):
                count[min(np.int64(vals[j] * n_buckets), n_buckets - 1)] += 1
            above = 0
            top = n_buckets - 1
            while above + count[top] < r:
                above += count[top]
                top -= 1
            sub = np.empty(count[top])
            c = 0
            for j in range(m):
                if min(np.int64(vals[j] * n_buckets), n_buckets - 1) == top:
                    sub[c] = vals[j]
                    c += 1
            thr = np.partition(sub, c - (r - above))[c - (r - above)]
            above = 0
            for j in range(m):
                above += vals[j] > thr
            ties = r - above  # rows equal to thr that get an extra: the first ones
            for j in range(m):
                v = vals[j]
                tie = (v == thr) & (ties > 0)
                whole[rows[j]] += np.float64((v > thr) | tie)
                ties -= tie
    return whole


@njit(cache=True, nogil=True)
def members_of(household, present, chosen):
    """Rows of the present persons whose household is flagged in ``chosen`` (bool per
    household), in row order: ``flatnonzero(present & chosen[household])``."""
    n = household.shape[0]
    out = np.empty(n + 1, np.intp)
    k = 0
    for i in range(n):  # branch-free: write every row, keep it by advancing
        out[k] = i
        k += present[i] & chosen[household[i]]
    return out[:k].copy()


@njit(cache=True, nogil=True)
def household_order(household, n_households):
    """The rows ``0 .. len(household) - 1`` ordered by household, rows of one household in row
    order (a stable counting sort): equals ``np.argsort(household, kind="stable")``."""
    start = np.zeros(n_households + 1, np.int64)
    for i in range(household.shape[0]):
        start[household[i] + 1] += 1
    for h in range(n_households):
        start[h + 1] += start[h]
    out = np.empty(household.shape[0], np.intp)
    for i in range(household.shape[0]):
        h = household[i]
        out[start[h]] = i
        start[h] += 1
    return out


@njit(cache=True, nogil=True)
def members_of_ordered(household, present, chosen, n_ordered, chosen_mask):
    """:func:`members_of` for persons whose first ``n_ordered`` rows are in household order
    (``household[:n_ordered]`` ascending) and whose later rows (appended since) are in any order:
    the rows of the households ``chosen`` (ascending, without repeats) found by binary search in
    the ordered rows, and the later rows by a scan (``chosen_mask``: bool per household, True for
    ``chosen``). Equals ``flatnonzero(present & chosen_mask[household])``."""
    ordered = household[:n_ordered]
    lo = np.searchsorted(ordered, chosen, side="left")
    hi = np.searchsorted(ordered, chosen, side="right")
    total = 0
    for j in range(chosen.shape[0]):
        total += hi[j] - lo[j]
    n = household.shape[0]
    out = np.empty(total + n - n_ordered + 1, np.intp)
    k = 0
    for j in range(chosen.shape[0]):
        for i in range(lo[j], hi[j]):
            out[k] = i
            k += present[i]
    for i in range(n_ordered, n):  # branch-free: write every row, keep it by advancing
        out[k] = i
        k += present[i] & chosen_mask[household[i]]
    return out[:k].copy()


@njit(cache=True, nogil=True)
def households_where(household, rows, key, value, n_households):
    """Bool per household row: True where one of the persons ``rows`` has ``key == value``:
    ``flags[household[rows[key[rows] == value]]] = True``."""
    out = np.zeros(n_households, np.bool_)
    for j in range(rows.shape[0]):  # branch-free: or-ing every row's condition
        r = rows[j]
        out[household[r]] |= key[r] == value
    return out


@njit(cache=True, nogil=True)
def households_with(household, key, value, n_households):
    """Bool per household row: True where a person row (any row) has ``key == value``:
    ``flags[household[flatnonzero(key == value)]] = True``."""
    out = np.zeros(n_households, np.bool_)
    for i in range(household.shape[0]):  # branch-free: or-ing every row's condition
        out[household[i]] |= key[i] == value
    return out


@njit(cache=True, nogil=True)
def deaths(present, age_m, table_by_month, bound, cand, u_cand, u_rest):
    """Rows of the present persons who die this month, in row order, ``p = table_by_month[age_m]``
    their probabilities. The ``j``-th present person (counting from 0) with ``p <= bound`` is a
    candidate if ``j`` is in ``cand`` (sorted; drawn at ``bound``), and a candidate at
    ``cand[c]`` dies if ``u_cand[c] * bound < p``; the others (``p > bound``) die if their own
    draw falls below ``p``: the ``r``-th of them if ``u_rest[r] < p``. ``u_rest`` holds one draw
    for each present person with ``p > bound`` (:func:`count_present_above`); with ``bound < 0``
    it is one draw per present person, ``u_rest[j] < p``."""
    out = np.empty(cand.shape[0] + u_rest.shape[0] + 1, np.intp)
    j = 0
    c = 0
    r = 0
    k = 0
    n_cand = cand.shape[0]
    for i in range(present.shape[0]):
        if present[i]:
            p = table_by_month[age_m[i]]
            if p > bound:
                out[k] = i
                k += u_rest[r] < p
                r += 1
            else:
                while c < n_cand and cand[c] < j:  # candidates at rows drawn by their own draw
                    c += 1
                if c < n_cand and cand[c] == j:
                    out[k] = i
                    k += u_cand[c] * bound < p
                    c += 1
            j += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def count_present_above(present, age_m, table_by_month, bound):
    """How many persons are present, and how many of them have ``table_by_month[age_m] > bound``."""
    n = 0
    k = 0
    for i in range(present.shape[0]):
        if present[i]:
            n += 1
            k += table_by_month[age_m[i]] > bound
    return n, k


@njit(cache=True, nogil=True)
def pool_wages(status, exp_sector, wage, agri, employed, unemployed, informal):
    """The farm pool (``exp_sector == agri``) and the non-farm pool (the rest) of the labour
    force: per pool ``[non-farm, farm]``, the number employed (status ``employed``) and seeking
    work (``unemployed`` or ``informal``), and the wages of its employed in row order (float64),
    ``wage[(status == employed) & pool].astype(np.float64)``, the first ``count`` of each row of
    the returned array (whose mean numpy then takes as before)."""
    n = status.shape[0]
    wages = np.empty((2, n))
    e0 = 0
    e1 = 0
    s0 = 0
    s1 = 0
    for i in range(n):  # branch-free: write the wage in both pools, keep it by advancing
        s = status[i]
        farm = exp_sector[i] == agri
        emp = s == employed
        seek = (s == unemployed) | (s == informal)
        w = np.float64(wage[i])
        wages[0, e0] = w
        wages[1, e1] = w
        e0 += emp & ~farm
        e1 += emp & farm
        s0 += seek & ~farm
        s1 += seek & farm
    n_emp = np.empty(2, np.int64)
    n_seek = np.empty(2, np.int64)
    n_emp[0], n_emp[1], n_seek[0], n_seek[1] = e0, e1, s0, s1
    return n_emp, n_seek, wages


@njit(cache=True, nogil=True)
def demography_rows(present, status, age_m, min_retirement_age_m, school_start_m, active_statuses, child, student):
    """The rows demography needs each month, each in row order, from one pass over the persons:
    the retirement candidates ``flatnonzero(present & isin(status, active_statuses) & (age_m >=
    min_retirement_age_m))``, the children starting school ``flatnonzero((status == child) &
    (age_m >= school_start_m))`` and the students ``flatnonzero(status == student)``."""
    n = status.shape[0]
    active = np.zeros(256, np.bool_)  # by status + 128 (int8 statuses)
    for k in range(active_statuses.shape[0]):
        active[np.int64(active_statuses[k]) + 128] = True
    old = np.empty(n + 1, np.intp)
    starting = np.empty(n + 1, np.intp)
    students = np.empty(n + 1, np.intp)
    a = 0
    b = 0
    c = 0
    for i in range(n):  # branch-free: write every row in each list, keep it by advancing
        s = status[i]
        age = age_m[i]
        is_student = s == student
        is_child = s == child
        students[c] = i
        c += is_student
        starting[b] = i
        b += is_child & (age >= school_start_m)
        old[a] = i
        a += ~is_student & ~is_child & present[i] & (age >= min_retirement_age_m) & active[np.int64(s) + 128]
    return old[:a].copy(), starting[:b].copy(), students[:c].copy()


@njit(cache=True, nogil=True)
def rows_of_two(status, a, b, either_too):
    """The rows whose ``status`` is ``a`` or ``b`` (if ``either_too``; else an empty list), those
    of ``a`` and those of ``b``, each in row order: ``flatnonzero((status == a) | (status ==
    b))``, ``flatnonzero(status == a)``, ``flatnonzero(status == b)``. Two passes: the counts
    (vectorised), then the lists, each written into an array of its size."""
    n = status.shape[0]
    na = 0
    nb = 0
    for i in range(n):
        s = status[i]
        na += s == a
        nb += s == b
    rows_a = np.empty(na + 1, np.intp)  # (one spare slot: every row is written, the kept ones advance)
    rows_b = np.empty(nb + 1, np.intp)
    ka = 0
    kb = 0
    if either_too:
        either = np.empty(na + nb + 1, np.intp)
        k = 0
        for i in range(n):  # branch-free: write every row in each list, keep it by advancing
            s = status[i]
            is_a = s == a
            is_b = s == b
            either[k] = i
            k += is_a | is_b
            rows_a[ka] = i
            ka += is_a
            rows_b[kb] = i
            kb += is_b
        return either[:k], rows_a[:na], rows_b[:nb]
    for i in range(n):
        s = status[i]
        rows_a[ka] = i
        ka += s == a
        rows_b[kb] = i
        kb += s == b
    return np.empty(0, np.intp), rows_a[:na], rows_b[:nb]


@njit(cache=True, nogil=True)
def argsort_nonnegative(values):
    """The stable order of non-negative floats (float64, no NaN): equals ``np.argsort(values,
    kind="stable")``. A least-significant-digit radix sort of the values' bit patterns (for
    non-negative floats they order as the values), a byte a pass, the keys carried with the rows
    (sequential reads), in linear time."""
    n = values.shape[0]
    keys = values.view(np.uint64).copy()
    key_buffer = np.empty(n, np.uint64)
    order = np.arange(n)
    buffer = np.empty(n, np.int64)
    count = np.empty(257, np.int64)
    for shift in range(0, 64, 8):
        s = np.uint64(shift)
        count[:] = 0
        for i in range(n):
            count[((keys[i] >> s) & np.uint64(0xFF)) + 1] += 1
        if count[1:].max() == n:  # every value has this byte: the pass would change nothing
            continue
        for d in range(256):
            count[d + 1] += count[d]
        for j in range(n):
            k = keys[j]
            d = (k >> s) & np.uint64(0xFF)
            c = count[d]
            buffer[c] = order[j]
            key_buffer[c] = k
            count[d] = c + 1
        order, buffer = buffer, order
        keys, key_buffer = key_buffer, keys
    return order


@njit(cache=True, nogil=True)
def household_sum(household, rows, weights, n_households):
    """Sum of ``weights`` over the persons ``rows`` by household row:
    ``bincount(household[rows], weights=weights, minlength=n_households)`` (float64, added
    in the same order)."""
    out = np.zeros(n_households)
    for j in range(rows.shape[0]):
        out[household[rows[j]]] += weights[j]
    return out


@njit(cache=True, nogil=True)
def add_per_person(income, household, rows, amount):
    """``income += bincount(household[rows], minlength=len(income)) x amount``: ``amount`` for
    each of the persons ``rows``, added to their household's income (the count first, as there)."""
    n = income.shape[0]
    count = np.zeros(n, np.int64)
    for j in range(rows.shape[0]):
        count[household[rows[j]]] += 1
    for h in range(n):
        income[h] += count[h] * amount


@njit(cache=True, nogil=True)
def housing_costs(housing, rehoused, extra_cost, savings):
    """The rehoused households' extra housing cost, paid out of savings: ``cost =
    minimum(where(housing == rehoused, extra_cost, 0), savings)``, ``savings -= cost``. Returns
    ``cost``."""
    n = savings.shape[0]
    cost = np.empty(n)
    for h in range(n):
        c = extra_cost if housing[h] == rehoused else 0.0
        s = savings[h]
        c = c if (c < s or np.isnan(c)) else s  # numpy's minimum (the second when equal; a NaN either side kept)
        cost[h] = c
        savings[h] = s - c
    return cost


@njit(cache=True, nogil=True)
def household_net_wages(household, rows, employer, net_factor, wage, n_households):
    """Net wages by household row: ``bincount(household[rows], weights=net_factor[employer] *
    wage, minlength=n_households)`` (``employer`` and ``wage`` per row of ``rows``)."""
    out = np.zeros(n_households)
    for j in range(rows.shape[0]):
        out[household[rows[j]]] += net_factor[employer[j]] * wage[j]
    return out


@njit(cache=True, nogil=True)
def per_firm(count, by_class):
    """Sum over each firm row's workers of a value by pay class and firm row:
    ``count[0] * by_class[0] + count[1] * by_class[1] + ...`` (added in that order), with
    ``count`` (classes x firm rows, whole counts) and ``by_class`` of the same shape or
    broadcast to it."""
    n_classes, n_firms = count.shape
    out = np.empty(n_firms)
    for f in range(n_firms):  # class by class over the firm rows: loops the compiler vectorises
        out[f] = count[0, f] * by_class[0, f]
    for k in range(1, n_classes):
        for f in range(n_firms):
            out[f] += count[k, f] * by_class[k, f]
    return out


@njit(cache=True, nogil=True)
def take_and_set(table, cell, rows, person_value):
    """Each listed person's value from a table by cell: ``value = take(table, cell)``; also
    written to the persons' array (``person_value[rows] = value``). Returns ``value``."""
    out = np.empty(cell.shape[0], table.dtype)
    for j in range(cell.shape[0]):
        v = table[cell[j]]
        out[j] = v
        person_value[rows[j]] = v
    return out


@njit(cache=True, nogil=True)
def employed_by(rows, status, employer, employed, flagged):
    """Those of ``rows`` (ascending, every employed person among them) employed (status
    ``employed``) by a flagged firm row, in row order: ``flatnonzero((status == employed) &
    flagged[employer])`` for the employed."""
    n = rows.shape[0]
    out = np.empty(n + 1, np.intp)
    k = 0
    for j in range(n):  # branch-free; a non-worker's employer (-1) reads a flag it then ignores
        i = rows[j]
        out[k] = i
        k += (status[i] == employed) & flagged[max(employer[i], 0)]
    return out[:k].copy()


@njit(cache=True, nogil=True)
def sum_by_group(group, keep, values, n_groups):
    """Sum of ``values`` by group over the kept rows: ``bincount(group[keep],
    weights=values[keep], minlength=n_groups)`` (float64, added in row order)."""
    out = np.zeros(n_groups)
    for i in range(group.shape[0]):
        if keep[i]:
            out[group[i]] += values[i]
    return out


@njit(cache=True, nogil=True)
def whole_group_sum(group, values, n_groups):
    """Sum of whole-number ``values`` (counts, below 2**53 in all) by group: ``bincount(group,
    weights=values, minlength=n_groups)``. Whole numbers add exactly in any order, so the rows are
    added in four interleaved lanes (four independent chains of additions instead of one, about
    four times faster on a few groups) and the lanes then added up."""
    acc = np.zeros((4, n_groups))
    n = group.shape[0]
    m = n - n % 4
    for i in range(0, m, 4):
        acc[0, group[i]] += values[i]
        acc[1, group[i + 1]] += values[i + 1]
        acc[2, group[i + 2]] += values[i + 2]
        acc[3, group[i + 3]] += values[i + 3]
    for i in range(m, n):
        acc[0, group[i]] += values[i]
    out = np.empty(n_groups)
    for g in range(n_groups):
        out[g] = (acc[0, g] + acc[1, g]) + (acc[2, g] + acc[3, g])
    return out


@njit(cache=True, nogil=True)
def first_of_each_household(household, n_households):
    """Positions of the first entry of each household in ``household``, ascending."""
    seen = np.zeros(n_households, np.bool_)
    out = np.empty(household.shape[0], np.intp)
    k = 0
    for j in range(household.shape[0]):
        h = household[j]
        if not seen[h]:
            seen[h] = True
            out[k] = j
            k += 1
    return out[:k].copy()


@njit(cache=True, nogil=True)
def seeker_types(seekers, exp_sector, skill, trained, n_skills, searches):
    """The job seekers who search and their types: ``kind = ((exp_sector + 1) x n_skills + skill) x
    2 + trained`` of each of ``seekers``, kept where ``searches[kind]``, in order (numpy's
    ``seekers[searches[kind]]``, ``kind[searches[kind]]``)."""
    m = seekers.shape[0]
    kinds = np.empty(m, np.intp)
    kept = 0
    for j in range(m):
        i = seekers[j]
        k = ((np.intp(exp_sector[i]) + 1) * n_skills + np.intp(skill[i])) * 2 + np.intp(trained[i])
        kinds[j] = k
        kept += searches[k]
    rows = np.empty(kept, seekers.dtype)
    kind = np.empty(kept, np.intp)
    c = 0
    for j in range(m):
        k = kinds[j]
        if searches[k]:
            rows[c] = seekers[j]
            kind[c] = k
            c += 1
    return rows, kind


@njit(cache=True, nogil=True)
def seeker_choices(cumulative, kind, u, fit_by_type, seekers, status, informal, intensity):
    """Each searching seeker's sector, fit and weight in the matching, as numpy's:

    - the sector: how many of its type's cumulative choice shares (``cumulative[kind]``, one per
      sector) the draw ``u`` exceeds, at most the last sector;
    - its fit ``fit_by_type[kind, choice]``, times ``intensity`` for a seeker in informal work
      (``status[seekers] == informal``);
    - by sector, the seekers ``U = bincount(choice, weights=where(informal, intensity, 1.0))``
      and their fits ``W = bincount(choice, weights=fit)``.

    Returns the sectors, fits, ``U`` and ``W``."""
    n_sectors = cumulative.shape[1]
    m = u.shape[0]
    choice = np.empty(m, np.intp)
    fit = np.empty(m)
    seekers_s = np.zeros(n_sectors)
    fit_s = np.zeros(n_sectors)
    for j in range(m):
        row = kind[j]
        c = 0
        for s in range(n_sectors):
            c += u[j] > cumulative[row, s]
        c = min(c, n_sectors - 1)
        choice[j] = c
        w = fit_by_type[row, c]
        if status[seekers[j]] == informal:
            w = w * intensity
            seekers_s[c] += intensity
        else:
            seekers_s[c] += 1.0
        fit[j] = w
        fit_s[c] += w
    return choice, fit, seekers_s, fit_s


@njit(cache=True, nogil=True)
def hires(seekers, choice, fit, rate_by_sector, u):
    """The seekers hired and their sectors, in order: those whose draw ``u`` falls below
    ``minimum(1, rate_by_sector[choice] x fit)``."""
    m = u.shape[0]
    rows = np.empty(m + 1, seekers.dtype)
    sector = np.empty(m + 1, np.intp)
    k = 0
    for j in range(m):
        p = rate_by_sector[choice[j]] * fit[j]
        p = 1.0 if 1.0 < p else p  # numpy's minimum(1, p) (a NaN kept: never hired)
        rows[k] = seekers[j]
        sector[k] = choice[j]
        k += u[j] < p
    return rows[:k].copy(), sector[:k].copy()


@njit(cache=True, nogil=True)
def employment_cells(rows, employer, skill, welfare_job, n_firms, n_classes, n_skills):
    """For the employed ``rows``: their employer rows, their (pay class, firm) cell
    ``pay class x n_firms + employer`` (the pay class is the skill, plus ``n_skills`` in a
    public-welfare job) and the count of rows per cell, shape (n_classes, n_firms), int32:
    ``bincount(cell, minlength=n_classes x n_firms)``."""
    k = rows.shape[0]
    emp = np.empty(k, employer.dtype)
    cell = np.empty(k, np.int64)
    count = np.zeros(n_classes * n_firms, np.int32)
    for j in range(k):
        i = rows[j]
        e = employer[i]
        emp[j] = e
        c = (np.int64(skill[i]) + n_skills * np.int64(welfare_job[i])) * n_firms + e
        cell[j] = c
        count[c] += 1
    return emp, cell, count.reshape(n_classes, n_firms)


@njit(cache=True, nogil=True)
def add_shares(income, weight, total, amount, scale):
    """``income += weight / total * amount / scale``, element by element in that order."""
    for h in range(income.shape[0]):
        income[h] += weight[h] / total * amount / scale


@njit(cache=True, nogil=True)
def dibao_top_up(farming, rural_line, urban_line, members, income, present):
    """Each present household's top-up to the dibao line, ``need = where(present, maximum(line x
    members - income, 0), 0)`` with ``line = where(farming, rural_line, urban_line)`` (numpy's
    maximum: 0 for a zero of either sign, NaN kept), added to ``income`` (``income += need``).
    Returns ``need`` and the number of households with a positive top-up."""
    n = income.shape[0]
    out = np.zeros(n)
    recipients = 0
    for h in range(n):
        if present[h]:
            line = rural_line if farming[h] else urban_line
            v = line * members[h] - income[h]
            v = v if (v > 0.0 or np.isnan(v)) else 0.0
            out[h] = v
            income[h] += v
            recipients += v > 0.0
        else:
            income[h] += 0.0
    return out, recipients


@njit(cache=True, nogil=True)
def household_count_where(household, rows, key, value, n_households):
    """Persons among ``rows`` with ``key == value`` per household row:
    ``bincount(household[rows[key[rows] == value]], minlength=n_households)``."""
    out = np.zeros(n_households, np.int64)
    for j in range(rows.shape[0]):
        r = rows[j]
        out[household[r]] += key[r] == value
    return out


@njit(cache=True, nogil=True)
def consumption(income_prev, savings, present, mpc, share_of_savings):
    """Each household's spending (yuan) out of its savings, which it reduces:
    ``c = minimum(where(present, mpc x maximum(income_prev, 0) + share_of_savings x savings,
    0), savings)``; ``savings -= c`` (numpy's maximum and minimum, element by element)."""
    n = savings.shape[0]
    out = np.zeros(n)
    for h in range(n):
        if present[h]:
            inc = income_prev[h]
            inc = inc if (inc >= 0.0 or np.isnan(inc)) else 0.0
            c = mpc * inc + share_of_savings * savings[h]
        else:
            c = 0.0
        s = savings[h]
        c = c if (c <= s or np.isnan(c)) else s
        out[h] = c
        savings[h] = s - c
    return out


@njit(cache=True, nogil=True)
def pensions_paid(pension, rows, rural):
    """The pension of each of the retired ``rows``: their own (float32, as float64) if
    positive, else the rural basic pension: ``where(pension[rows] > 0, pension[rows], rural)``."""
    out = np.empty(rows.shape[0])
    for j in range(rows.shape[0]):
        v = pension[rows[j]]
        out[j] = v if v > 0 else rural
    return out


@njit(cache=True, nogil=True)
def wage_offers(wage_prem, wage_offer, vacancies, profit, adjustment, bound, norm_by_sector, sector,
                premium_sum, workers, max_labour_share, va_per_worker, employer_contribution,
                coverage_by_sector, ownership, public, public_wage):
    """Firms' wage premia and offers, in place (numpy's operations element by element):

    ``wage_prem = clip(wage_prem + adjustment x (vacancies >= 1) - adjustment x (profit < 0),
    -bound, bound)``; ``offer = minimum(norm x (1 + wage_prem), cap)`` with ``cap =
    max_labour_share x va_per_worker / (mean premium x (1 + employer_contribution x
    coverage))``, the mean premium ``premium_sum / workers`` (1 without workers); public
    units offer ``public_wage``.
    """
    for f in range(wage_prem.shape[0]):
        up = adjustment if vacancies[f] >= 1.0 else 0.0
        down = adjustment if profit[f] < 0 else 0.0
        p = wage_prem[f] + up - down
        p = p if (p >= -bound or np.isnan(p)) else -bound
        p = p if (p <= bound or np.isnan(p)) else bound
        wage_prem[f] = p
        if ownership[f] == public:
            wage_offer[f] = public_wage
            continue
        s = sector[f]
        mean_prem = premium_sum[f] / workers[f] if workers[f] > 0 else 1.0
        cap = max_labour_share * va_per_worker[f] / (mean_prem * (1.0 + employer_contribution * coverage_by_sector[s]))
        offer = norm_by_sector[s] * (1.0 + p)
        wage_offer[f] = offer if (offer <= cap or np.isnan(offer)) else cap


@njit(cache=True, nogil=True)
def firm_accounts(sales, mines, mine_inputs, phi_by_sector, public, sector, ownership, private, alive, ordinary,
                  business_tax_sector, business_tax_rate, vat_by_sector, eit_by_sector, resource_tax, debt,
                  loan_rate, private_loan_rate, employer_contribution, covered_bill, wage_bill, social_functions,
                  heavy_sector, environmental_share, agri, agri_subsidy_per_worker, workers, scale, payout,
                  cash, last_sales, profit, loss_months):
    """A month's accounts of every firm row (yuan), numpy's operations element by element:

    - intermediates: ``mine_inputs`` for mines, ``phi_by_sector[sector] x sales`` for others, none
      for public units;
      value added ``va = sales - intermediates``;
    - business tax ``business_tax_rate x sales`` in the business-tax sectors (if the rate is
      positive; not public units); VAT ``vat_by_sector x maximum(va, 0)`` for the other
      non-public rows;
    - interest ``debt x rate`` (``private_loan_rate`` for private firms); employer
      contributions ``employer_contribution x covered_bill``;
    - before tax: sales less intermediates, wages, contributions, business tax, VAT, resource
      tax and interest, less the social functions; less the environmental cost
      ``environmental_share x sales`` of heavy-industry rows alive (if the share is positive);
      plus the farm subsidy ``agri_subsidy_per_worker x workers x scale`` of farms alive (if
      positive); EIT ``eit_by_sector x maximum(pre_tax, 0)``; after tax ``pre_tax - eit``;
    - dividends ``payout x after_tax`` of private firms in profit.

    Updates ``cash += after_tax - dividends``, ``last_sales = sales``, ``profit = after_tax``
    and ``loss_months`` (+1 after a loss, or no sales for an ordinary firm; else 0). Returns
    intermediates, va, business tax, VAT, interest, employer contributions, environmental
    cost, subsidy, EIT and dividends.
    """
    n = sales.shape[0]
    inter = np.empty(n)
    va = np.empty(n)
    bt = np.empty(n)
    vat = np.empty(n)
    interest = np.empty(n)
    contrib = np.empty(n)
    env = np.zeros(n)
    sub = np.zeros(n)
    eit = np.empty(n)
    div = np.empty(n)
    for f in range(n):
        s = sector[f]
        x = sales[f]
        if public[f]:
            i = 0.0
        elif mines[f]:
            i = mine_inputs[f]
        else:
            i = x * phi_by_sector[s]
        inter[f] = i
        v = x - i
        va[f] = v
        use_bt = business_tax_sector[s] and business_tax_rate > 0 and not public[f]
        bt[f] = business_tax_rate * x if use_bt else 0.0
        if not use_bt and not public[f]:
            vat[f] = vat_by_sector[s] * (v if (v >= 0.0 or np.isnan(v)) else 0.0)
        else:
            vat[f] = 0.0
        interest[f] = debt[f] * (private_loan_rate if ownership[f] == private else loan_rate)
        contrib[f] = employer_contribution * covered_bill[f]
        pre = x - i - wage_bill[f] - contrib[f] - bt[f] - vat[f] - resource_tax[f] - interest[f]
        pre = pre - social_functions[f]
        if environmental_share > 0:
            env[f] = environmental_share * x if (heavy_sector[s] and alive[f]) else 0.0
            pre = pre - env[f]
        if agri_subsidy_per_worker > 0:
            sub[f] = agri_subsidy_per_worker * workers[f] * scale if (s == agri and alive[f]) else 0.0
            pre = pre + sub[f]
        e = eit_by_sector[s] * (pre if (pre >= 0.0 or np.isnan(pre)) else 0.0)
        eit[f] = e
        after = pre - e
        d = payout * after if (ownership[f] == private and after > 0) else 0.0
        div[f] = d
        cash[f] += after - d
        last_sales[f] = x
        profit[f] = after
        loss_months[f] = loss_months[f] + 1 if (after < 0 or (ordinary[f] and x <= 0)) else 0
    return inter, va, bt, vat, interest, contrib, env, sub, eit, div


@njit(cache=True, nogil=True)
def region_person_counts(present, household, household_region, age_m, status, employer, firm_region, firm_sector,
                         n_regions, n_sectors, old_age_years, working_age_from_years, working_age_to_years,
                         employed, unemployed):
    """Present persons by region of residence (int64, rows ``REGION_POPULATION``, ``REGION_OLD``
    (whole years at least ``old_age_years``), ``REGION_WORKING_AGE`` (whole years between the
    bounds, both included), ``REGION_EMPLOYED``, ``REGION_UNEMPLOYED``), and the employed by
    their employer's region and sector (``region x n_sectors + sector``)."""
    counts = np.zeros((5, n_regions), np.int64)
    jobs = np.zeros(n_regions * n_sectors, np.int64)
    for i in range(present.shape[0]):
        if not present[i]:
            continue
        r = household_region[household[i]]
        a = age_m[i] // 12
        counts[REGION_POPULATION, r] += 1
        counts[REGION_OLD, r] += a >= old_age_years
        counts[REGION_WORKING_AGE, r] += (a >= working_age_from_years) & (a <= working_age_to_years)
        s = status[i]
        if s == employed:
            counts[REGION_EMPLOYED, r] += 1
            e = employer[i]
            jobs[np.int64(firm_region[e]) * n_sectors + firm_sector[e]] += 1
        counts[REGION_UNEMPLOYED, r] += s == unemployed
    return counts, jobs


@njit(cache=True, nogil=True)
def city_person_counts(present, age_m, status, employer, exp_sector, welfare_job, firm_sector, firm_ownership,
                       n_sectors, old_age_years, working_age_from_years, working_age_to_years, employed,
                       unemployed, retired, public, heavy_sector):
    """Counts of the present persons (int64, entries ``CITY_*``): all, of working age (whole
    years between the bounds, both included), aged ``old_age_years`` or more, employed, employed
    by a public unit, job seekers, retired, job seekers whose last job was in a heavy sector,
    holders of a public-welfare job; and the employed by their employer's sector."""
    c = np.zeros(9, np.int64)
    by_sector = np.zeros(n_sectors, np.int64)
    for i in range(present.shape[0]):
        if not present[i]:
            continue
        a = age_m[i] // 12
        c[CITY_POPULATION] += 1
        c[CITY_WORKING_AGE] += (a >= working_age_from_years) & (a <= working_age_to_years)
        c[CITY_OLD] += a >= old_age_years
        s = status[i]
        if s == employed:
            e = employer[i]
            c[CITY_EMPLOYED] += 1
            by_sector[firm_sector[e]] += 1
            c[CITY_PUBLIC_EMPLOYED] += firm_ownership[e] == public
            c[CITY_WELFARE_JOBS] += welfare_job[i]
        elif s == unemployed:
            c[CITY_UNEMPLOYED] += 1
            x = exp_sector[i]
            c[CITY_UNEMPLOYED_FORMER_HEAVY] += (x >= 0) and heavy_sector[x]
        elif s == retired:
            c[CITY_RETIRED] += 1
    return c, by_sector


@njit(cache=True, nogil=True)
def ordinary_sector_sums(sector, ordinary, sales, profit, n_sectors):
    """Sales, profit and rows by sector over the ordinary rows: ``bincount(sector,
    weights=where(ordinary, x, 0.0), minlength=n_sectors)`` for ``x`` = sales, profit and 1.0
    (a zero added for every other row, as there). The sums are carried along each run of rows of
    one sector (the same additions in the same order, without a store and load per row)."""
    sales_s = np.zeros(n_sectors)
    profit_s = np.zeros(n_sectors)
    rows = np.zeros(n_sectors)
    n = sector.shape[0]
    if n == 0:
        return sales_s, profit_s, rows
    cur = sector[0]
    a = 0.0
    b = 0.0
    c = 0.0
    for f in range(n):
        s = sector[f]
        if s != cur:
            sales_s[cur] = a
            profit_s[cur] = b
            rows[cur] = c
            cur = s
            a = sales_s[s]
            b = profit_s[s]
            c = rows[s]
        o = ordinary[f]
        a += sales[f] if o else 0.0
        b += profit[f] if o else 0.0
        c += 1.0 if o else 0.0
    sales_s[cur] = a
    profit_s[cur] = b
    rows[cur] = c
    return sales_s, profit_s, rows


@njit(cache=True, nogil=True)
def quits(rows, quit_pos, welfare_job, employer, status, wage, unemp_months, unemployed, n_firms):
    """The month's quits among the employed ``rows`` (in row order) and who stays.

    The ``j``-th worker quits if ``j`` is in ``quit_pos`` (sorted positions): they become job
    seekers (status ``unemployed``, no employer, wage, spell or welfare job, as
    ``labour_market.separate``). Returns the rows and employers of the workers who stay in
    ordinary jobs, and per firm row the number of those (float64) and of the workers who stay
    in public-welfare jobs.
    """
    k = rows.shape[0]
    stay = np.empty(k, rows.dtype)
    stay_employer = np.empty(k, employer.dtype)
    ordinary = np.zeros(n_firms)
    welfare = np.zeros(n_firms)
    m = 0
    q = 0
    n_quit = quit_pos.shape[0]
    for j in range(k):
        i = rows[j]
        if q < n_quit and quit_pos[q] == j:
            q += 1
            status[i] = unemployed
            employer[i] = -1
            wage[i] = 0.0
            unemp_months[i] = 0
            welfare_job[i] = False
        elif welfare_job[i]:
            welfare[employer[i]] += 1.0
        else:
            e = employer[i]
            stay[m] = i
            stay_employer[m] = e
            ordinary[e] += 1.0
            m += 1
    return stay[:m].copy(), stay_employer[:m].copy(), ordinary, welfare


@njit(cache=True, nogil=True)
def layoffs(rows, employer, rate, cand, u, bound, workers, status, person_employer, wage, unemp_months, welfare_job,
            unemployed):
    """The month's layoffs among the workers ``rows`` (employers ``employer``), in row order.

    Only the candidates ``cand`` (sorted positions in ``rows``, drawn at ``bound``, at least
    every rate) can be laid off: the candidate ``j = cand[c]`` is laid off if
    ``u[c] * bound < rate[employer[j]]`` (rates non-negative, draws in [0, 1); with every
    position a candidate and ``bound`` 1, one draw per worker). The laid off become job seekers
    (as ``labour_market.separate``) and their firm row's ``workers`` falls by one. Returns the
    rows laid off and their former employers.
    """
    k = cand.shape[0]
    laid = np.empty(k, rows.dtype)
    laid_employer = np.empty(k, employer.dtype)
    m = 0
    for c in range(k):
        j = cand[c]
        e = employer[j]
        if u[c] * bound < rate[e]:
            i = rows[j]
            laid[m] = i
            laid_employer[m] = e
            m += 1
            workers[e] -= 1.0
            status[i] = unemployed
            person_employer[i] = -1
            wage[i] = 0.0
            unemp_months[i] = 0
            welfare_job[i] = False
    return laid[:m].copy(), laid_employer[:m].copy()


@njit(cache=True, nogil=True)
def layoff_rates(workers, target, ownership, private, soe, share_private, share_state, programme, share_programme):
    """Each firm row's layoff rate: ``divide(maximum(workers - target, 0) x share, workers,
    where=workers > 0)`` (0 where no workers), with ``share = where(ownership != private,
    share_state, share_private)``, and where ``programme``, ``share_programme`` for the rows of
    ``soe`` ownership. ``maximum`` as numpy's: NaN kept, 0 for a zero of either sign."""
    n = workers.shape[0]
    rate = np.empty(n)
    for i in range(n):
        own = ownership[i]
        share = share_state if own != private else share_private
        if programme:
            share = share_programme if own == soe else share
        L = workers[i]
        d = L - target[i]
        excess = d if (d > 0.0 or np.isnan(d)) else 0.0
        rate[i] = excess * share / L if L > 0.0 else 0.0
    return rate


@njit(cache=True, nogil=True)
def vacancies(target, workers, alive, sector, n_sectors):
    """Open posts of each firm row, ``where(alive, maximum(target - workers, 0), 0)`` (``maximum``
    as numpy's: NaN kept, 0 for a zero of either sign), and their sums by sector, ``bincount(sector,
    weights=vacancies, minlength=n_sectors)`` (added in row order, carried along each run of rows
    of one sector)."""
    n = target.shape[0]
    vac = np.empty(n)
    for i in range(n):
        d = target[i] - workers[i]
        v = d if (d > 0.0 or np.isnan(d)) else 0.0
        vac[i] = v if alive[i] else 0.0
    by_sector = np.zeros(n_sectors)
    if n > 0:
        cur = sector[0]
        acc = 0.0
        for i in range(n):
            s = sector[i]
            if s != cur:
                by_sector[cur] = acc
                cur = s
                acc = by_sector[s]
            acc += vac[i]
        by_sector[cur] = acc
    return vac, by_sector


@njit(cache=True, nogil=True)
def match_local_first(hire_regions, slot_regions, commuting):
    """Pairs of hires and vacancy slots, each hire to a slot in their own region first (see
    :func:`simulator.model.regions.match_local_first`, which this is): returns
    ``(hire_index, slot_index)``, the local pairs region by region (in each region the hires
    and the slots in their given order), then the commuting zone's hires and slots left over,
    in their given order."""
    nh, ns = hire_regions.shape[0], slot_regions.shape[0]
    k = min(nh, ns)
    R = commuting.shape[0]
    h_count = np.zeros(R, np.int64)
    s_count = np.zeros(R, np.int64)
    for j in range(nh):
        h_count[hire_regions[j]] += 1
    for j in range(ns):
        s_count[slot_regions[j]] += 1
    local = np.minimum(h_count, s_count)  # local pairs per region
    start = np.empty(R, np.int64)  # where each region's local pairs begin in the output
    n_local = 0
    for r in range(R):
        start[r] = n_local
        n_local += local[r]
    hire_index = np.empty(k, np.int64)
    slot_index = np.empty(k, np.int64)
    rest_h = np.empty(nh, np.int64)  # the commuting zone's hires without a local slot, in order
    rest_s = np.empty(ns, np.int64)  # and its slots left over
    n_rest = np.zeros(2, np.int64)
    taken = np.empty(R, np.int64)
    for side in range(2):  # the hires, then the slots (the two region arrays share their dtype)
        regions = hire_regions if side == 0 else slot_regions
        index = hire_index if side == 0 else slot_index
        rest = rest_h if side == 0 else rest_s
        taken[:] = 0
        for j in range(regions.shape[0]):
            r = regions[j]
            if taken[r] < local[r]:
                index[start[r] + taken[r]] = j
                taken[r] += 1
            elif commuting[r]:
                rest[n_rest[side]] = j
                n_rest[side] += 1
    m = min(n_rest[0], n_rest[1], k - n_local)
    for i in range(m):
        hire_index[n_local + i] = rest_h[i]
        slot_index[n_local + i] = rest_s[i]
    return hire_index[: n_local + m].copy(), slot_index[: n_local + m].copy()


@njit(cache=True, nogil=True)
def settle_cash(cash, debt, labour_cost, buffer_months):
    """Firms short of cash borrow, firms with cash above their buffer repay debt, element by
    element as numpy's ``short = maximum(-cash, 0); cash += short; debt += short;
    repay = minimum(debt, maximum(cash - buffer_months x labour_cost, 0)); cash -= repay;
    debt -= repay``. Updates ``cash`` and ``debt``; returns ``short`` and ``repay``."""
    n = cash.shape[0]
    short = np.empty(n)
    repay = np.empty(n)
    for f in range(n):
        s = -cash[f]
        s = s if (s > 0.0 or np.isnan(s)) else 0.0  # (a tie gives numpy's second argument)
        short[f] = s
        c = cash[f] + s
        d = debt[f] + s
        room = c - buffer_months * labour_cost[f]
        room = room if (room > 0.0 or np.isnan(room)) else 0.0
        r = d if (d < room or np.isnan(d)) else room
        repay[f] = r
        cash[f] = c - r
        debt[f] = d - r
    return short, repay


@njit(cache=True, nogil=True)
def own_investment(capital, age_m, alive, is_mine, ownership, public, profit, cash, capital_kept, first_month,
                   depreciation_per_month, share_of_profit):
    """The firm rows' month before they invest, as numpy's: capital depreciates (``capital *=
    capital_kept``), ages rise a month, and the ordinary rows (alive, not mines, not owned
    ``public``) plan to invest ``share_of_profit x maximum(profit, 0)`` (in the first month
    ``depreciation_per_month x capital``, their depreciation), at most ``maximum(cash, 0)``;
    other rows nothing (numpy's minimum and maximum: the second when equal, NaN kept). Returns
    the ordinary flags and the planned investment."""
    n = capital.shape[0]
    ordinary = np.empty(n, np.bool_)
    own = np.empty(n)
    for f in range(n):
        capital[f] *= capital_kept
        age_m[f] += 1
        o = alive[f] and not is_mine[f] and ownership[f] != public
        ordinary[f] = o
        if o:
            if first_month:
                x = depreciation_per_month * capital[f]
            else:
                p = profit[f]
                x = share_of_profit * (p if (p > 0.0 or np.isnan(p)) else 0.0)
        else:
            x = 0.0
        c = cash[f]
        c = c if (c > 0.0 or np.isnan(c)) else 0.0
        own[f] = x if (x < c or np.isnan(x)) else c
    return ordinary, own


@njit(cache=True, nogil=True)
def invest(cash, capital, own, topup):
    """The firm rows invest, as numpy's ``cash -= own``, ``invest = own + topup``, ``capital +=
    invest``. Returns ``invest``."""
    n = own.shape[0]
    out = np.empty(n)
    for f in range(n):
        cash[f] -= own[f]
        v = own[f] + topup[f]
        out[f] = v
        capital[f] += v
    return out


@njit(cache=True, nogil=True)
def firm_exits(alive, is_mine, ownership, sector, loss_months, reserves, min_reserves, soe, public,
               soe_mine_limit, private_mine_limit, soe_limit_by_sector, private_limit_by_sector):
    """The firm rows that close or exit this month, as numpy's: mines alive with ``reserves <
    min_reserves`` or ``loss_months`` at their limit (``soe_mine_limit`` for rows owned ``soe``,
    else ``private_mine_limit``), and ordinary rows (alive, not mines, not owned ``public``) with
    ``loss_months`` at their sector's limit (``soe_limit_by_sector`` for state rows, else
    ``private_limit_by_sector``). Returns the rows closing or exiting (``flatnonzero(close_mine |
    exiting)``), the ordinary rows exiting (``flatnonzero(exiting)``) and the number of mines
    closing."""
    n = alive.shape[0]
    gone = np.empty(n + 1, np.intp)
    exiting = np.empty(n + 1, np.intp)
    k = 0
    e = 0
    mines_closing = 0
    for f in range(n):
        if not alive[f]:
            continue
        state = ownership[f] == soe
        if is_mine[f]:
            limit = soe_mine_limit if state else private_mine_limit
            if reserves[f] < min_reserves or loss_months[f] >= limit:
                gone[k] = f
                k += 1
                mines_closing += 1
        elif ownership[f] != public:
            s = sector[f]
            limit = soe_limit_by_sector[s] if state else private_limit_by_sector[s]
            if loss_months[f] >= limit:
                gone[k] = f
                k += 1
                exiting[e] = f
                e += 1
    return gone[:k].copy(), exiting[:e].copy(), mines_closing


@njit(cache=True, nogil=True)
def staffing_targets(ordinary, sector, capital, capital_per_worker_by_sector, scale, full_ratio_by_sector, target,
                     land_bound_by_sector, release_by_sector):
    """Next month's desired workers of the ordinary firm rows, element by element as numpy's
    ``cap_limit = capital / (capital_per_worker x scale)``, ``desired = cap_limit x
    minimum(full_ratio, 1)``, ``target = where(ordinary, desired, target)`` (the per-sector values
    read by each row's sector): each row staffs for its capital's share of the sector's demand,
    ``full_ratio`` being the sector's demand over what its rows could supply with their capital
    fully staffed. The target does not depend on the row's current workers. The ordinary rows of
    land-bound sectors then get ``minimum(previous target x (1 - release), desired)`` (the land
    sets their jobs, which fall at the release rate and never rise with demand). ``minimum`` as
    numpy's (NaN kept; of two equal values, the second). Updates ``target``."""
    for f in range(target.shape[0]):
        if not ordinary[f]:
            continue
        s = sector[f]
        cap_limit = capital[f] / (capital_per_worker_by_sector[s] * scale)
        r = full_ratio_by_sector[s]
        desired = cap_limit * (r if (r < 1.0 or np.isnan(r)) else 1.0)
        if land_bound_by_sector[s]:
            path = target[f] * (1.0 - release_by_sector[s])
            desired = path if (path < desired or np.isnan(path)) else desired
        target[f] = desired


@njit(cache=True, nogil=True)
def covered_and_public_cost(public, alive, sector, coverage_by_sector, wage_bill, employer_contribution, sales):
    """The wage bill covered by pensions and the labour cost of the public units, element by
    element as numpy's ``covered = where(public, wage_bill, wage_bill x coverage)``,
    ``public_cost = where(public & alive, wage_bill + employer_contribution x covered, 0)`` and
    ``sales = where(public, public_cost, sales)``. Updates ``sales``; returns ``covered`` and
    ``public_cost``."""
    n = wage_bill.shape[0]
    covered = np.empty(n)
    public_cost = np.empty(n)
    for f in range(n):
        w = wage_bill[f]
        c = w if public[f] else w * coverage_by_sector[sector[f]]
        covered[f] = c
        pc = w + employer_contribution * c if (public[f] and alive[f]) else 0.0
        public_cost[f] = pc
        if public[f]:
            sales[f] = pc
    return covered, public_cost



@njit(cache=True, nogil=True)
def firm_capacity(alive, is_mine, ownership, public_code, sector, productivity, soe, soe_factor, output_by_sector,
                  output_share_by_sector, workers, scale, capital, capital_per_worker_by_sector,
                  local_inputs_by_sector, last_sales, first_month, n_sectors):
    """The month's capacity of every firm row, element by element as numpy's

    - ``ordinary = alive & ~is_mine & (ownership != public_code)``;
    - gross output per worker ``go = output_by_sector[sector] x productivity``, times
      ``soe_factor`` for the rows owned ``soe`` (if the factor is not 1), over
      ``output_share_by_sector[sector]`` (``1 - intermediate_import_share``);
    - capacity ``cap = where(ordinary, go x workers x scale, 0)`` and its sum by sector
      ``bincount(sector, weights=cap)``;
    - local inputs ``where(ordinary, local_inputs_by_sector[sector] x last_sales, 0)`` (of
      ``cap`` in the first month, ``first_month``);
    - capacity with the capital fully staffed, ``where(ordinary, go x capital /
      capital_per_worker_by_sector[sector], 0)``, summed by sector.

    Returns ``ordinary``, ``cap``, its sums by sector, the local inputs (per row: the caller sums
    them as numpy does) and the full-staffing capacity by sector. The sums by sector are carried
    along each run of rows of one sector (the same additions in the same order)."""
    n = sector.shape[0]
    ordinary = np.empty(n, np.bool_)
    cap = np.empty(n)
    local_inputs = np.empty(n)
    cap_s = np.zeros(n_sectors)
    full_s = np.zeros(n_sectors)
    if n == 0:
        return ordinary, cap, cap_s, local_inputs, full_s
    scaled = soe_factor != 1.0
    cur = sector[0]
    acc_cap = 0.0
    acc_full = 0.0
    for f in range(n):
        s = sector[f]
        if s != cur:
            cap_s[cur] = acc_cap
            full_s[cur] = acc_full
            cur = s
            acc_cap = cap_s[s]
            acc_full = full_s[s]
        o = alive[f] and not is_mine[f] and ownership[f] != public_code
        ordinary[f] = o
        if not o:
            cap[f] = 0.0
            local_inputs[f] = 0.0
            acc_cap += 0.0
            acc_full += 0.0
            continue
        a = output_by_sector[s] * productivity[f]
        if scaled and ownership[f] == soe:
            a = a * soe_factor
        go = a / output_share_by_sector[s]
        c = go * workers[f] * scale
        cap[f] = c
        acc_cap += c
        local_inputs[f] = local_inputs_by_sector[s] * (c if first_month else last_sales[f])
        acc_full += go * capital[f] / capital_per_worker_by_sector[s]
    cap_s[cur] = acc_cap
    full_s[cur] = acc_full
    return ordinary, cap, cap_s, local_inputs, full_s


@njit(cache=True, nogil=True)
def firm_value_added_per_worker(sector, productivity, ownership, soe, soe_factor, output_by_sector,
                                output_share_by_sector, input_share_by_sector):
    """Value added per worker of every firm row at full use of capacity, element by element as
    numpy's ``go x (1 - input_share_by_sector[sector])``, with ``go`` the gross output per worker
    of :func:`firm_capacity` (``output_by_sector[sector] x productivity``, times ``soe_factor``
    for the rows owned ``soe`` if the factor is not 1, over ``output_share_by_sector[sector]``)."""
    n = sector.shape[0]
    va = np.empty(n)
    scaled = soe_factor != 1.0
    for f in range(n):
        s = sector[f]
        a = output_by_sector[s] * productivity[f]
        if scaled and ownership[f] == soe:
            a = a * soe_factor
        va[f] = a / output_share_by_sector[s] * (1.0 - input_share_by_sector[s])
    return va


@njit(cache=True, nogil=True)
def firm_sales(sector, cap, cap_by_sector, sold_by_sector, mines, coal_sales):
    """Each firm row's sales: its sector's sales ``sold_by_sector`` shared in proportion to
    capacity, as numpy's ``sold_by_sector[sector] x divide(cap, cap_by_sector[sector], where=
    cap_by_sector[sector] > 0, out=zeros)``, and ``coal_sales`` for the ``mines``."""
    n = sector.shape[0]
    sales = np.empty(n)
    for f in range(n):
        if mines[f]:
            sales[f] = coal_sales[f]
            continue
        s = sector[f]
        c = cap_by_sector[s]
        sales[f] = sold_by_sector[s] * (cap[f] / c if c > 0 else 0.0)
    return sales


@njit(cache=True, nogil=True)
def value_added_sums(va, sales, sector, region, public, mines, input_share_by_sector, price_by_sector,
                     va_price_by_sector, coal_deflated, coal_deflator, n_regions, n_sectors):
    """The month's value added of the firm rows by region and sector, ``bincount(region x
    n_sectors + sector, weights=va)`` as an (n_regions, n_sectors) table (by sector alone with
    one region), and at start-year prices by sector, ``bincount(sector, weights=real)`` with
    ``real = (1 - input_share_by_sector[sector]) x sales / price_by_sector[sector]``, for public
    units (``public``, a flag per row) ``va / va_price_by_sector[sector]``, for ``mines`` ``va /
    coal_deflator`` if ``coal_deflated`` (else as the others; mines before public units). The sums
    at start-year prices are carried along each run of rows of one sector (the same additions in
    the same order)."""
    by_cell = np.zeros((n_regions, n_sectors))
    real_s = np.zeros(n_sectors)
    n = sector.shape[0]
    if n == 0:
        return by_cell, real_s
    cur = sector[0]
    acc = 0.0
    for f in range(n):
        s = sector[f]
        if s != cur:
            real_s[cur] = acc
            cur = s
            acc = real_s[s]
        r = region[f] if n_regions > 1 else 0
        v = va[f]
        by_cell[r, s] += v
        if coal_deflated and mines[f]:
            acc += v / coal_deflator
        elif public[f]:
            acc += v / va_price_by_sector[s]
        else:
            acc += (1.0 - input_share_by_sector[s]) * sales[f] / price_by_sector[s]
    real_s[cur] = acc
    return by_cell, real_s



# ------------------------------------------------------------------ keyed draws (see simulator.model.draws)
# SplitMix64's finaliser (z ^= z >> 30; z *= M1; z ^= z >> 27; z *= M2; z ^= z >> 31), written out in
# each kernel (the kernels are compiled one by one and do not call each other). The hash of
# (key, month, uid) is two rounds: ``base = mix(key ^ mix(month * G))``, then ``mix(base + uid * G)``.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, nogil=True)
def keyed_hashes(key, month, uids):
    """The 64-bit hash of (``key``, ``month``, each of ``uids``), as uint64."""
    g, m1, m2 = _GOLDEN, _MIX1, _MIX2
    s30, s27, s31 = np.uint64(30), np.uint64(27), np.uint64(31)
    z = np.uint64(month) * g
    z = (z ^ (z >> s30)) * m1
    z = (z ^ (z >> s27)) * m2
    z = np.uint64(key) ^ (z ^ (z >> s31))
    z = (z ^ (z >> s30)) * m1
    z = (z ^ (z >> s27)) * m2
    base = z ^ (z >> s31)
    out = np.empty(len(uids), np.uint64)
    for i in range(len(uids)):
        z = base + np.uint64(uids[i]) * g
        z = (z ^ (z >> s30)) * m1
        z = (z ^ (z >> s27)) * m2
        out[i] = z ^ (z >> s31)
    return out


@njit(cache=True, nogil=True)
def keyed_candidates(key, month, uids, bound):
    """The positions of ``uids`` whose uniform (the top 53 bits of :func:`keyed_hashes` over
    2**53) falls below ``bound``, in order, and those uniforms. With ``bound`` >= 1: every
    position and its uniform.

    Three passes: a flag per position, in a loop with no branch that the compiler runs on several
    ids at once (SIMD), comparing the top 53 bits ``m`` with ``ceil(bound x 2**53)`` (``m x 2**-53
    < bound`` exactly when ``m < ceil(bound x 2**53)``: the scaling by a power of two is exact);
    the count; then the flagged positions, their hash made again."""
    g, m1, m2 = _GOLDEN, _MIX1, _MIX2
    s30, s27, s31, s11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
    z = np.uint64(month) * g
    z = (z ^ (z >> s30)) * m1
    z = (z ^ (z >> s27)) * m2
    z = np.uint64(key) ^ (z ^ (z >> s31))
    z = (z ^ (z >> s30)) * m1
    z = (z ^ (z >> s27)) * m2
    base = z ^ (z >> s31)
    scaled = bound * 9007199254740992.0  # 2**53
    if scaled >= 9007199254740992.0:
        below = np.uint64(9007199254740992)  # every uniform
    elif scaled > 0.0:
        below = np.uint64(math.ceil(scaled))
    else:  # a bound of 0 or less (or NaN): none
        below = np.uint64(0)
    n = len(uids)
    flag = np.empty(n, np.uint8)
    for i in range(n):
        z = base + np.uint64(uids[i]) * g
        z = (z ^ (z >> s30)) * m1
        z = (z ^ (z >> s27)) * m2
        flag[i] = ((z ^ (z >> s31)) >> s11) < below
    k = 0
    for i in range(n):
        k += flag[i]
    pos = np.empty(k, np.int64)
    u = np.empty(k)
    c = 0
    for i in range(n):
        if flag[i]:
            z = base + np.uint64(uids[i]) * g
            z = (z ^ (z >> s30)) * m1
            z = (z ^ (z >> s27)) * m2
            pos[c] = i
            u[c] = float((z ^ (z >> s31)) >> s11) * _TO_UNIT
            c += 1
    return pos, u


@njit(cache=True, nogil=True)
def keyed_candidates_of_rows(key, month, uid, rows, bound):
    """:func:`keyed_candidates` on ``uid[rows]`` without gathering it first: the positions ``j``
    in ``rows`` whose uniform for ``uid[rows[j]]`` is below ``bound``, in order, and those
    uniforms (the same numbers as ``keyed_candidates(key, month, uid[rows], bound)``)."""
    g, m1, m2 = _GOLDEN, _MIX1, _MIX2
    s30, s27, s31, s11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
    z = np.uint64(month) * g
    z = (z ^ (z >> s30)) * m1
    z = (z ^ (z >> s27)) * m2
    z = np.uint64(key) ^ (z ^ (z >> s31))
    z = (z ^ (z >> s30)) * m1
    z = (z ^ (z >> s27)) * m2
    base = z ^ (z >> s31)
    n = len(rows)
    pos = np.empty(n, np.int64)
    u = np.empty(n)
    k = 0
    for j in range(n):
        z = base + np.uint64(uid[rows[j]]) * g
        z = (z ^ (z >> s30)) * m1
        z = (z ^ (z >> s27)) * m2
        x = float((z ^ (z >> s31)) >> s11) * _TO_UNIT
        if x < bound:
            pos[k] = j
            u[k] = x
            k += 1
    return pos[:k], u[:k]


@njit(cache=True, nogil=True)
def keyed_deaths(key, month, uid, present, age_m, table_by_month):
    """The present rows whose keyed uniform (as :func:`keyed_candidates`, for ``uid[i]``) falls
    below the death probability of their age in months, in row order."""
    g, m1, m2 = _GOLDEN, _MIX1, _MIX2
    s30, s27, s31, s11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
    z = np.uint64(month) * g
    z = (z ^ (z >> s30)) * m1
    z = (z ^ (z >> s27)) * m2
    z = np.uint64(key) ^ (z ^ (z >> s31))
    z = (z ^ (z >> s30)) * m1
    z = (z ^ (z >> s27)) * m2
    base = z ^ (z >> s31)
    out = np.empty(len(present), np.int64)
    k = 0
    for i in range(len(present)):
        if not present[i]:
            continue
        z = base + np.uint64(uid[i]) * g
        z = (z ^ (z >> s30)) * m1
        z = (z ^ (z >> s27)) * m2
        x = float((z ^ (z >> s31)) >> s11) * _TO_UNIT
        if x < table_by_month[age_m[i]]:
            out[k] = i
            k += 1
    return out[:k].copy()
