"""Initial state of a city from the scenario's population, sector and mine data.

Every number used here comes from the scenario: persons by age band, sex and
skill; households of the given mean size; employment by sector (state-owned
share, firm size); mines with their reserves, capacity and workers; the
unemployed, shantytown and subsidence-area households; initial savings and
pensions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.model.regions import initial_job_weights, split_rows
from simulator.model.sectors import (
    AGRI,
    CHILD,
    COAL,
    EMPLOYED,
    INACTIVE,
    INFORMAL,
    PRIVATE,
    PUBLIC,
    RETIRED,
    SECTOR_NAMES,
    SERV,
    SHANTYTOWN,
    SKILL_NAMES,
    SOE,
    STUDENT,
    SUBSIDENCE,
    UNEMPLOYED,
)
from simulator.model.state import Firms, Households, Persons

if TYPE_CHECKING:
    from simulator.model.city import CityModel

from simulator.model.demography import SCHOOL_START_AGE_YEARS


def _rows(count: float, scale: int, rng: np.random.Generator) -> int:
    """Number of rows standing for ``count`` real units: stochastic rounding."""
    x = count / scale
    base = int(np.floor(x))
    return base + int(rng.random() < x - base)


class InconsistentScenarioError(ValueError):
    """The scenario's figures cannot make an initial city (e.g. more jobs than people)."""


def firm_weights(scale: int, mean_sizes: np.ndarray, worker_rows: float) -> np.ndarray:
    """Real firms per firm row, by sector.

    A firm row should hold about ``worker_rows`` person rows (so that its
    workforce is not a single row), but never stand for more than ``scale``
    firms nor for less than one: ``clip(worker_rows x scale / mean size, 1, scale)``.
    """
    return np.clip(worker_rows * scale / mean_sizes, 1.0, float(scale))


def firm_row_size(model: CityModel, sector: int) -> float:
    """Person rows in a firm row of mean size."""
    cfg = model.sector_cfg[sector]
    return cfg.mean_firm_size_persons * model.firm_weight[sector] / model.scale


def build_persons(model: CityModel, rng: np.random.Generator) -> tuple[Persons, Households]:
    """Persons by age, sex and skill, grouped in households; labour status set later."""
    sc = model.scenario
    pop = sc.population
    n = _rows(pop.persons, model.scale, rng)
    persons = Persons.empty(int(n * 1.3) + 64)
    bands = [(int(a), int(b)) for a, b in (k.split("-") for k in pop.age_band_shares)]
    shares = np.array(list(pop.age_band_shares.values()))
    band = rng.choice(len(bands), size=n, p=shares / shares.sum())
    lo = np.array([b[0] for b in bands])[band]
    hi = np.array([b[1] for b in bands])[band]
    age_m = (lo * 12 + rng.integers(0, (hi - lo + 1) * 12)).astype(np.int16)
    skill_p = np.array([pop.skill_shares[s] for s in SKILL_NAMES])
    skill = rng.choice(3, size=n, p=skill_p).astype(np.int8)
    if pop.female_share_by_age_band is None:
        female = rng.random(n) < pop.female_share
    else:  # the census pyramid by sex: each band's own share of women
        female_p = np.array([pop.female_share_by_age_band[k] for k in pop.age_band_shares])
        female = rng.random(n) < female_p[band]

    n_hh = max(1, _rows(pop.persons / pop.household_size_mean_persons, model.scale, rng))
    adults = np.flatnonzero(age_m >= 18 * 12)
    if len(adults) < n_hh:
        n_hh = max(1, len(adults))
    household = rng.integers(0, n_hh, size=n).astype(np.int32)
    heads = rng.choice(adults, size=n_hh, replace=False) if len(adults) else np.arange(n_hh)
    household[heads] = np.arange(n_hh)
    persons.append(
        age_m=age_m,
        female=female,
        skill=skill,
        exp_sector=np.full(n, -1, np.int8),
        status=np.full(n, INACTIVE, np.int8),
        employer=np.full(n, -1, np.int32),
        household=household,
        present=np.ones(n, bool),
    )
    persons.order_by_household()  # each household's members on consecutive rows (Persons.compact keeps them so)
    persons.uid[:n] = np.arange(n, dtype=np.int64)  # lasting ids: the first population in row order
    regions = model.regions
    if regions.n == 1:
        region = np.zeros(n_hh, np.int16)
        rural_p = pop.rural_share if pop.rural_share is not None else 1.0 - regions.urban_share[0]
    else:  # households placed by the regions' population shares, rural by their region's urban share
        region = model.streams["regions"].choice(
            regions.n, size=n_hh, p=regions.population_share / regions.population_share.sum()
        ).astype(np.int16)
        rural_p = 1.0 - regions.urban_share[region]
    model.rural_household = rng.random(n_hh) < rural_p
    households = Households.empty(int(n_hh * 1.3) + 16)
    savings = rng.exponential(pop.savings_yuan_per_household_mean, size=n_hh)
    members = np.bincount(household, minlength=n_hh).astype(np.int32)
    households.append(savings=savings, present=np.ones(n_hh, bool), members=members, region=region,
                      uid=np.arange(n_hh, dtype=np.int64))
    return persons, households


def assign_statuses(model: CityModel, rng: np.random.Generator) -> None:
    """Children, students and retirees by age; the rest inactive until employed below."""
    p = model.persons
    age_y = p.view("age_m") // 12
    leave = model.school_leaving_age[p.view("skill")]
    status = p.view("status")
    status[:] = INACTIVE
    status[age_y < leave] = STUDENT
    status[age_y < SCHOOL_START_AGE_YEARS] = CHILD
    retired = p.view("age_m") >= model.retirement_age_months(p.view("female"), p.view("skill"))
    status[retired] = RETIRED
    p.view("pension")[retired] = model.scenario.population.initial_pension_yuan_per_month


def build_firms(model: CityModel, rng: np.random.Generator) -> Firms:
    """Firms by sector (and public units), mines, and their workers."""
    sc = model.scenario
    S = model.scale
    p = model.persons
    firms = Firms.empty(4096)
    status = p.view("status")
    pool = np.flatnonzero(status == INACTIVE)  # working-age, not in school, not retired
    rng.shuffle(pool)
    taken = 0

    rural_hh = model.rural_household
    rural_person = rural_hh[p.household[: p.n]]
    regions = model.regions
    person_region = model.households.region[p.household[: p.n]]

    def take(k: int, min_skill: int, rural_first: bool = False, region: int | None = None) -> np.ndarray:
        """Take ``k`` untaken working-age persons of at least ``min_skill``: members of
        rural households first for farming, of urban households first otherwise; with
        ``region``, residents of that region before all others."""
        nonlocal pool, taken
        rest = pool[taken:]
        cand = rest[p.skill[rest] >= min_skill]
        first = rural_person[cand] == rural_first
        if region is None:
            ok = np.concatenate([cand[first], cand[~first]])[:k]
        else:
            local = person_region[cand] == region
            ok = np.concatenate(
                [cand[local & first], cand[local & ~first], cand[~local & first], cand[~local & ~first]]
            )[:k]
        if len(ok) < k:
            raise InconsistentScenarioError(
                f"{model.scenario.name}: the initial jobs and unemployed need {(taken + k) * model.scale:,} "
                f"working-age persons (skill >= {SKILL_NAMES[min_skill]}) but the population has only "
                f"{(taken + len(cand)) * model.scale:,} not in school or retired: lower "
                "sectors.*.initial_employment_persons or population.unemployed_persons, or check "
                "population.age_band_shares and skill_shares"
            )
        # move chosen rows to the front of the untaken part
        mask = np.isin(rest, ok)
        pool = np.concatenate([pool[:taken], ok, rest[~mask]])
        taken += k
        return ok

    def add_firms(sector: int, ownership: np.ndarray, workers: np.ndarray, assign: np.ndarray,
                  region: int = 0) -> None:
        """Append ``len(ownership)`` firm rows in ``region``; ``workers[i]`` works for new row ``assign[i]``."""
        cfg = model.sector_cfg[sector]
        k = len(ownership)
        rel = np.exp(rng.normal(0.0, sc.firms.productivity_dispersion_sd, size=k))
        idx = firms.append(
            sector=np.full(k, sector, np.intp),
            ownership=ownership.astype(np.int8),
            alive=np.ones(k, bool),
            productivity=rel,
            region=np.full(k, region, np.int16),
        )
        p.status[workers] = EMPLOYED
        p.employer[workers] = idx[assign]
        p.exp_sector[workers] = sector
        emp = np.bincount(assign, minlength=k).astype(float)
        firms.capital[idx] = emp * S * cfg.capital_per_worker_yuan * (1 + sc.firms.capacity_headroom_share)
        firms.target[idx] = emp

    def _by_residence(workers: np.ndarray):
        """The workers grouped by their region of residence: the jobs a region cannot fill
        from its own residents are placed where the residents who take them live (no
        commuting in the initial city, except to the mines, which stay where they are)."""
        where = person_region[workers]
        for q in np.unique(where):
            yield int(q), workers[where == q]

    # mines: one row per mine
    for mine in sc.coal.mines:
        rows = _rows(mine.workers_persons, S, rng)
        mine_region = regions.index(mine.region) if regions.n > 1 else 0
        w = take(rows, 0, region=mine_region if regions.n > 1 else None)
        before = firms.n
        add_firms(COAL, np.array([SOE if mine.soe else PRIVATE]), w, np.zeros(len(w), np.int64), mine_region)
        f = before
        firms.is_mine[f] = True
        firms.productivity[f] = 1.0
        firms.reserves[f] = firms.reserves0[f] = mine.reserves_tonnes
        firms.capacity_t[f] = mine.capacity_tonnes_per_year
        firms.tpw0[f] = mine.capacity_tonnes_per_year / max(mine.workers_persons, 1)

    public_rows = _rows(
        sc.labour.public_employment_per_1000_residents * sc.population.persons / 1000.0, S, rng
    )
    for s, name in enumerate(SECTOR_NAMES):
        cfg = sc.sectors[name]
        total = cfg.initial_employment_persons
        if s == COAL:
            total -= sum(m.workers_persons for m in sc.coal.mines)
        if s == SERV:
            total -= public_rows * S
        if total <= 0:
            continue
        rows = _rows(total, S, rng)
        min_skill = SKILL_NAMES.index(cfg.min_skill)
        if regions.n == 1:
            w = take(rows, min_skill, rural_first=(s == AGRI))
            n_f = max(1, int(round(rows / firm_row_size(model, s))))
            assign = rng.integers(0, n_f, size=rows)
            own = np.where(rng.random(n_f) < cfg.soe_employment_share, SOE, PRIVATE)
            add_firms(s, own, w, assign)
            continue
        for r, rows_r in enumerate(_split_by_region(model, s, rows)):
            if rows_r == 0:
                continue
            w = take(rows_r, min_skill, rural_first=(s == AGRI), region=r)
            for q, wq in _by_residence(w):
                n_f = max(1, int(round(len(wq) / firm_row_size(model, s))))
                assign = rng.integers(0, n_f, size=len(wq))
                own = np.where(rng.random(n_f) < cfg.soe_employment_share, SOE, PRIVATE)
                add_firms(s, own, wq, assign, q)
    if public_rows > 0:
        if regions.n == 1:
            w = take(public_rows, 0)
            n_f = max(1, int(round(public_rows / firm_row_size(model, SERV))))
            assign = rng.integers(0, n_f, size=public_rows)
            add_firms(SERV, np.full(n_f, PUBLIC), w, assign)
        else:
            for r, rows_r in enumerate(_split_by_region(model, SERV, public_rows, public=True)):
                if rows_r == 0:
                    continue
                for q, wq in _by_residence(take(rows_r, 0, region=r)):
                    n_f = max(1, int(round(len(wq) / firm_row_size(model, SERV))))
                    assign = rng.integers(0, n_f, size=len(wq))
                    add_firms(SERV, np.full(n_f, PUBLIC), wq, assign, q)

    # the unemployed; the rest of the working-age pool stays inactive
    u = take(_rows(sc.population.unemployed_persons, S, rng), 0)
    p.status[u] = UNEMPLOYED
    p.unemp_months[u] = rng.integers(0, sc.population.initial_unemployment_spell_max_months + 1, size=len(u))
    # of them, those in informal work: the steady-state share of the entry and exit rates
    inf = sc.labour.informal
    if inf.entry_rate_per_month > 0.0:
        share = inf.entry_rate_per_month / (inf.entry_rate_per_month + inf.exit_rate_per_month)
        p.status[u[rng.random(len(u)) < share]] = INFORMAL
    firms.productivity[: firms.n][firms.ownership[: firms.n] == PUBLIC] = 1.0
    return firms


def _split_by_region(model: CityModel, sector: int, rows: int, public: bool = False) -> np.ndarray:
    """A sector's initial job rows by region (census employment shares; see
    :func:`simulator.model.regions.initial_job_weights`)."""
    weights = initial_job_weights(model.regions, sector, public)
    if rows > 0 and weights.sum() <= 0:
        raise InconsistentScenarioError(
            f"{model.scenario.name}: sector {SECTOR_NAMES[sector]} has initial jobs but no region employs "
            "anyone in its census sector: check regions[].employment_shares and mining_share_of_employed"
        )
    return split_rows(rows, weights)


def assign_housing(model: CityModel, rng: np.random.Generator) -> None:
    """Shantytown households, drawn among urban households; subsidence-area households
    among all the others (mining subsidence lies in urban districts and rural counties)."""
    sc = model.scenario
    hh = model.households
    urban = np.flatnonzero(~model.rural_household[: hh.n])
    rng.shuffle(urban)
    k1 = _rows(sc.population.shantytown_households, model.scale, rng)
    if k1 > len(urban):
        raise InconsistentScenarioError(
            f"scenario: population.shantytown_households ({sc.population.shantytown_households}) "
            f"exceeds the urban households implied by population.rural_share ({len(urban) * model.scale})"
        )
    hh.housing[urban[:k1]] = SHANTYTOWN
    rest = np.flatnonzero(hh.housing[: hh.n] != SHANTYTOWN)  # subsidence areas lie in districts and counties
    rng.shuffle(rest)
    k2 = min(len(rest), _rows(sc.population.subsidence_households, model.scale, rng))
    regions = model.regions
    if regions.n > 1 and regions.mining_share.sum() > 0:
        # with regions: subsidence lies over the mines, so households are drawn by their region's mining share
        w = regions.mining_share[hh.region[rest]]
        k2 = min(k2, int(np.count_nonzero(w)))
        rest = model.streams["regions"].choice(rest, size=k2, replace=False, p=w / w.sum())
    hh.housing[rest[:k2]] = SUBSIDENCE
