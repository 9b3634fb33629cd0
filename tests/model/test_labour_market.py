"""Labour market: fit weights, layoffs toward target, matching within vacancies, wages."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.model import labour_market
from simulator.model.labour_market import employees, fit_weights
from simulator.model.sectors import (
    COAL,
    EMPLOYED,
    INACTIVE,
    MANUF,
    N_SECTORS,
    NEW,
    PRIVATE,
    PUBLIC,
    SECTOR_NAMES,
    SEEKING,
    SKILL_NAMES,
    SOE,
    UNEMPLOYED,
)

QUIET = (  # no quits, no discouraged exits: only the rule under test moves people
    "labour.quit_rate_per_month=0",
    "labour.discouraged_exit_rate_per_month_age_50_plus=0",
)


def test_fit_weights(tiny_model) -> None:
    m = tiny_model
    penalty = m.scenario.labour.sector_mismatch_penalty
    assert 0 < penalty < 1
    min_skill = np.array([SKILL_NAMES.index(c.min_skill) for c in m.sector_cfg])
    assert min_skill[NEW] > 0 and min_skill[COAL] == 0  # the tiny city's sectors

    exp = np.array([-1, COAL, COAL, MANUF], np.int8)
    skill = np.array([0, 0, 2, 1], np.int8)
    w = fit_weights(m, exp, skill)
    assert w.shape == (4, N_SECTORS)
    for i in range(4):
        for s in range(N_SECTORS):
            if skill[i] < min_skill[s]:
                expected = 0.0
            elif exp[i] < 0 or exp[i] == s:
                expected = 1.0
            else:
                expected = 1.0 - penalty
            assert w[i, s] == pytest.approx(expected), (i, SECTOR_NAMES[s])
    assert w[1, COAL] == 1.0 and w[1, MANUF] == pytest.approx(1 - penalty) and w[1, NEW] == 0.0
    assert w[2, NEW] == pytest.approx(1 - penalty)  # high skill, experienced elsewhere


def _halve_targets(m) -> tuple[np.ndarray, np.ndarray]:
    f = m.firms
    L = employees(m)
    target = np.floor(L / 2)
    f.target[: f.n] = np.where(f.alive[: f.n], target, f.target[: f.n])
    return L, target


@pytest.mark.parametrize(("private_share", "soe_share"), [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0)])
def test_layoff_shares_by_ownership(load_tiny, build_model, private_share, soe_share) -> None:
    sc = load_tiny(
        *QUIET,
        f"labour.layoff_share_of_excess_per_month_private={private_share}",
        f"labour.layoff_share_of_excess_per_month_soe={soe_share}",
        "labour.matching_efficiency_per_month=1e-12",  # nobody is hired back
    )
    m = build_model(sc)
    f = m.firms
    soe = f.ownership[: f.n] != PRIVATE  # state-owned firms and public units
    assert (f.ownership[: f.n] == SOE).any() and (~soe).any()
    L0, target = _halve_targets(m)
    labour_market.step(m)
    L1 = employees(m)
    assert np.all(L1 <= L0)
    for mask, share in ((soe, soe_share), (~soe, private_share)):
        excess = float(np.maximum(L0 - target, 0)[mask].sum())
        laid = float((L0 - L1)[mask].sum())
        assert excess > 0
        if share == 0.0:
            assert laid == 0.0
        else:  # each worker leaves with probability excess/L: about the excess in all
            assert abs(laid - excess) <= 4 * np.sqrt(excess) + 1
    assert m.hires == 0


def test_soe_shed_labour_more_slowly_than_private_firms(load_tiny, build_model) -> None:
    laid = {SOE: 0.0, PRIVATE: 0.0}
    excess = {SOE: 0.0, PRIVATE: 0.0}
    for seed in range(4):
        m = build_model(load_tiny(*QUIET, "labour.matching_efficiency_per_month=1e-12", seed=seed))
        lab = m.scenario.labour
        assert (
            lab.layoff_share_of_excess_per_month_soe < lab.layoff_share_of_excess_per_month_private
        )
        f = m.firms
        L0, target = _halve_targets(m)
        labour_market.step(m)
        L1 = employees(m)
        for own in (SOE, PRIVATE):
            mask = (f.ownership[: f.n] == PRIVATE) == (own == PRIVATE)  # public units shed like SOE
            laid[own] += float((L0 - L1)[mask].sum())
            excess[own] += float(np.maximum(L0 - target, 0)[mask].sum())
    assert laid[SOE] / excess[SOE] < laid[PRIVATE] / excess[PRIVATE]


@pytest.fixture
def matched(load_tiny, build_model):
    """A month of matching with three vacancies at every firm and a high matching efficiency."""
    sc = load_tiny(
        *QUIET,
        "labour.layoff_share_of_excess_per_month_private=0",
        "labour.layoff_share_of_excess_per_month_soe=0",
        "labour.matching_efficiency_per_month=5",
    )
    m = build_model(sc)
    p, f = m.persons, m.firms
    L0 = employees(m)
    f.target[: f.n] = L0 + 3.0
    before = {k: p.view(k).copy() for k in ("status", "employer", "exp_sector", "skill")}
    labour_market.step(m)
    return m, L0, before


def test_matching_never_hires_more_than_the_vacancies(matched) -> None:
    m, L0, before = matched
    f = m.firms
    L1 = employees(m)
    hires = L1 - L0
    assert np.all(hires >= 0)  # no quits, no layoffs
    assert np.all(hires <= 3.0)  # vacancies: target - L = 3 at every firm
    assert np.all(hires[~f.alive[: f.n]] == 0)
    assert hires.sum() == m.hires > 0


def test_hired_persons_were_job_seekers_and_get_the_sectors_experience(matched) -> None:
    m, _, before = matched
    p, f = m.persons, m.firms
    n = len(before["status"])
    hired = np.isin(before["status"], SEEKING) & (p.status[:n] == EMPLOYED)  # job seekers, informal ones too
    assert hired.sum() == m.hires
    # only job seekers were hired; the inactive stay out
    newly_employed = (before["status"] != EMPLOYED) & (p.status[:n] == EMPLOYED)
    assert np.array_equal(newly_employed, hired)
    assert np.all(p.status[:n][before["status"] == INACTIVE] == INACTIVE)
    rows = np.flatnonzero(hired)
    assert np.all(p.exp_sector[rows] == f.sector[p.employer[rows]])
    assert np.all(p.unemp_months[rows] == 0)
    # nobody is hired into a sector whose minimum skill they lack
    min_skill = np.array([SKILL_NAMES.index(c.min_skill) for c in m.sector_cfg])
    assert np.all(p.skill[rows] >= min_skill[f.sector[p.employer[rows]]])


def test_wages_are_the_offer_times_the_skill_premium(matched) -> None:
    m, _, _ = matched
    p, f = m.persons, m.firms
    emp = np.flatnonzero(p.view("status") == EMPLOYED)
    expected = f.wage_offer[p.employer[emp]] * m.skill_premium[p.skill[emp]]
    np.testing.assert_allclose(p.wage[emp], expected, rtol=1e-6)
    assert m.average_wage == pytest.approx(float(p.wage[emp].astype(np.float64).mean()), rel=1e-12)
    premium = m.scenario.labour.skill_wage_premium
    assert premium["low"] < premium["medium"] < premium["high"]
    public = f.ownership[: f.n] == PUBLIC
    assert public.any()
    np.testing.assert_allclose(
        f.wage_offer[: f.n][public],
        m.scenario.public_finance.public_wage_relative_to_average * m.base_wage(),
    )
    # nobody else earns a wage
    others = np.flatnonzero(p.view("status") != EMPLOYED)
    assert np.all(p.wage[others] == 0.0)


def test_wage_offers_stay_within_the_premium_bound_and_value_added_cap(tiny_model) -> None:
    from simulator.model.production import value_added_per_worker

    m = tiny_model
    f = m.firms
    for _ in range(3):
        m.step()
    # ordinary firms (a mine's value added moves within the month as its reserves fall)
    ordinary = f.alive[: f.n] & ~f.is_mine[: f.n] & (f.ownership[: f.n] != PUBLIC)
    bound = m.scenario.firms.wage_premium_bound
    assert np.all(np.abs(f.wage_prem[: f.n]) <= bound + 1e-12)
    rel = np.array([c.relative_wage for c in m.sector_cfg])[f.sector[: f.n]]
    norm = rel * m.base_wage()
    offer = f.wage_offer[: f.n]
    assert np.all(offer[ordinary] <= norm[ordinary] * (1 + bound) * (1 + 1e-9))
    cap = m.scenario.firms.max_labour_share_of_value_added * value_added_per_worker(m)
    assert np.all(offer[ordinary] <= cap[ordinary] * (1 + 1e-9))


def test_discouraged_older_job_seekers_leave_the_labour_force(load_tiny, build_model) -> None:
    sc = load_tiny(
        "labour.discouraged_exit_rate_per_month_age_50_plus=0.9999999",  # below 1: a rate per month (schema)
        "labour.matching_efficiency_per_month=1e-12",
    )
    m = build_model(sc)
    p = m.persons
    un = p.view("status") == UNEMPLOYED
    old = un & (p.view("age_m") // 12 >= 50)
    young = un & (p.view("age_m") // 12 < 50)
    assert old.any() and young.any()
    labour_market.step(m)
    assert np.all(p.status[: len(old)][old] == INACTIVE)
    assert np.all(p.status[: len(young)][young] == UNEMPLOYED)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_workers_per_firm_kept_in_step_with_the_persons(load_tiny, build_model, seed) -> None:
    """The labour market updates ``model.workers`` incrementally; it must equal a fresh count."""
    m = build_model(load_tiny(seed=seed))
    for _ in range(6):
        m.step()
        labour_market.step(m)
        assert np.array_equal(m.workers, employees(m))


def test_first_k_trainees_are_the_first_k_of_the_full_sort() -> None:
    """The partial selection of trainees picks the same persons as sorting every seeker
    (priority first, longest spell, then the tie-breaking draw, then position)."""
    from simulator.model.labour_market import _first_k

    rng = np.random.default_rng(1)
    for trial in range(200):
        n = int(rng.integers(1, 300))
        priority = rng.random(n) < rng.random()
        spell = rng.integers(0, int(rng.integers(1, 30)), n).astype(np.int16)
        tie = rng.random(n)
        if trial % 3 == 0:
            tie = np.round(tie, 1)  # equal draws: position decides
        k = int(rng.integers(0, n + 1))
        want = np.lexsort((tie, -spell, ~priority))[:k]
        got = _first_k(priority, spell, tie, k)
        assert len(got) == k and set(got.tolist()) == set(want.tolist()), trial


def test_compiled_quits_and_layoffs_separate_as_separate_does(tiny_model) -> None:
    """The compiled quits and layoffs change a separated person exactly as ``separate`` does
    (every person attribute compared), so the three cannot drift apart."""
    from simulator.model import kernels
    from simulator.model.labour_market import separate
    from simulator.model.sectors import EMPLOYED, UNEMPLOYED

    m = tiny_model
    p = m.persons
    names = list(p._array_names())
    before = {k: getattr(p, k).copy() for k in names}
    rows = np.flatnonzero(p.view("status") == EMPLOYED)
    assert len(rows) > 10

    def snapshot() -> dict:
        out = {k: getattr(p, k).copy() for k in names}
        for k in names:
            getattr(p, k)[:] = before[k]
        return out

    separate(m, rows)
    expected = snapshot()
    nf = m.firms.n
    everyone = np.arange(len(rows))
    kernels.quits(rows, everyone, p.welfare_job, p.employer, p.status, p.wage, p.unemp_months, UNEMPLOYED, nf)
    by_quits = snapshot()
    employer = p.employer[rows]
    kernels.layoffs(rows, employer, np.ones(nf), everyone, np.zeros(len(rows)), 1.0, np.zeros(nf), p.status, p.employer,
                    p.wage, p.unemp_months, p.welfare_job, UNEMPLOYED)
    by_layoffs = snapshot()
    for k in names:
        np.testing.assert_array_equal(by_quits[k], expected[k], err_msg=f"quits: {k}")
        np.testing.assert_array_equal(by_layoffs[k], expected[k], err_msg=f"layoffs: {k}")


# ------------------------------------------------------------------ the wage curve


def test_slack_is_the_smoothed_job_seeker_rate(load_tiny, build_model) -> None:
    from simulator.model.labour_market import update_slack

    m = build_model(load_tiny("labour.wage_curve_smoothing_months=4"))
    assert m.slack_start is None and m.wage_curve_factor() == 1.0
    update_slack(m, 800, 200)  # the first month: 20% is the reference
    assert m.slack_start == pytest.approx(0.2) and m.slack == pytest.approx(0.2)
    update_slack(m, 900, 100)  # 10% this month: a quarter of the way there
    assert m.slack == pytest.approx(0.2 + (0.1 - 0.2) / 4)
    update_slack(m, 0, 0)  # nobody in the labour force: no signal, no change
    assert m.slack == pytest.approx(0.175)
    assert m.slack_start == pytest.approx(0.2)


@pytest.mark.parametrize("beta", [0.0, -0.1, -0.2])
def test_wage_curve_factor_and_base_wage(load_tiny, build_model, beta) -> None:
    m = build_model(load_tiny(f"labour.wage_curve_elasticity={beta}"))
    m.slack_start = None
    plain = m.base_wage()  # no reference yet: factor 1
    m.slack_start, m.slack = 0.2, 0.1  # slack halved since the start: wages up by 2^-beta
    assert m.wage_curve_factor() == pytest.approx(0.5**beta)
    assert m.base_wage() == pytest.approx(plain * 0.5**beta)
    m.slack = 0.0  # no job seekers at all: the rate is floored
    floor = m.scenario.labour.wage_curve_min_rate
    assert m.wage_curve_factor() == pytest.approx((floor / 0.2) ** beta)


def test_higher_slack_lowers_wage_offers_by_the_curve(load_tiny, build_model) -> None:
    """Offers below the value-added cap move with the base wage: doubling the smoothed job-seeker
    rate cuts them by 2^-0.1 (premia unchanged: no vacancies, no losses); offers at the cap fall less."""
    from simulator.model.labour_market import set_wage_offers
    from simulator.model.sectors import PUBLIC

    m = build_model(load_tiny("labour.wage_curve_elasticity=-0.1", "labour.wage_adjustment_per_month=0"))
    f = m.firms
    nf = f.n
    m.slack_start = m.slack = 0.2
    set_wage_offers(m, np.zeros(nf))
    before = f.wage_offer[:nf].copy()
    m.slack = 0.4
    set_wage_offers(m, np.zeros(nf))
    after = f.wage_offer[:nf]
    public = f.ownership[:nf] == PUBLIC
    alive = f.alive[:nf] & ~f.is_mine[:nf]
    # the rows whose offer was below its cap both times moved by exactly the factor
    moved = alive & ~public & np.isclose(after, before * 2.0**-0.1, rtol=1e-9)
    assert moved.sum() > 50
    # the others were at the value-added cap before or after: they fall by less, or stay
    rows = alive & ~public
    ratio = after[rows] / before[rows]
    assert np.all((ratio >= 2.0**-0.1 - 1e-9) & (ratio <= 1.0 + 1e-12))
    np.testing.assert_allclose(after[public & f.alive[:nf]], before[public & f.alive[:nf]] * 2.0**-0.1, rtol=1e-9)


# ------------------------------------------------------------------ whole targets


def _one_sector_rows(m, targets):
    """Make the first ``len(targets)`` alive ordinary rows of the services sector carry ``targets``
    (the other rows keep theirs); returns their row indices."""
    from simulator.model.sectors import SECTOR_NAMES

    f = m.firms
    serv = SECTOR_NAMES.index("services")
    rows = np.flatnonzero(f.alive[: f.n] & (f.sector[: f.n] == serv) & (f.ownership[: f.n] != PUBLIC) & ~f.is_mine[: f.n])
    rows = rows[: len(targets)]
    assert len(rows) == len(targets)
    others = np.flatnonzero(f.alive[: f.n] & (f.sector[: f.n] == serv) & (f.ownership[: f.n] != PUBLIC))
    f.target[others] = np.floor(f.target[others])  # the rest of the group whole: no fractional parts
    f.target[rows] = targets
    return rows


def test_whole_targets_add_up_to_the_groups_rounded_sum(load_tiny, build_model) -> None:
    """Within a group the whole targets are the whole parts plus round(sum of fractional parts)
    extra workers, one each, to the largest fractional parts when nobody holds one."""
    m = build_model(load_tiny())
    rows = _one_sector_rows(m, [2.7, 1.2, 0.6, 3.5, 0.0, 4.9])
    m.workers = np.zeros(m.firms.n)  # nobody holds an extra worker
    whole = labour_market.whole_targets(m)[rows]
    # fractional parts 0.7 0.2 0.6 0.5 0 0.9: sum 2.9, three extras, to 0.9, 0.7 and 0.6
    np.testing.assert_array_equal(whole, [3, 1, 1, 3, 0, 5])
    f = m.firms
    group = f.alive[: f.n] & (f.sector[: f.n] == f.sector[rows[0]]) & (f.ownership[: f.n] != PUBLIC)
    assert labour_market.whole_targets(m)[group].sum() == np.floor(f.target[: f.n][group].sum() + 0.5)


def test_incumbents_keep_their_extra_worker(load_tiny, build_model) -> None:
    """A row that already holds one worker more than its target's whole part keeps it before a row
    with a larger fractional part gets one: the extra worker does not move from row to row."""
    m = build_model(load_tiny())
    rows = _one_sector_rows(m, [1.3, 1.8, 2.4])  # fractional parts 0.3, 0.8, 0.4: sum 1.5, two extras
    workers = np.zeros(m.firms.n)
    workers[rows] = [2, 1, 3]  # the first and the third hold an extra
    m.workers = workers
    np.testing.assert_array_equal(labour_market.whole_targets(m)[rows], [2, 1, 3])
    m.workers = np.zeros(m.firms.n)  # nobody holds one: the largest fractional parts
    np.testing.assert_array_equal(labour_market.whole_targets(m)[rows], [1, 2, 3])


def test_a_falling_group_sheds_workers_one_at_a_time_without_rehiring(load_tiny, build_model) -> None:
    """Targets that drift down together (a sector's demand shrinking) take whole workers away,
    never adding one back to any row on the way, and the group's whole targets track its total
    to within half a worker: no lay-off-and-hire-back."""
    m = build_model(load_tiny())
    start = np.array([3.9, 2.6, 1.45, 2.2, 0.95, 1.7])
    rows = _one_sector_rows(m, start)
    f = m.firms
    m.workers = np.zeros(f.n)
    previous = None
    for factor in np.linspace(1.0, 0.5, 51):
        f.target[rows] = start * factor
        whole = labour_market.whole_targets(m)[rows]
        assert abs(whole.sum() - (start * factor).sum()) <= 0.5 + 1e-9
        if previous is not None:
            assert np.all(whole <= previous)
        previous = whole
        workers = np.zeros(f.n)
        workers[rows] = whole  # the labour market staffs the rows to their whole targets
        m.workers = workers


def test_targets_follow_capital_not_current_workers(load_tiny, build_model) -> None:
    """A row staffs for its capital's share of its sector's demand: after a month of production the
    ordinary rows' targets are capital / (capital per worker x scale) x min(demand / full-capital
    capacity, 1), so two rows with the same capital get the same target whatever their workers."""
    from simulator.model.sectors import PUBLIC

    m = build_model(load_tiny())
    m.step()
    f = m.firms
    nf = f.n
    ordinary = f.alive[:nf] & ~f.is_mine[:nf] & (f.ownership[:nf] != PUBLIC)
    free = ordinary & ~m.land_bound_sectors[f.sector[:nf]]  # the land-bound rows follow their land
    cap_limit = f.capital[:nf] / (m.sector_par["capital_per_worker_yuan"][f.sector[:nf]] * m.scale)
    ratio = f.target[:nf][free] / cap_limit[free]
    for s in np.unique(f.sector[:nf][free]):
        r = ratio[f.sector[:nf][free] == s]
        np.testing.assert_allclose(r, r[0], rtol=1e-12)  # one ratio per sector
        assert 0.0 <= r[0] <= 1.0 + 1e-12


@pytest.mark.parametrize("short_by", [0, 1, 2, 5])
def test_whole_targets_of_some_sectors_equal_those_of_every_row(load_tiny, build_model, short_by) -> None:
    """The live rows of some sectors apportioned on their own get the whole targets they get when
    every row is apportioned (the groups are sectors), also when the last rows (entrants since the
    labour market) hold no workers yet."""
    from simulator.model.sectors import N_SECTORS

    m = build_model(load_tiny())
    for _ in range(14):
        m.step()
    f = m.firms
    rng = np.random.default_rng(3)
    f.target[: f.n] = rng.uniform(0.0, 6.0, f.n) * (rng.random(f.n) < 0.9)
    workers = np.floor(f.target[: f.n]) + (rng.random(f.n) < 0.4)
    workers[-short_by - 1 :] = np.floor(f.target[f.n - short_by - 1 : f.n]) + 1.0  # the last rows with workers hold an extra
    m.workers = workers[: f.n - short_by]
    full = labour_market.whole_targets(m)
    for s in range(N_SECTORS):
        sectors = np.zeros(N_SECTORS, bool)
        sectors[s] = True
        sectors[(s + 2) % N_SECTORS] = True
        rows, whole = labour_market.whole_targets_in(m, sectors)
        np.testing.assert_array_equal(rows, np.flatnonzero(f.alive[: f.n] & sectors[f.sector[: f.n]]))
        np.testing.assert_array_equal(whole, full[rows])
