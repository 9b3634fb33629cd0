"""Each compiled loop of ``simulator.model.kernels`` returns exactly what its numpy expression
returns (the expressions the mechanisms used before the loops, written out here), on random
small states drawn by hypothesis: same rows in the same order, same floats to the last bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.model import kernels

EMPLOYED = 2
HIGH = 2


@st.composite
def persons(draw, max_rows: int = 60):
    """A random small population: row attributes, a household per row, and a seed for draws."""
    n = draw(st.integers(0, max_rows))
    n_households = draw(st.integers(1, 25))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return {
        "n_households": n_households,
        "household": rng.integers(0, n_households, n).astype(np.int32),
        "present": rng.random(n) < 0.85,
        "age_m": rng.integers(0, 110 * 12, n).astype(np.int16),
        "female": rng.random(n) < 0.5,
        "skill": rng.integers(0, 3, n).astype(np.int8),
        "status": rng.integers(0, 6, n).astype(np.int8),
        "key": rng.integers(-1, 7, n).astype(np.int8),
        "rng": rng,
    }


def _by_month(table: np.ndarray) -> np.ndarray:
    """A year-of-age table by month of age, as demography.death_table_by_month builds it."""
    out = np.full(np.iinfo(np.int16).max + 1, table[-1])
    out[: 12 * len(table)] = np.repeat(table, 12)
    return out


def _flags(households: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, bool)
    out[households] = True
    return out


@settings(max_examples=150, deadline=None)
@given(persons())
def test_household_types_equal_the_numpy_flags(pp) -> None:
    h, nh = pp["household"], pp["n_households"]
    # months, by 3 x female + skill: six different ages (a mix-up of two would show)
    ret = pp["rng"].permutation(np.array([720, 700, 680, 600, 620, 660], np.int16))
    young_end = 35 * 12
    types = kernels.household_types(
        h, pp["present"], pp["age_m"], pp["female"], pp["skill"], pp["status"], ret, nh, 16 * 12, young_end, HIGH, EMPLOYED,
        pp["key"], 3,
    )
    age = pp["age_m"]
    wa = pp["present"] & (age >= 16 * 12) & (age < ret[3 * pp["female"].astype(np.int8) + pp["skill"]])
    expected = (
        _flags(h[wa], nh) * kernels.HAS_WORKING_AGE
        + _flags(h[wa & (age < young_end)], nh) * kernels.HAS_YOUNG_ADULT
        + _flags(h[wa & (pp["skill"] == HIGH)], nh) * kernels.HAS_HIGH_SKILL
        + _flags(h[pp["status"] == EMPLOYED], nh) * kernels.HAS_EARNER
        + _flags(h[pp["present"] & (pp["key"] == 3)], nh) * kernels.HAS_FARM
    )
    np.testing.assert_array_equal(types, expected)

    # the leaving probability from the types, against the multipliers looked up in numpy
    rng = pp["rng"]
    housing = rng.integers(0, 4, nh).astype(np.int8)
    present_hh = rng.random(nh) < 0.9
    by_type, by_housing = 1.0 + rng.random(8) * 3, 1.0 + rng.random(4)
    rate = rng.random(nh) * 0.5
    prob, has_wa = kernels.leave_probability(types, housing, present_hh, rate, by_type, by_housing)
    earner, young, high = (types & kernels.HAS_EARNER) > 0, (types & kernels.HAS_YOUNG_ADULT) > 0, (types & kernels.HAS_HIGH_SKILL) > 0
    kind = ~earner + 2 * young + 4 * high
    expected_prob = np.minimum(rate * (by_type[kind] * by_housing[housing]), 1.0)
    expected_has_wa = (types & kernels.HAS_WORKING_AGE) > 0
    expected_prob[~expected_has_wa | ~present_hh] = 0.0
    np.testing.assert_array_equal(prob, expected_prob)
    np.testing.assert_array_equal(has_wa, expected_has_wa)


@settings(max_examples=150, deadline=None)
@given(persons(), st.integers(0, 60))
def test_household_order_and_members_of_ordered_equal_numpy(pp, n_tail) -> None:
    """The counting sort by household is numpy's stable argsort; the members of chosen households
    found by binary search in rows kept in household order, plus a scan of rows appended since in
    any order, are numpy's mask of every row."""
    h, nh, rng = pp["household"], pp["n_households"], pp["rng"]
    order = kernels.household_order(h, nh)
    np.testing.assert_array_equal(order, np.argsort(h, kind="stable"))
    household = np.concatenate([h[order], rng.integers(0, nh, n_tail).astype(np.int32)])  # an ordered prefix, a tail
    present = rng.random(len(household)) < 0.85
    chosen = rng.random(nh) < 0.3
    got = kernels.members_of_ordered(household, present, np.flatnonzero(chosen).astype(np.int32), len(h), chosen)
    np.testing.assert_array_equal(got, np.flatnonzero(present & chosen[household]))


@settings(max_examples=150, deadline=None)
@given(persons())
def test_selections_equal_numpy(pp) -> None:
    h, nh, rng = pp["household"], pp["n_households"], pp["rng"]
    n = len(h)
    chosen = rng.random(nh) < 0.3
    np.testing.assert_array_equal(
        kernels.members_of(h, pp["present"], chosen), np.flatnonzero(pp["present"] & chosen[h])
    )
    # deaths: the j-th present person's draw against the table at their whole years (capped),
    # read from the table by month (bound below every probability: one draw per present person)
    table = np.sort(rng.random(111)) * 0.2
    u = rng.random(int(pp["present"].sum()))
    idx = np.flatnonzero(pp["present"])
    p_idx = table[np.minimum(pp["age_m"][idx] // 12, 110)]
    expected = idx[u < p_idx]
    no_cand = np.zeros(0, np.int64)
    np.testing.assert_array_equal(kernels.deaths(pp["present"], pp["age_m"], _by_month(table), -1.0, no_cand, np.zeros(0), u), expected)
    # thinned: below the bound a candidate j dies if its draw x bound falls below p; above it,
    # the r-th such person against the r-th of their own draws
    bound = float(table[60])
    above = p_idx > bound
    assert kernels.count_present_above(pp["present"], pp["age_m"], _by_month(table), bound) == (len(idx), int(above.sum()))
    cand = np.flatnonzero(rng.random(len(idx)) < 0.5)
    u_cand, u_rest = rng.random(len(cand)), rng.random(int(above.sum()))
    dies = np.zeros(len(idx), bool)
    dies[np.flatnonzero(above)] = u_rest < p_idx[above]
    young_cand = cand[~above[cand]]
    dies[young_cand] = u_cand[~above[cand]] * bound < p_idx[young_cand]
    got = kernels.deaths(pp["present"], pp["age_m"], _by_month(table), bound, cand, u_cand, u_rest)
    np.testing.assert_array_equal(got, idx[dies])
    # layoffs: a draw below the employer's rate (some rates zero); the laid off separated and
    # taken off their firm's count
    n_firms = 7
    status = np.full(n, EMPLOYED, np.int8)
    employer = rng.integers(0, n_firms, n).astype(np.int32)
    rate = np.where(rng.random(n_firms) < 0.4, 0.0, rng.random(n_firms))
    u = rng.random(n)
    workers = np.bincount(employer, minlength=n_firms).astype(np.float64)
    wage, unemp, welfare = np.ones(n, np.float32), np.ones(n, np.int16), rng.random(n) < 0.1
    person_employer = employer.copy()
    rows = np.arange(n)
    laid, laid_employer = kernels.layoffs(rows, employer, rate, rows, u, 1.0, workers, status, person_employer, wage, unemp,
                                          welfare, 1)
    expected = np.flatnonzero(u < rate[employer])
    np.testing.assert_array_equal(laid, expected)
    np.testing.assert_array_equal(laid_employer, employer[expected])
    np.testing.assert_array_equal(workers, np.bincount(employer, minlength=n_firms) - np.bincount(employer[expected], minlength=n_firms))
    assert (status[expected] == 1).all() and (person_employer[expected] == -1).all() and not welfare[expected].any()
    assert (wage[expected] == 0).all() and (unemp[expected] == 0).all()
    kept = np.setdiff1d(rows, expected)
    assert (status[kept] == EMPLOYED).all() and (person_employer[kept] == employer[kept]).all()
    # thinned layoffs: only the candidates, each laid off if its draw x the bound falls below the rate
    status = np.full(n, EMPLOYED, np.int8)
    person_employer = employer.copy()
    workers = np.bincount(employer, minlength=n_firms).astype(np.float64)
    rate, bound = rate * 0.7, 0.7
    cand = np.flatnonzero(rng.random(n) < 0.6)
    u = rng.random(len(cand))
    laid, laid_employer = kernels.layoffs(rows, employer, rate, cand, u, bound, workers, status, person_employer, wage,
                                          unemp, welfare, 1)
    expected = cand[u * bound < rate[employer[cand]]]
    np.testing.assert_array_equal(laid, expected)
    np.testing.assert_array_equal(laid_employer, employer[expected])
    np.testing.assert_array_equal(workers, np.bincount(employer, minlength=n_firms) - np.bincount(employer[expected], minlength=n_firms))
    assert (status[expected] == 1).all() and (status[np.setdiff1d(rows, expected)] == EMPLOYED).all()


@settings(max_examples=150, deadline=None)
@given(persons())
def test_household_sums_and_flags_equal_numpy(pp) -> None:
    h, nh, rng = pp["household"], pp["n_households"], pp["rng"]
    n = len(h)
    rows = np.flatnonzero(rng.random(n) < 0.6)
    w = rng.normal(size=len(rows)) * 1e3
    np.testing.assert_array_equal(
        kernels.household_sum(h, rows, w, nh), np.bincount(h[rows], weights=w, minlength=nh)
    )
    income = pp["rng"].normal(size=nh) * 1e3
    expected = income + np.bincount(h[rows], minlength=nh) * 0.37
    kernels.add_per_person(income, h, rows, 0.37)
    np.testing.assert_array_equal(income, expected)
    # net wages: a factor per employer row times a float32 wage, summed by household
    n_firms = 5
    employer = rng.integers(0, n_firms, len(rows)).astype(np.int32)
    factor = 1.0 - rng.random(n_firms) * 0.3
    wage = (rng.random(len(rows)) * 5000).astype(np.float32)
    np.testing.assert_array_equal(
        kernels.household_net_wages(h, rows, employer, factor, wage, nh),
        np.bincount(h[rows], weights=np.take(factor, employer) * wage.astype(np.float64), minlength=nh),
    )
    key = pp["key"]
    np.testing.assert_array_equal(
        kernels.households_where(h, rows, key, np.int8(3), nh), _flags(h[rows[key[rows] == 3]], nh)
    )
    np.testing.assert_array_equal(kernels.households_with(h, key, np.int8(3), nh), _flags(h[key == 3], nh))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_per_firm_sums_equal_numpy(n_classes: int, n_firms: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    count = rng.integers(0, 50, (n_classes, n_firms))
    by_class = rng.random((n_classes, n_firms)) * 1e4
    expected = count[0] * by_class[0]
    for k in range(1, n_classes):
        expected += count[k] * by_class[k]
    np.testing.assert_array_equal(kernels.per_firm(count, by_class), expected)


@settings(max_examples=150, deadline=None)
@given(persons())
def test_group_sums_first_entries_and_choices_equal_numpy(pp) -> None:
    h, nh, rng = pp["household"], pp["n_households"], pp["rng"]
    values = rng.normal(size=len(h))
    keep = rng.random(len(h)) < 0.7
    counts = rng.integers(0, 2**40, len(h)).astype(np.float64)  # whole numbers (their sum below 2**53)
    np.testing.assert_array_equal(kernels.whole_group_sum(h, counts, nh), np.bincount(h, weights=counts, minlength=nh))
    np.testing.assert_array_equal(
        kernels.sum_by_group(h, keep, values, nh), np.bincount(h[keep], weights=values[keep], minlength=nh)
    )
    # first entry of each household, as the welfare-jobs rule found it with minimum.at
    first = np.full(nh, len(h))
    np.minimum.at(first, h, np.arange(len(h)))
    is_first = np.zeros(len(h), bool)
    is_first[first[h]] = True
    np.testing.assert_array_equal(kernels.first_of_each_household(h, nh), np.flatnonzero(is_first))
    # sector choice: the count of cumulative shares below the draw, capped at the last sector
    n_types, n_sectors = 5, 7
    shares = rng.random((n_types, n_sectors))
    cum = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
    kind = rng.integers(0, n_types, len(h))
    u = rng.random(len(h))
    expected = np.zeros(len(h), np.intp)
    for s in range(n_sectors):
        expected += u > cum[kind, s]
    np.minimum(expected, n_sectors - 1, out=expected)
    # ... the seekers' fit and counts by sector (some in informal work), and who is hired
    fit_t = rng.random((n_types, n_sectors))
    status = pp["status"]
    rows = np.arange(len(h))
    choice, fit, seekers_s, fit_s = kernels.seeker_choices(cum, kind, u, fit_t, rows, status, 5, 0.6)
    np.testing.assert_array_equal(choice, expected)
    informal = status == 5
    want_fit = np.where(informal, fit_t[kind, expected] * 0.6, fit_t[kind, expected])
    np.testing.assert_array_equal(fit, want_fit)
    np.testing.assert_array_equal(seekers_s, np.bincount(expected, weights=np.where(informal, 0.6, 1.0), minlength=n_sectors))
    np.testing.assert_array_equal(fit_s, np.bincount(expected, weights=want_fit, minlength=n_sectors))
    if not informal.any():  # as the labour market counted them without informal seekers
        np.testing.assert_array_equal(seekers_s, np.bincount(expected, minlength=n_sectors).astype(float))
    rate = rng.random(n_sectors) * 3.0
    u2 = rng.random(len(h))
    hired = u2 < np.minimum(1.0, rate[expected] * want_fit)
    got_rows, got_sector = kernels.hires(rows, choice, fit, rate, u2)
    np.testing.assert_array_equal(got_rows, rows[hired])
    np.testing.assert_array_equal(got_sector, expected[hired])
    # ... and the seekers' types, those whose type searches kept
    exp_sector = rng.integers(-1, 3, len(h)).astype(np.int8)
    trained = rng.random(len(h)) < 0.3
    searches = rng.random(4 * 3 * 2) < 0.7
    want_kind = ((exp_sector.astype(np.intp) + 1) * 3 + pp["skill"]) * 2 + trained
    seekers = np.flatnonzero(rng.random(len(h)) < 0.5)
    got_rows, got_kind = kernels.seeker_types(seekers, exp_sector, pp["skill"], trained, 3, searches)
    keep = searches[want_kind[seekers]]
    np.testing.assert_array_equal(got_rows, seekers[keep])
    np.testing.assert_array_equal(got_kind, want_kind[seekers][keep])
    # persons employed by flagged firms (non-workers have employer -1)
    status = pp["status"]
    employer = np.where(status == EMPLOYED, rng.integers(0, 6, len(h)), -1).astype(np.int32)
    flagged = rng.random(6) < 0.5
    emp = np.flatnonzero(status == EMPLOYED)
    candidates = np.flatnonzero((status == EMPLOYED) | (rng.random(len(h)) < 0.3))  # the employed among others
    got = kernels.employed_by(candidates, status, employer, EMPLOYED, flagged)
    np.testing.assert_array_equal(got, emp[flagged[employer[emp]]])
    # a value per person from a table by cell, also written to the persons' array
    table = rng.random(30).astype(np.float32)
    cell = rng.integers(0, 30, len(emp))
    person_value = np.zeros(len(h), np.float32)
    got = kernels.take_and_set(table, cell, emp, person_value)
    np.testing.assert_array_equal(got, np.take(table, cell))
    expected_pv = np.zeros(len(h), np.float32)
    expected_pv[emp] = np.take(table, cell)
    np.testing.assert_array_equal(person_value, expected_pv)


def test_death_table_by_month_reads_the_year_of_age() -> None:
    from simulator.model.demography import (
        MAX_AGE_YEARS,
        death_table,
        death_table_by_month,
        gompertz_level,
    )

    level = gompertz_level(72.0, 0.085)
    by_month = death_table_by_month(level, 0.085)
    ages = np.arange(np.iinfo(np.int16).max + 1)
    np.testing.assert_array_equal(by_month[ages], death_table(level, 0.085)[np.minimum(ages // 12, MAX_AGE_YEARS)])


@settings(max_examples=150, deadline=None)
@given(persons())
def test_employment_cells_and_household_money_equal_numpy(pp) -> None:
    h, nh, rng = pp["household"], pp["n_households"], pp["rng"]
    n, n_firms, n_skills = len(h), 9, 3
    status = pp["status"]
    employer = np.where(status == EMPLOYED, rng.integers(0, n_firms, n), -1).astype(np.int32)
    welfare = (status == EMPLOYED) & (rng.random(n) < 0.2)
    rows = np.flatnonzero(status == EMPLOYED)
    n_classes = 2 * n_skills if welfare[rows].any() else n_skills
    emp, cell, count = kernels.employment_cells(rows, employer, pp["skill"], welfare, n_firms, n_classes, n_skills)
    expected_cell = (pp["skill"][rows] + np.int8(n_skills) * welfare[rows]) * np.int64(n_firms) + employer[rows]
    np.testing.assert_array_equal(emp, employer[rows])
    np.testing.assert_array_equal(cell, expected_cell)
    np.testing.assert_array_equal(count, np.bincount(expected_cell, minlength=n_classes * n_firms).reshape(n_classes, n_firms))
    # income shared in proportion to savings, added in place
    income = rng.random(nh) * 100
    weight = rng.random(nh) * 1e4
    expected = income + weight / weight.sum() * 12345.6 / 10
    kernels.add_shares(income, weight, weight.sum(), 12345.6, 10.0)
    np.testing.assert_array_equal(income, expected)
    # top-up to the line (some households above it, some absent)
    farming = rng.random(nh) < 0.5
    rural_line, urban_line = (200.0, 350.0) if rng.random() < 0.7 else (-0.0, 0.0)  # (zeros of both signs)
    line = np.where(farming, rural_line, urban_line)
    members = rng.integers(0, 6, nh).astype(np.int32)
    present = rng.random(nh) < 0.9
    income[: nh // 3] = rng.choice(np.array([0.0, -0.0, np.nan, 200.0, 350.0, 700.0]), nh // 3)  # zeros, NaN, at the line
    need = np.where(present, np.maximum(line * members - income, 0.0), 0.0)
    expected_income = income + need
    got, recipients = kernels.dibao_top_up(farming, rural_line, urban_line, members, income, present)
    _assert_same_signs(got, need)
    np.testing.assert_array_equal(got, need)
    np.testing.assert_array_equal(income, expected_income)
    assert recipients == int((need > 0).sum())
    np.testing.assert_array_equal(
        kernels.household_count_where(h, rows, pp["skill"], HIGH, nh),
        np.bincount(h[rows[pp["skill"][rows] == HIGH]], minlength=nh),
    )


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_consumption_and_pensions_equal_numpy(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    income_prev = rng.normal(size=n) * 2000  # some negative
    savings = np.abs(rng.normal(size=n)) * np.where(rng.random(n) < 0.2, 1.0, 1e4)  # some nearly broke
    present = rng.random(n) < 0.9
    mpc, share = 0.7, 0.01
    c = mpc * np.maximum(income_prev, 0.0) + share * savings
    c = np.minimum(np.where(present, c, 0.0), savings)
    expected_savings = savings - c
    got = kernels.consumption(income_prev, savings, present, mpc, share)
    np.testing.assert_array_equal(got, c)
    np.testing.assert_array_equal(savings, expected_savings)
    pension = np.where(rng.random(n) < 0.3, 0.0, rng.random(n) * 3000).astype(np.float32)
    rows = np.flatnonzero(rng.random(n) < 0.6)
    np.testing.assert_array_equal(
        kernels.pensions_paid(pension, rows, 123.4), np.where(pension[rows] > 0, pension[rows].astype(np.float64), 123.4)
    )


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_wage_offers_equal_numpy(nf: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_sectors, public_code = 7, 2
    wage_prem = rng.uniform(-0.35, 0.35, nf)
    vacancies = np.where(rng.random(nf) < 0.5, 0.0, rng.random(nf) * 4)
    profit = rng.normal(size=nf)
    sector = rng.integers(0, n_sectors, nf)
    ownership = rng.integers(0, 3, nf).astype(np.int8)
    workers = np.where(rng.random(nf) < 0.2, 0.0, rng.integers(1, 50, nf).astype(float))
    premium_sum = workers * rng.uniform(1.0, 2.0, nf)
    va = rng.uniform(500, 9000, nf)
    norm = rng.uniform(800, 3000, n_sectors)
    coverage = rng.random(n_sectors)
    adj, bound, share, ec, public_wage = 0.01, 0.3, 0.7, 0.2, 2500.0
    # the numpy expressions
    prem = np.clip(wage_prem + adj * (vacancies >= 1.0) - adj * (profit < 0), -bound, bound)
    mean_prem = np.divide(premium_sum, workers, out=np.ones(nf), where=workers > 0)
    cap = share * va / (mean_prem * (1.0 + ec * coverage[sector]))
    offer = np.minimum(norm[sector] * (1.0 + prem), cap)
    offer[ownership == public_code] = public_wage
    got_prem, got_offer = wage_prem.copy(), np.zeros(nf)
    kernels.wage_offers(got_prem, got_offer, vacancies, profit, adj, bound, norm, sector, premium_sum, workers,
                        share, va, ec, coverage, ownership, public_code, public_wage)
    np.testing.assert_array_equal(got_prem, prem)
    np.testing.assert_array_equal(got_offer, offer)


def _firm_accounts_numpy(a: dict) -> dict:
    """The firms' accounts as production computed them with numpy before the compiled loop."""
    sales, public, sector = a["sales"], a["public"], a["sector"]
    intermediates = np.where(a["mines"], a["mine_inputs"], sales * a["phi"][a["sector"]])
    intermediates = np.where(public, 0.0, intermediates)
    va = sales - intermediates
    use_bt = a["bt_sector"][sector] & (a["bt_rate"] > 0) & ~public
    business_tax = np.where(use_bt, a["bt_rate"] * sales, 0.0)
    vat = np.where(~use_bt & ~public, a["vat"][sector] * np.maximum(va, 0.0), 0.0)
    r_loan = np.where(a["ownership"] == 0, a["r_private"], a["r_loan"]) if a["r_private"] != a["r_loan"] else a["r_loan"]
    interest = a["debt"] * r_loan
    employer_contrib = a["ec"] * a["covered"]
    pre_tax = sales - intermediates - a["wage_bill"] - employer_contrib - business_tax - vat - a["res_tax"] - interest
    pre_tax = pre_tax - a["social"]
    env_tax = np.zeros(len(sales))
    if a["env_share"] > 0:
        env_tax = np.where(a["heavy"][sector] & a["alive"], a["env_share"] * sales, 0.0)
        pre_tax = pre_tax - env_tax
    subsidy = np.zeros(len(sales))
    if a["subsidy"] > 0:
        subsidy = np.where((sector == 3) & a["alive"], a["subsidy"] * a["workers"] * a["scale"], 0.0)
        pre_tax = pre_tax + subsidy
    eit = a["eit"][sector] * np.maximum(pre_tax, 0.0)
    after_tax = pre_tax - eit
    dividends = np.where((a["ownership"] == 0) & (after_tax > 0), a["payout"] * after_tax, 0.0)
    no_sales = a["ordinary"] & (sales <= 0)
    return {
        "out": (intermediates, va, business_tax, vat, interest, employer_contrib, env_tax, subsidy, eit, dividends),
        "cash": a["cash"] + (after_tax - dividends), "profit": after_tax,
        "loss_months": np.where((after_tax < 0) | no_sales, a["loss_months"] + 1, 0).astype(np.int16),
    }


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 40), st.integers(0, 2**32 - 1), st.booleans(), st.booleans(), st.booleans())
def test_firm_accounts_equal_numpy(nf: int, seed: int, env_on: bool, subsidy_on: bool, loan_cut: bool) -> None:
    rng = np.random.default_rng(seed)
    n_sectors = 7
    ownership = rng.integers(0, 3, nf).astype(np.int8)  # 0 private, 2 public here
    public = ownership == 2
    mines = ~public & (rng.random(nf) < 0.1)
    a = {
        "sales": np.where(rng.random(nf) < 0.1, 0.0, rng.uniform(0, 1e6, nf)), "mines": mines,
        "mine_inputs": rng.uniform(0, 5e5, nf), "phi": rng.uniform(0.2, 0.7, n_sectors), "public": public,
        "sector": rng.integers(0, n_sectors, nf), "ownership": ownership, "alive": rng.random(nf) < 0.95,
        "ordinary": ~public & ~mines, "bt_sector": rng.random(n_sectors) < 0.4, "bt_rate": 0.05,
        "vat": rng.uniform(0.06, 0.17, n_sectors), "eit": rng.uniform(0.15, 0.25, n_sectors),
        "res_tax": np.where(mines, rng.uniform(0, 1e4, nf), 0.0), "debt": rng.uniform(0, 1e6, nf),
        "r_loan": 0.005, "r_private": 0.003 if loan_cut else 0.005, "ec": 0.2,
        "covered": rng.uniform(0, 3e5, nf), "wage_bill": rng.uniform(0, 4e5, nf), "social": rng.uniform(0, 1e4, nf),
        "heavy": rng.random(n_sectors) < 0.3, "env_share": 0.02 if env_on else 0.0,
        "subsidy": 150.0 if subsidy_on else 0.0, "workers": rng.integers(0, 30, nf).astype(float), "scale": 10.0,
        "payout": 0.4, "cash": rng.normal(size=nf) * 1e5, "loss_months": rng.integers(0, 20, nf).astype(np.int16),
    }
    expected = _firm_accounts_numpy(a)
    cash, last_sales, profit, loss = a["cash"].copy(), np.zeros(nf), np.zeros(nf), a["loss_months"].copy()
    out = kernels.firm_accounts(
        a["sales"], mines, a["mine_inputs"], a["phi"], public, a["sector"], ownership, 0, a["alive"], a["ordinary"],
        a["bt_sector"], a["bt_rate"], a["vat"], a["eit"], a["res_tax"], a["debt"], a["r_loan"], a["r_private"], a["ec"],
        a["covered"], a["wage_bill"], a["social"], a["heavy"], a["env_share"], 3, a["subsidy"], a["workers"], a["scale"],
        a["payout"], cash, last_sales, profit, loss,
    )
    for got, want in zip(out, expected["out"], strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(cash, expected["cash"])
    np.testing.assert_array_equal(profit, expected["profit"])
    np.testing.assert_array_equal(last_sales, a["sales"])
    np.testing.assert_array_equal(loss, expected["loss_months"])


@settings(max_examples=150, deadline=None)
@given(persons())
def test_region_person_counts_equal_numpy(pp) -> None:
    h, nh, rng = pp["household"], pp["n_households"], pp["rng"]
    n_regions, n_sectors, n_firms = 4, 7, 6
    hh_region = rng.integers(0, n_regions, nh).astype(np.int16)
    status = pp["status"]
    employer = np.where(status == EMPLOYED, rng.integers(0, n_firms, len(h)), -1).astype(np.int32)
    firm_region = rng.integers(0, n_regions, n_firms).astype(np.int16)
    firm_sector = rng.integers(0, n_sectors, n_firms)
    counts, jobs = kernels.region_person_counts(
        pp["present"], h, hh_region, pp["age_m"], status, employer, firm_region, firm_sector,
        n_regions, n_sectors, 60, 15, 59, EMPLOYED, 1,
    )
    # the former numpy code of the regional table
    pres_rows = np.flatnonzero(pp["present"])
    reg = hh_region[h[pres_rows]]
    age_y = pp["age_m"][pres_rows] // 12
    st_ = status[pres_rows]

    def count(mask):
        return np.bincount(reg[mask], minlength=n_regions)

    np.testing.assert_array_equal(counts[kernels.REGION_POPULATION], np.bincount(reg, minlength=n_regions))
    np.testing.assert_array_equal(counts[kernels.REGION_OLD], count(age_y >= 60))
    np.testing.assert_array_equal(counts[kernels.REGION_WORKING_AGE], count((age_y >= 15) & (age_y <= 59)))
    np.testing.assert_array_equal(counts[kernels.REGION_EMPLOYED], count(st_ == EMPLOYED))
    np.testing.assert_array_equal(counts[kernels.REGION_UNEMPLOYED], count(st_ == 1))
    firm = employer[pres_rows[st_ == EMPLOYED]]
    expected_jobs = np.bincount(firm_region[firm].astype(np.intp) * n_sectors + firm_sector[firm], minlength=n_regions * n_sectors)
    np.testing.assert_array_equal(jobs, expected_jobs)


@settings(max_examples=150, deadline=None)
@given(persons())
def test_city_person_counts_equal_numpy(pp) -> None:
    rng = pp["rng"]
    n, n_sectors, n_firms, public = len(pp["household"]), 7, 6, 2
    status, pres, age_y = pp["status"], pp["present"], pp["age_m"] // 12
    employer = np.where(status == EMPLOYED, rng.integers(0, n_firms, n), -1).astype(np.int32)
    welfare = (status == EMPLOYED) & (rng.random(n) < 0.2)
    firm_sector = rng.integers(0, n_sectors, n_firms)
    firm_ownership = rng.integers(0, 3, n_firms).astype(np.int8)
    heavy_sector = rng.random(n_sectors) < 0.4
    exp = pp["key"]  # -1 (none) or a sector
    c, by_sector = kernels.city_person_counts(
        pres, pp["age_m"], status, employer, exp, welfare, firm_sector, firm_ownership, n_sectors,
        60, 15, 59, EMPLOYED, 1, 4, public, heavy_sector,
    )
    # the former numpy code of the city's year row (absent persons hold no status here: mask them)
    emp = pres & (status == EMPLOYED)
    emp_rows = np.flatnonzero(emp)
    heavy = np.isin(exp, np.flatnonzero(heavy_sector))
    expected = {
        kernels.CITY_POPULATION: pres.sum(),
        kernels.CITY_WORKING_AGE: (pres & (age_y >= 15) & (age_y <= 59)).sum(),
        kernels.CITY_OLD: (pres & (age_y >= 60)).sum(),
        kernels.CITY_EMPLOYED: emp.sum(),
        kernels.CITY_PUBLIC_EMPLOYED: (firm_ownership[employer[emp_rows]] == public).sum(),
        kernels.CITY_UNEMPLOYED: (pres & (status == 1)).sum(),
        kernels.CITY_RETIRED: (pres & (status == 4)).sum(),
        kernels.CITY_UNEMPLOYED_FORMER_HEAVY: (pres & (status == 1) & heavy).sum(),
        kernels.CITY_WELFARE_JOBS: (emp & welfare).sum(),
    }
    for k, v in expected.items():
        assert c[k] == v
    np.testing.assert_array_equal(by_sector, np.bincount(firm_sector[employer[emp_rows]], minlength=n_sectors))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_ordinary_sector_sums_equal_numpy(nf: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_sectors = 7
    sector = rng.integers(0, n_sectors, nf)
    ordinary = rng.random(nf) < 0.8
    sales, profit = rng.uniform(0, 1e5, nf), rng.normal(size=nf) * 1e4
    got = kernels.ordinary_sector_sums(sector, ordinary, sales, profit, n_sectors)
    expected = [np.bincount(sector, weights=np.where(ordinary, x, 0.0), minlength=n_sectors) for x in (sales, profit)]
    expected.append(np.bincount(sector, weights=ordinary.astype(float), minlength=n_sectors))
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


@settings(max_examples=150, deadline=None)
@given(persons())
def test_quits_equal_numpy(pp) -> None:
    rng = pp["rng"]
    n, n_firms = len(pp["household"]), 6
    status = pp["status"].copy()
    employer = np.where(status == EMPLOYED, rng.integers(0, n_firms, n), -1).astype(np.int32)
    welfare = (status == EMPLOYED) & (rng.random(n) < 0.2)
    wage = np.where(status == EMPLOYED, rng.uniform(500, 5000, n), 0.0).astype(np.float32)
    unemp = rng.integers(0, 10, n).astype(np.int16)
    rows = np.flatnonzero(status == EMPLOYED)
    u = rng.random(len(rows))
    # the former numpy code: quitters separated, then the stayers split by welfare job
    e_status, e_employer, e_welfare, e_wage, e_unemp = status.copy(), employer.copy(), welfare.copy(), wage.copy(), unemp.copy()
    quit = u < 0.1
    q = rows[quit]
    e_status[q], e_employer[q], e_wage[q], e_unemp[q], e_welfare[q] = 1, -1, 0.0, 0, False
    w = e_welfare[rows]
    e_welfare_held = np.bincount(e_employer[rows[w]], minlength=n_firms).astype(np.float64)
    stay = rows[~(quit | w)]
    e_L = np.bincount(e_employer[stay], minlength=n_firms).astype(np.float64)
    got = kernels.quits(rows, np.flatnonzero(quit), welfare, employer, status, wage, unemp, 1, n_firms)
    for g, e in zip(got, (stay, e_employer[stay], e_L, e_welfare_held), strict=True):
        np.testing.assert_array_equal(g, e)
    for g, e in ((status, e_status), (employer, e_employer), (welfare, e_welfare), (wage, e_wage), (unemp, e_unemp)):
        np.testing.assert_array_equal(g, e)


def _match_local_first_numpy(hire_regions, slot_regions, commuting):
    """The former numpy code of ``regions.match_local_first`` (sorts and masks)."""
    nh, ns = len(hire_regions), len(slot_regions)
    k = min(nh, ns)
    R = len(commuting)
    h_order = np.argsort(hire_regions, kind="stable")
    s_order = np.argsort(slot_regions, kind="stable")
    h_count = np.bincount(hire_regions, minlength=R)
    s_count = np.bincount(slot_regions, minlength=R)
    local = np.minimum(h_count, s_count)
    h_rank = np.arange(nh) - np.repeat(np.cumsum(h_count) - h_count, h_count)
    s_rank = np.arange(ns) - np.repeat(np.cumsum(s_count) - s_count, s_count)
    h_is_local = h_rank < np.repeat(local, h_count)
    s_is_local = s_rank < np.repeat(local, s_count)
    hl, sl = h_order[h_is_local], s_order[s_is_local]
    h_left = np.zeros(nh, bool)
    h_left[h_order[~h_is_local]] = True
    s_left = np.zeros(ns, bool)
    s_left[s_order[~s_is_local]] = True
    rest_h = np.flatnonzero(h_left & commuting[hire_regions])
    rest_s = np.flatnonzero(s_left & commuting[slot_regions])
    m = min(len(rest_h), len(rest_s), k - len(hl))
    return np.concatenate((hl, rest_h[:m])), np.concatenate((sl, rest_s[:m]))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 7), st.integers(0, 40), st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_match_local_first_equals_numpy(n_regions: int, nh: int, ns: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    hires = rng.integers(0, n_regions, nh).astype(np.int16)
    slots = rng.integers(0, n_regions, ns).astype(np.int16)
    commuting = rng.random(n_regions) < 0.5
    got = kernels.match_local_first(hires, slots, commuting)
    for g, e in zip(got, _match_local_first_numpy(hires, slots, commuting), strict=True):
        np.testing.assert_array_equal(g, e)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_settle_cash_equals_numpy(nf: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cash = rng.normal(0.0, 1e5, nf)
    cash[rng.random(nf) < 0.2] = 0.0  # rows with no cash at all (signed zeros)
    debt = np.where(rng.random(nf) < 0.5, rng.uniform(0, 2e5, nf), 0.0)
    labour_cost = np.where(rng.random(nf) < 0.8, rng.uniform(0, 5e4, nf), 0.0)
    e_cash, e_debt = cash.copy(), debt.copy()
    short = np.maximum(-e_cash, 0.0)
    e_cash += short
    e_debt += short
    repay = np.minimum(e_debt, np.maximum(e_cash - 2.0 * labour_cost, 0.0))
    e_cash -= repay
    e_debt -= repay
    got_short, got_repay = kernels.settle_cash(cash, debt, labour_cost, 2.0)
    for g, e in ((got_short, short), (got_repay, repay), (cash, e_cash), (debt, e_debt)):
        np.testing.assert_array_equal(g, e)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 40), st.integers(0, 2**32 - 1), st.booleans())
def test_staffing_targets_and_public_cost_equal_numpy(nf: int, seed: int, odd: bool) -> None:
    """The staffing targets as production computed them with numpy (the land-bound rows' path
    among them); ``odd``: zeros of both signs, NaN and infinities among the values."""
    rng = np.random.default_rng(seed)
    n_sectors, scale = 7, 3.0
    sector = rng.integers(0, n_sectors, nf)
    ordinary, public, alive = rng.random(nf) < 0.7, rng.random(nf) < 0.2, rng.random(nf) < 0.9
    capital = rng.uniform(0, 1e7, nf)
    kpw = rng.uniform(1e4, 1e6, n_sectors)
    ratio = rng.uniform(0.5, 1.5, n_sectors)
    target = rng.uniform(0, 50, nf)
    land_bound = rng.random(n_sectors) < 0.4
    release = np.where(land_bound, rng.uniform(0, 0.01, n_sectors), 0.0)
    if odd:
        capital, target, ratio = _odd(rng, capital), _odd(rng, target), _odd(rng, ratio)
    with np.errstate(invalid="ignore", divide="ignore"):
        land = np.flatnonzero(ordinary & land_bound[sector])
        land_path = target[land]
        cap_limit = capital / (kpw[sector] * scale)
        desired = cap_limit * np.minimum(ratio[sector], 1.0)
        expected_target = np.where(ordinary, desired, target)
        expected_target[land] = np.minimum(land_path * (1.0 - release[sector[land]]), expected_target[land])
    kernels.staffing_targets(ordinary, sector, capital, kpw, scale, ratio, target, land_bound, release)
    np.testing.assert_array_equal(target, expected_target)
    _assert_same_signs(target, expected_target)

    coverage = rng.uniform(0, 1, n_sectors)
    wage_bill = np.where(rng.random(nf) < 0.8, rng.uniform(0, 1e5, nf), 0.0)
    sales = rng.uniform(0, 1e6, nf)
    covered = np.where(public, wage_bill, wage_bill * coverage[sector])
    public_cost = np.where(public & alive, wage_bill + 0.2 * covered, 0.0)
    expected_sales = np.where(public, public_cost, sales)
    got = kernels.covered_and_public_cost(public, alive, sector, coverage, wage_bill, 0.2, sales)
    for g, e in zip((*got, sales), (covered, public_cost, expected_sales), strict=True):
        np.testing.assert_array_equal(g, e)


@settings(max_examples=150, deadline=None)
@given(persons())
def test_pool_wages_equal_the_numpy_masks(pp) -> None:
    """The farm and non-farm pools of migration: counts, and the employed's wages in row order
    (whose mean is then numpy's, to the last bit)."""
    rng = pp["rng"]
    n = len(pp["household"])
    status, exp_sector = pp["status"], pp["key"]
    wage = rng.uniform(0, 5000, n).astype(np.float32)
    agri, unemployed, informal = 3, 1, 5
    n_emp, n_seek, wages = kernels.pool_wages(status, exp_sector, wage, agri, EMPLOYED, unemployed, informal)
    for farm in (0, 1):
        pool = (exp_sector == agri) if farm else (exp_sector != agri)
        employed = (status == EMPLOYED) & pool
        seeking = ((status == unemployed) | (status == informal)) & pool
        assert n_emp[farm] == employed.sum() and n_seek[farm] == seeking.sum()
        np.testing.assert_array_equal(wages[farm, : n_emp[farm]], wage[employed].astype(np.float64))
        if employed.any():
            assert wages[farm, : n_emp[farm]].mean() == wage[employed].astype(np.float64).mean()


@settings(max_examples=150, deadline=None)
@given(persons())
def test_demography_rows_equal_the_numpy_masks(pp) -> None:
    status, age, present = pp["status"], pp["age_m"], pp["present"]
    active = np.array([2, 1, 3, 5], np.int8)
    child, student = 0, 4
    old, starting, students = kernels.demography_rows(present, status, age, 50 * 12, 6 * 12, active, child, student)
    np.testing.assert_array_equal(old, np.flatnonzero(present & np.isin(status, active) & (age >= 50 * 12)))
    np.testing.assert_array_equal(starting, np.flatnonzero((status == child) & (age >= 6 * 12)))
    np.testing.assert_array_equal(students, np.flatnonzero(status == student))


@settings(max_examples=100, deadline=None)
@given(persons())
def test_rows_of_two_statuses_equal_the_numpy_masks(pp) -> None:
    status = pp["status"]
    either, rows_a, rows_b = kernels.rows_of_two(status, 1, 5, True)
    np.testing.assert_array_equal(either, np.flatnonzero((status == 1) | (status == 5)))
    np.testing.assert_array_equal(rows_a, np.flatnonzero(status == 1))
    np.testing.assert_array_equal(rows_b, np.flatnonzero(status == 5))
    none, rows_a, rows_b = kernels.rows_of_two(status, 1, 5, False)
    assert len(none) == 0
    np.testing.assert_array_equal(rows_a, np.flatnonzero(status == 1))
    np.testing.assert_array_equal(rows_b, np.flatnonzero(status == 5))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 3000), st.integers(0, 2**32 - 1), st.sampled_from(["spread", "ties", "tiny"]))
def test_argsort_nonnegative_is_the_stable_argsort(n: int, seed: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    if kind == "spread":
        v = rng.lognormal(7, 3, n)
    elif kind == "ties":
        v = rng.integers(0, 5, n).astype(float)
    else:  # zeros, subnormals, huge values
        v = rng.choice(np.array([0.0, 5e-324, 1e-300, 1.0, 1e300]), n)
    np.testing.assert_array_equal(kernels.argsort_nonnegative(v), np.argsort(v, kind="stable"))


def _whole_by_sorting(t: np.ndarray, group: np.ndarray, workers: np.ndarray, n_groups: int) -> np.ndarray:
    """The apportionment as the labour market computed it before the compiled loop: a full sort of
    the rows by (group, not eligible, not incumbent, -fractional part, row)."""
    base = np.floor(t)
    with np.errstate(invalid="ignore"):  # an infinite target: NaN fractional part, never eligible
        frac = t - base
    extras = np.floor(np.bincount(group, weights=frac, minlength=n_groups) + 0.5)
    eligible = frac > 0.0
    incumbent = eligible & (workers > base)
    order = np.lexsort((np.arange(len(t)), -frac, ~incumbent, ~eligible, group))
    g_sorted = group[order]
    rank = np.arange(len(t)) - np.searchsorted(g_sorted, g_sorted, side="left")
    chosen = (rank < extras[g_sorted]) & eligible[order]
    whole = base.copy()
    whole[order[chosen]] += 1.0
    return whole


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 3000), st.integers(1, 6), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.5, 1.0]), st.booleans()
)
def test_apportion_whole_equals_the_sorted_apportionment(n, n_groups, seed, tie_share, in_runs) -> None:
    """Same whole targets, bit for bit, as the full sort, with many ties of fractional parts
    (targets on a coarse grid, so that many fall in one bucket of the selection), whole targets,
    zeros (dead rows) and incumbents; the groups' rows interleaved or in runs (``in_runs``)."""
    rng = np.random.default_rng(seed)
    coarse = np.round(rng.random(n) * 8.0 * 4.0) / 4.0  # quarters: fractional parts tie often
    fine = rng.random(n) * 8.0
    target = np.where(rng.random(n) < tie_share, coarse, fine)
    target[rng.random(n) < 0.1] = 0.0
    odd = rng.random(n) < 0.03  # never in the model: negative, tiny negative (a fractional part of 1), NaN, inf
    target[odd] = rng.choice(np.array([-2.6, -1e-20, -0.0, np.nan, np.inf, -np.inf]), int(odd.sum()))
    n_sectors = max(n_groups // 2, 1)
    sector = rng.integers(0, n_sectors, n)
    ownership = rng.integers(0, 3, n).astype(np.int8)  # 2: apart (public units)
    if in_runs:
        sector, ownership = np.sort(sector), np.where(rng.random(n) < 0.95, 0, ownership).astype(np.int8)
    alive = rng.random(n) < 0.9
    in_sector = rng.random(n_sectors) < 0.8
    held = np.floor(target) + (rng.random(n) < 0.4)
    held[rng.random(n) < 0.05] = np.nan  # (never in the model: whole counts; not an incumbent)
    # rows appended since have no workers yet (a longer list: the rows past the targets ignored)
    held = np.r_[held, np.ones(3)][: rng.integers(0, n + 4)]
    # the targets, groups and workers the kernel reads
    t = np.where(alive & in_sector[sector], target, 0.0)
    group = sector + n_sectors * (ownership == 2)
    workers = np.zeros(n)
    workers[: min(len(held), n)] = held[:n]
    got = kernels.apportion_whole(target, alive & in_sector[sector], sector, ownership, 2, n_sectors, held)
    want = _whole_by_sorting(t, group, workers, 2 * n_sectors)
    np.testing.assert_array_equal(got, want)



def _assert_same_signs(got: np.ndarray, want: np.ndarray) -> None:
    """The same sign bits (zeros of both signs told apart), where ``want`` is not NaN: a NaN's sign
    is not fixed by IEEE arithmetic, nor by the compilers."""
    keep = ~np.isnan(want)
    np.testing.assert_array_equal(np.signbit(got[keep]), np.signbit(want[keep]))

def _odd(rng: np.random.Generator, x: np.ndarray, share: float = 0.3) -> np.ndarray:
    """``x`` with about ``share`` of its entries replaced by 0, -0.0, NaN, inf or -inf."""
    odd = rng.choice(np.array([0.0, -0.0, np.nan, np.inf, -np.inf]), len(x))
    return np.where(rng.random(len(x)) < share, odd, x)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 40), st.integers(0, 2**32 - 1), st.booleans(), st.booleans(), st.booleans())
def test_firm_capacity_and_sales_equal_numpy(nf: int, seed: int, first_month: bool, soe_scaled: bool, odd: bool) -> None:
    """Capacity, local inputs, full-staffing capacity, value added per worker and sales of the firm
    rows, as production computed them with numpy before the compiled loops; ``odd``: with zeros of
    both signs, NaN and infinities among the values and divisors (a division by zero gives inf or
    NaN, as in numpy)."""
    rng = np.random.default_rng(seed)
    n_sectors, scale, public_code, soe_code = 7, 3.0, 2, 1
    sector = rng.integers(0, n_sectors, nf)
    ownership = rng.integers(0, 3, nf).astype(np.int8)
    alive, is_mine = rng.random(nf) < 0.9, rng.random(nf) < 0.1
    productivity = rng.lognormal(0, 0.3, nf)
    factor = 1.2 if soe_scaled else 1.0
    out_s, share_s = rng.uniform(1e3, 1e4, n_sectors), rng.uniform(0.3, 0.9, n_sectors)
    workers = np.where(rng.random(nf) < 0.2, 0.0, rng.integers(0, 9, nf).astype(float))
    capital, kpw = rng.uniform(0, 1e7, nf), rng.uniform(1e4, 1e6, n_sectors)
    local_s, last_sales = rng.uniform(0, 0.1, n_sectors), rng.uniform(0, 1e6, nf)
    if odd:
        productivity, workers, capital, last_sales = (_odd(rng, x) for x in (productivity, workers, capital, last_sales))
        out_s, share_s, kpw, local_s = (_odd(rng, x, 0.2) for x in (out_s, share_s, kpw, local_s))
    with np.errstate(all="ignore"):
        _check_firm_capacity_and_sales(rng, nf, n_sectors, scale, public_code, soe_code, sector, ownership, alive, is_mine,
                                       productivity, factor, out_s, share_s, workers, capital, kpw, local_s, last_sales,
                                       first_month, odd)


def _check_firm_capacity_and_sales(rng, nf, n_sectors, scale, public_code, soe_code, sector, ownership, alive, is_mine,
                                   productivity, factor, out_s, share_s, workers, capital, kpw, local_s, last_sales,
                                   first_month, odd) -> None:
    # the numpy expressions
    ordinary = alive & ~is_mine & (ownership != public_code)
    a = out_s[sector] * productivity
    if factor != 1.0:
        a = a * np.where(ownership == soe_code, factor, 1.0)
    go = a / share_s[sector]
    cap = np.where(ordinary, go * workers * scale, 0.0)
    cap_s = np.bincount(sector, weights=cap, minlength=n_sectors)
    local = np.where(ordinary, local_s[sector] * (cap if first_month else last_sales), 0.0)
    full_s = np.bincount(sector, weights=np.where(ordinary, go * capital / kpw[sector], 0.0), minlength=n_sectors)
    got = kernels.firm_capacity(alive, is_mine, ownership, public_code, sector, productivity, soe_code, factor, out_s,
                                share_s, workers, scale, capital, kpw, local_s, last_sales, first_month, n_sectors)
    for g, e in zip(got, (ordinary, cap, cap_s, local, full_s), strict=True):
        np.testing.assert_array_equal(g, e)
    input_s = rng.uniform(0.2, 0.7, n_sectors)
    np.testing.assert_array_equal(
        kernels.firm_value_added_per_worker(sector, productivity, ownership, soe_code, factor, out_s, share_s, input_s),
        go * (1.0 - input_s[sector]),
    )

    sold_s = np.where(rng.random(n_sectors) < 0.2, 0.0, rng.uniform(0, 1e7, n_sectors))
    if odd:
        sold_s = _odd(rng, sold_s, 0.2)
    mines = is_mine & alive
    coal_sales = np.where(mines, rng.uniform(0, 1e6, nf), 0.0)
    share = np.divide(cap, cap_s[sector], out=np.zeros(nf), where=cap_s[sector] > 0)
    expected = np.where(mines, coal_sales, sold_s[sector] * share)
    np.testing.assert_array_equal(kernels.firm_sales(sector, cap, cap_s, sold_s, mines, coal_sales), expected)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 40), st.integers(1, 4), st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
def test_value_added_sums_equal_numpy(nf: int, n_regions: int, seed: int, coal_priced: bool, odd: bool) -> None:
    """Value added by region and sector, and at start-year prices by sector, as production computed
    them with numpy before the compiled loop (rows both public and mines too: the mines' deflator
    first; ``odd``: zeros of both signs, NaN and infinities among the values and prices)."""
    rng = np.random.default_rng(seed)
    n_sectors = 7
    sector = rng.integers(0, n_sectors, nf)
    region = rng.integers(0, n_regions, nf).astype(np.int16)
    public = rng.random(nf) < 0.2
    mines = rng.random(nf) < 0.1
    va, sales = rng.normal(0, 1e5, nf), rng.uniform(0, 1e6, nf)
    phi, price, va_price = rng.uniform(0.2, 0.7, n_sectors), rng.uniform(0.8, 1.5, n_sectors), rng.uniform(0.8, 1.5, n_sectors)
    if odd:
        va, sales = _odd(rng, va), _odd(rng, sales)
        phi, price, va_price = (_odd(rng, x, 0.2) for x in (phi, price, va_price))
    deflator = rng.choice([1.3, 0.0, 5e-324]) if coal_priced else 1.0
    # the numpy expressions (as real_value_added computed them)
    with np.errstate(all="ignore"):
        cell = sector if n_regions == 1 else region.astype(np.intp) * n_sectors + sector
        by_cell = np.bincount(cell, weights=va, minlength=n_regions * n_sectors).reshape(n_regions, n_sectors)
        real = (1.0 - phi[sector]) * sales / price[sector]
        real = np.where(public, va / va_price[sector], real)
        if mines.any() and coal_priced:
            real = np.where(mines, va / deflator, real)
        real_s = np.bincount(sector, weights=real, minlength=n_sectors)
    got = kernels.value_added_sums(va, sales, sector, region, public, mines, phi, price, va_price, coal_priced, deflator,
                                   n_regions, n_sectors)
    np.testing.assert_array_equal(got[0], by_cell)
    np.testing.assert_array_equal(got[1], real_s)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.integers(0, 2**32 - 1))
def test_housing_costs_equal_numpy(nh: int, seed: int) -> None:
    """The rehoused households' extra cost out of savings, zeros of either sign and NaN included."""
    rng = np.random.default_rng(seed)
    housing = rng.integers(0, 4, nh).astype(np.int8)
    savings = rng.choice(np.array([0.0, -0.0, 50.0, 120.0, -30.0, np.nan, 1e5]), nh)
    extra = float(rng.choice([0.0, -0.0, 100.0]))
    cost = np.minimum(np.where(housing == 3, extra, 0.0), savings)
    expected = savings - cost
    got = kernels.housing_costs(housing, 3, extra, savings)
    np.testing.assert_array_equal(got, cost)
    _assert_same_signs(got, cost)
    np.testing.assert_array_equal(savings, expected)
    _assert_same_signs(savings, expected)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 50), st.integers(0, 2**32 - 1), st.booleans())
def test_firm_exits_equal_numpy(nf: int, seed: int, hard: bool) -> None:
    """The mines closing and the ordinary rows exiting, as firm_dynamics selected them with numpy
    (state rows at the hard budget limit when ``hard``)."""
    rng = np.random.default_rng(seed)
    n_sectors, soe_code, public_code = 7, 1, 2
    alive, is_mine = rng.random(nf) < 0.9, rng.random(nf) < 0.15
    ownership = rng.integers(0, 3, nf).astype(np.int8)
    sector = rng.integers(0, n_sectors, nf)
    loss = rng.integers(0, 30, nf).astype(np.int16)
    reserves = np.where(rng.random(nf) < 0.2, 10.0, 1e6)
    priv, soe_s = rng.integers(6, 20, n_sectors).astype(float), rng.integers(12, 30, n_sectors).astype(float)
    soe_mine, priv_mine = (9.0 if hard else 24.0), 12.0
    soe_limit = np.full(n_sectors, 9.0) if hard else soe_s
    # the numpy expressions
    soe = ownership == soe_code
    mines = is_mine & alive
    close_mine = mines & ((reserves < 100.0) | (loss >= np.where(soe, soe_mine, priv_mine)))
    ordinary = alive & ~is_mine & (ownership != public_code)
    exiting = ordinary & (loss >= np.where(soe, soe_limit[sector], priv[sector]))
    gone, out, closing = kernels.firm_exits(alive, is_mine, ownership, sector, loss, reserves, 100.0, soe_code, public_code,
                                            soe_mine, priv_mine, soe_limit, priv)
    np.testing.assert_array_equal(gone, np.flatnonzero(close_mine | exiting))
    np.testing.assert_array_equal(out, np.flatnonzero(exiting))
    assert closing == int(close_mine.sum())


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 50), st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
def test_own_investment_and_invest_equal_numpy(nf: int, seed: int, first_month: bool, odd: bool) -> None:
    """Depreciation, ageing and the firm rows' planned investment, then their investment, as
    firm_dynamics computed them with numpy (``odd``: zeros of both signs, NaN and infinities)."""
    rng = np.random.default_rng(seed)
    public_code = 2
    alive, is_mine = rng.random(nf) < 0.9, rng.random(nf) < 0.1
    ownership = rng.integers(0, 3, nf).astype(np.int8)
    capital, profit, cash = rng.uniform(0, 1e7, nf), rng.normal(0, 1e5, nf), rng.normal(1e5, 2e5, nf)
    if odd:
        capital, profit, cash = _odd(rng, capital), _odd(rng, profit), _odd(rng, cash)
    age = rng.integers(0, 500, nf).astype(np.int32)
    kept, dep, share = 1.0 - 0.08 / 12.0, 0.08 / 12.0, 0.35
    # the numpy expressions
    with np.errstate(all="ignore"):
        want_capital = capital * kept
        ordinary = alive & ~is_mine & (ownership != public_code)
        if first_month:
            own = np.where(ordinary, dep * want_capital, 0.0)
        else:
            own = np.where(ordinary, share * np.maximum(profit, 0.0), 0.0)
        own = np.minimum(own, np.maximum(cash, 0.0))
        got_capital, got_age = capital.copy(), age.copy()
        got_ordinary, got_own = kernels.own_investment(got_capital, got_age, alive, is_mine, ownership, public_code,
                                                       profit, cash, kept, first_month, dep, share)
        np.testing.assert_array_equal(got_capital, want_capital)
        np.testing.assert_array_equal(got_age, age + 1)
        np.testing.assert_array_equal(got_ordinary, ordinary)
        np.testing.assert_array_equal(got_own, own)
        _assert_same_signs(got_own, own)
        topup = np.where(rng.random(nf) < 0.3, rng.uniform(0, 1e4, nf), 0.0)
        want_cash, invest = cash - own, own + topup
        want_capital = want_capital + invest
        got_cash = cash.copy()
        got = kernels.invest(got_cash, got_capital, got_own, topup)
    np.testing.assert_array_equal(got, invest)
    np.testing.assert_array_equal(got_cash, want_cash)
    np.testing.assert_array_equal(got_capital, want_capital)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.integers(0, 2**32 - 1), st.booleans(), st.booleans(), st.booleans())
def test_layoff_rates_and_vacancies_equal_numpy(nf: int, seed: int, programme: bool, odd: bool, in_runs: bool) -> None:
    """The firm rows' layoff rates and open posts (with their sums by sector), as the labour market
    computed them with numpy before the compiled loops; ``odd``: zeros of both signs, NaN and
    infinities among the workers and targets."""
    rng = np.random.default_rng(seed)
    n_sectors, private, soe = 7, 0, 1
    workers = np.floor(rng.random(nf) * 6.0)
    target = np.floor(rng.random(nf) * 6.0) + (rng.random(nf) < 0.5) * rng.random(nf)
    if odd:
        workers, target = _odd(rng, workers), _odd(rng, target)
    ownership = rng.integers(0, 3, nf).astype(np.int8)
    sector = np.sort(rng.integers(0, n_sectors, nf)) if in_runs else rng.integers(0, n_sectors, nf)
    alive = rng.random(nf) < 0.9
    s_private, s_state, s_programme = 0.1, 0.05, 0.3
    # the numpy of the labour market
    with np.errstate(invalid="ignore"):
        excess = np.maximum(workers - target, 0.0)
        share = np.where(ownership != private, s_state, s_private)
        if programme:
            share = np.where(ownership == soe, s_programme, share)
        want = np.divide(excess * share, workers, out=np.zeros(nf), where=workers > 0)
        vac_want = np.where(alive, np.maximum(target - workers, 0.0), 0.0)
    got = kernels.layoff_rates(workers, target, ownership, private, soe, s_private, s_state, programme, s_programme)
    np.testing.assert_array_equal(got, want)
    _assert_same_signs(got, want)
    vac, by_sector = kernels.vacancies(target, workers, alive, sector, n_sectors)
    np.testing.assert_array_equal(vac, vac_want)
    _assert_same_signs(vac, vac_want)
    np.testing.assert_array_equal(by_sector, np.bincount(sector, weights=vac_want, minlength=n_sectors))
