"""CityModel: the Mesa model of one city, stepped monthly.

The model owns the agents' state (persons, households and firms as
struct-of-arrays; the city government as a Mesa agent), the money accounts,
the random streams (one per mechanism, from ``SeedSequence.spawn``) and the
indicator recorder. Behaviour lives in the mechanism modules; :meth:`CityModel.step`
is the list of them in the order they run.
"""

from __future__ import annotations

import ctypes
import math
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Protocol

import mesa
import numpy as np

from simulator.model import (
    demography,
    draws,
    firm_dynamics,
    housing,
    labour_market,
    migration,
    production,
    public_finance,
    registration,
)
from simulator.model.accounts import (
    ACCOUNT_NAMES,
    BANKS,
    CENTRAL,
    CITY,
    ROW,
    SSF,
    AccountingError,
    Balance,
    Ledger,
    NonFiniteError,
    check_earmark,
    check_population,
    check_stock_flow,
    net_worth,
)
from simulator.model.build import (
    assign_housing,
    assign_statuses,
    build_firms,
    build_persons,
    firm_weights,
)
from simulator.model.flows import FLOWS
from simulator.model.government import CityGovernment
from simulator.model.indicators import (
    MONTH_FLOWS,
    REVENUE_CATEGORIES,
    SPENDING_CATEGORIES,
    DeclaredSums,
    IndicatorRecorder,
)
from simulator.model.programmes import Programmes
from simulator.model.regions import region_table
from simulator.model.sectors import N_SECTORS, PUBLIC, SECTOR_NAMES, SKILL_NAMES, sector_arrays
from simulator.model.series import SeriesCache
from simulator.scenario.schema import Scenario

STREAMS = (
    "init",
    "policy",
    "demography",
    "labour",
    "production",
    "public_finance",
    "housing",
    "migration",
    "firms",
    "mesa",
    "regions",
    "region_entry",
    "region_arrival",
    "migration_individual",
    "migration_graduates",
    "migration_return",
    "labour_informal",
    "labour_early_retirement",
    "registration",
)
"""Named random streams, one per mechanism. New streams are appended, never inserted,
so that adding a mechanism leaves the draws of the others unchanged."""

VIOLATION_KINDS = ("stock_flow", "population", "earmark")
"""The accounting checks run every month (see :meth:`CityModel._check`)."""

MIN_SLACK_RATE = 1e-6
"""Numerical floor of the job-seeker rate in the wage curve, under ``labour.wage_curve_min_rate``
(a rate of zero would make the log curve infinite)."""

MECHANISMS = ("all", "person_rules")
"""What a step runs. ``all``: every mechanism (normal runs). ``person_rules``: only the
person-level rules, demography, the labour market's transitions (quits, layoffs, matching,
spells) and migration, with the firms frozen as built (employment targets, wage offers, capital
and money unchanged; no levers, housing, production, public finance or firm dynamics). The
per-agent reference (:mod:`simulator.reference`) implements the same rules, so that the two
can be compared on the same city."""


class LeverRule(Protocol):
    """What the model needs of a policy lever (:class:`simulator.policy.base.Lever` is one): its
    name (its random stream's key) and its monthly rule, which moves money and writes the
    programme plan (:class:`~simulator.model.programmes.Programmes`)."""

    name: str

    def apply(self, model: CityModel) -> None: ...


class NamedStreams(dict):
    """Random streams keyed by name, each made on first use from the run's seed and a hash of
    the name: adding, removing or reordering levers leaves every other lever's draws unchanged."""

    def __init__(self, seed: int, group: int) -> None:
        super().__init__()
        self._seed, self._group = seed, group

    def __missing__(self, name: str) -> np.random.Generator:
        key = (self._group, zlib.crc32(name.encode("utf-8")))
        rng = self[name] = np.random.default_rng(np.random.SeedSequence(self._seed, spawn_key=key))
        return rng


class DrawKeys(dict):
    """The run's keys of the keyed draws (:func:`simulator.model.draws.draw_key`), by name, each
    made on first use."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self._seed = seed

    def __missing__(self, name: str) -> np.uint64:
        key = self[name] = draws.draw_key(self._seed, name)
        return key


MALLOC_MMAP_THRESHOLD_BYTES = 32 * 2**20
"""Blocks up to this size come from the heap, not from fresh pages (glibc's largest allowed value)."""
MALLOC_TRIM_THRESHOLD_BYTES = 2**30
"""Free memory at the top of the heap is handed back to the system only beyond this size."""


def keep_freed_memory() -> None:
    """Let the C allocator keep freed memory for reuse (glibc only; elsewhere nothing happens).

    Each step allocates and frees many arrays of a few megabytes (temporaries over every person,
    household or firm row). By default glibc returns such blocks to the system when they are
    freed, and the kernel must fault in and zero every page again at the next allocation: at
    full scale (every resident) that was about an eighth of the run time. Kept in the process,
    the memory is reused; the peak memory is about the same. Results do not depend on it.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # the parameter numbers of glibc's malloc.h
    mallopt(m_mmap_threshold, MALLOC_MMAP_THRESHOLD_BYTES)
    mallopt(m_trim_threshold, MALLOC_TRIM_THRESHOLD_BYTES)


def release_agent_ids(model: mesa.Model) -> None:
    """Drop ``model`` from Mesa's class-level counter of agent ids (``mesa.Agent._ids``, a
    dictionary keyed by the model in Mesa 3.3), which otherwise holds every model made in a
    process alive for the life of the process: a calibration or sweep worker kept each run's
    persons and firms (about 2 MB a run at the default scale, 2 GB per worker after a
    calibration). Agents made for the model afterwards would number from 1 again. A Mesa
    without the counter needs nothing."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


class CityModel(mesa.Model):
    """Agent-based model of a resource city.

    Args:
        scenario: a validated scenario.
        levers: the policy levers applied each month, in order (``simulator.policy.registry.LEVERS``;
            :func:`simulator.experiment.run.build_model` passes them). The model imports no lever.
        seed: overrides ``scenario.run.seed``.
        scale: overrides ``scenario.run.scale`` (persons per person row).
        strict: raise :class:`AccountingError` on the first accounting violation
            (tests) instead of recording it (normal runs).
        mechanisms: ``"all"`` (normal) or ``"person_rules"`` (see :data:`MECHANISMS`).
        timings: accumulate the wall time of each mechanism in ``self.timings`` and its CPU
            time in ``self.cpu_timings`` (seconds by mechanism name, for the benchmarks; off
            by default).
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        levers: Sequence[LeverRule],
        seed: int | None = None,
        scale: int | None = None,
        strict: bool | None = None,
        mechanisms: str = "all",
        timings: bool = False,
    ) -> None:
        if mechanisms not in MECHANISMS:
            raise ValueError(f"mechanisms must be one of {MECHANISMS}, not {mechanisms!r}")
        keep_freed_memory()
        self.mechanisms = mechanisms
        self.timings: defaultdict[str, float] | None = defaultdict(float) if timings else None
        self.cpu_timings: defaultdict[str, float] | None = defaultdict(float) if timings else None
        self.scenario = scenario
        self.seed_value = scenario.run.seed if seed is None else int(seed)
        children = np.random.SeedSequence(self.seed_value).spawn(len(STREAMS))
        self.streams = {name: np.random.default_rng(ss) for name, ss in zip(STREAMS, children, strict=True)}
        # one stream per lever, keyed by its name, so that switching a lever on leaves the draws
        # of the mechanisms and of the other levers unchanged (common random numbers)
        self.levers = tuple(levers)
        self.lever_streams = NamedStreams(self.seed_value, STREAMS.index("policy"))
        # keys of the keyed draws (simulator.model.draws), by mechanism: a person's draw in a month
        # depends on the key, the month and the person's lasting id only
        self.draw_keys = DrawKeys(self.seed_value)
        super().__init__(rng=self.streams["mesa"])
        self.scale = int(scenario.run.scale if scale is None else scale)
        if strict is None:
            strict = scenario.run.accounting.on_violation == "raise"
        self.strict = strict
        self.start_year = scenario.run.start_year
        self.end_year = scenario.run.end_year
        self.n_steps = (self.end_year - self.start_year + 1) * 12
        self.year = self.start_year
        self.month = 0  # set to 1..12 at the start of each step
        self.series = SeriesCache()
        self._retirement_year = -1
        self._retirement_table = np.zeros(6, np.int16)
        self.sector_cfg = [scenario.sectors[name] for name in SECTOR_NAMES]
        self.sector_par = sector_arrays(self.sector_cfg)
        # bool per sector: its jobs are set by the land (land_labour_release_rate_per_year)
        self.land_bound_sectors = np.array([c.land_labour_release_rate_per_year is not None for c in self.sector_cfg])
        self.school_leaving_age = np.array(
            [scenario.demography.school_leaving_age_years[s] for s in SKILL_NAMES], np.int16
        )
        self.firm_weight = firm_weights(
            self.scale,
            np.array([c.mean_firm_size_persons for c in self.sector_cfg]),
            scenario.run.worker_rows_per_firm_row,
        )
        self.skill_premium = np.array(
            [scenario.labour.skill_wage_premium[s] for s in SKILL_NAMES], np.float32
        )

        # accounts
        self.ledger = Ledger(declared=FLOWS)
        self.central = Balance()
        self.row = Balance()
        self.banks = Balance()
        self.ssf = Balance()
        self.government = CityGovernment(self)
        release_agent_ids(self)  # the city's only Mesa agent is made: nothing else needs the counter
        self.programmes = Programmes()

        self.export_base = None
        self.productivity_levels = None
        self.regions = region_table(scenario)
        # state that mechanisms set and read from month to month, declared here (a test checks
        # that a run creates no attribute of the model outside this constructor)
        self.rural_household = np.zeros(0, bool)  # per household row: a farm household (build)
        self.employment: labour_market.Employment | None = None  # who works where (labour market)
        self.sector_capital_capacity = np.zeros(N_SECTORS)  # what the ordinary rows' capital could supply fully staffed (production)
        self.workers = np.zeros(0)  # workers per firm row (labour market)
        self.welfare_workers = np.zeros(0)  # public-welfare job holders per firm row (labour market)
        self.month_flows = DeclaredSums(MONTH_FLOWS, "month flow")  # the month's sums (indicators)
        self.month_revenue = DeclaredSums(REVENUE_CATEGORIES, "revenue category")
        self.month_spending = DeclaredSums(SPENDING_CATEGORIES, "spending category")
        self.month_va = np.zeros(N_SECTORS)  # value added by sector this month (production)
        self.month_va_real = np.zeros(N_SECTORS)  # the month's value added at start-year prices by sector (production)
        self.coal_price_start: float | None = None  # the first month's coal price (production: gdp_real)
        self.month_va_region = np.zeros(self.regions.n)
        self.pending_investment = 0.0  # investment spending ordered this month (firm dynamics)
        self.outside_investment = 0.0  # outside-financed investment spent this month (production)
        self.outside_demand = np.zeros(N_SECTORS)  # its demand for investment goods by sector (production)
        self.region_flows: dict[str, np.ndarray] = {}  # the month's flows by region (regions)
        rng = self.streams["init"]
        self.persons, self.households = build_persons(self, rng)
        assign_statuses(self, rng)
        self.firms = build_firms(self, rng)
        assign_housing(self, rng)
        self.export_base: np.ndarray | None = None  # set in the first month (production)
        self.productivity_levels: np.ndarray | None = None  # built on first use (production)
        self.slack_start: float | None = None  # the first month's job-seeker rate (labour market: wage curve)
        self.slack = 0.0  # the smoothed job-seeker rate (labour market: wage curve)
        self.unit_labour_cost_start: np.ndarray | None = None  # the first month's, by sector (production: local prices)
        self.sector_price = np.ones(N_SECTORS)  # price relative to the start (production: local prices)
        self.sector_va_price = np.ones(N_SECTORS)  # price of a local-price sector's value added (production)
        self.outside_price_start: np.ndarray | None = None  # the first month's outside prices (production)
        production.initialise_money(self)
        self.hh_income = np.zeros(self.households.capacity)
        self.out_migrant_stock = 0.0  # working-age persons who left since the start and may return (migration)
        self.absent_registered = 0.0  # persons registered in the city who live elsewhere (registration)
        self.registration_in = 0.0  # the month's entries to the register, persons (registration)
        self.registration_out = 0.0  # the month's exits from it, persons (registration)
        self.registered_start_of_month = 0.0  # the register at the month's start, persons (registration)
        registration.initialise(self)  # the register: residents registered elsewhere, the absent (registration)
        self.expected_income_ratio = 1.0  # destination over home, this month's (migration)
        self.expected_income_ratio_start: float | None = None  # the first year's mean (migration: arrivals)
        self.expected_income_ratio_first_year: list[float] = []  # the first year's months (migration)
        self.consumption_per_person_base: float | None = None  # the first month's (production: Engel shares)
        self.average_wage = 0.0  # yuan/month of the employed, set by the labour market each month
        self.hires = 0
        self.entry_queue: list[tuple[int, int, int, float]] = []  # (due month index, sector, rows, fund share)
        self.counts = dict.fromkeys(("births", "deaths", "in", "out"), 0)
        self.sector_demand = np.zeros(N_SECTORS)
        self.sector_capacity = np.zeros(N_SECTORS)
        self.sector_margin = np.zeros(N_SECTORS)
        self.accounting_log: list[str] = []
        self.max_stock_flow_error = 0.0
        self.max_stock_flow_error_year = 0.0
        self.violations = dict.fromkeys(VIOLATION_KINDS, 0)
        self.recorder = IndicatorRecorder(self)

    # ------------------------------------------------------------------ helpers

    def s(self, series) -> float:
        """Value of a scenario series in the current year (cached)."""
        return self.series(series, self.year)

    @property
    def population(self) -> int:
        """Resident persons (real persons, not rows)."""
        return int(np.count_nonzero(self.persons.view("present"))) * self.scale

    def land_release_per_month(self) -> np.ndarray:
        """Per sector: the share of its land-bound jobs released this month (0 where not land-bound)."""
        return np.array([
            self.s(c.land_labour_release_rate_per_year) / 12.0 if c.land_labour_release_rate_per_year is not None else 0.0
            for c in self.sector_cfg
        ])

    def public_mask(self) -> np.ndarray:
        """Firm rows that are public units (schools, hospitals, administration)."""
        return self.firms.ownership[: self.firms.n] == PUBLIC

    def retirement_age_months(self, female: np.ndarray, skill: np.ndarray) -> np.ndarray:
        """Statutory retirement age in months: men; women workers; women cadres (high skill).

        Months, not years, because the 2025-2039 reform raises the ages by a few
        months a year.
        """
        return np.take(self.retirement_ages(), 3 * female.astype(np.int8) + skill)

    def retirement_ages(self) -> np.ndarray:
        """This year's retirement ages in months, indexed by ``3 x female + skill``."""
        if self._retirement_year != self.year:
            d = self.scenario.demography
            men = self.s(d.retirement_age_men_years)
            ww = self.s(d.retirement_age_women_workers_years)
            wc = self.s(d.retirement_age_women_cadres_years)
            self._retirement_table = np.rint(12.0 * np.array([men, men, men, ww, ww, wc])).astype(np.int16)
            self._retirement_year = self.year
        return self._retirement_table

    def base_wage(self) -> float:
        """City wage of reference (yuan/month): national average wage x the local ratio x the
        wage curve's factor (:meth:`wage_curve_factor`)."""
        w = self.scenario.world
        return self.s(w.national_average_wage_yuan_per_year) / 12.0 * w.local_wage_ratio_to_national * self.wage_curve_factor()

    def wage_curve_factor(self) -> float:
        """``(u / u_start)^labour.wage_curve_elasticity``: the city's smoothed job-seeker rate
        (:func:`simulator.model.labour_market.update_slack`) against the first month's; 1 before
        the first month's matching and with an elasticity of 0."""
        beta = self.scenario.labour.wage_curve_elasticity
        if beta == 0.0 or self.slack_start is None:
            return 1.0
        floor = max(self.scenario.labour.wage_curve_min_rate, MIN_SLACK_RATE)
        return (max(self.slack, floor) / max(self.slack_start, floor)) ** beta

    def ensure_income_capacity(self) -> None:
        """Grow the households' income-this-month buffer with the household arrays."""
        if len(self.hh_income) < self.households.capacity:
            grown = np.zeros(self.households.capacity)
            grown[: len(self.hh_income)] = self.hh_income
            self.hh_income = grown

    def pay(self, name: str, amount: float) -> None:
        """Book a payment of a declared flow (:data:`simulator.model.flows.FLOWS`) in one call: the
        ledger, the stocks of the sectors held as one balance (the city's cash, the central
        government, the banks, the social security fund, the rest of the world), the city's budget
        category and the month flow it feeds. The caller changes the per-row stocks of households
        (their income or savings) and firms (their cash), which only it knows how to share out."""
        if amount == 0.0:
            return
        flow = FLOWS.get(name)
        if flow is None:
            raise AccountingError(f"undeclared flow {name!r}: declare it in simulator.model.flows (or the lever's module)")
        self.ledger.pay(name, flow.payer, flow.payee, amount)
        self._add_to_balance(flow.payer, -amount)
        self._add_to_balance(flow.payee, amount)
        if flow.budget is not None:
            (self.month_revenue if flow.payee == CITY else self.month_spending)[flow.budget] += amount
        if flow.indicator is not None:
            self.month_flows[flow.indicator] += amount

    def _add_to_balance(self, sector: int, amount: float) -> None:
        if sector == CITY:
            self.government.cash += amount
        elif sector == CENTRAL:
            self.central.balance += amount
        elif sector == ROW:
            self.row.balance += amount
        elif sector == BANKS:
            self.banks.balance += amount
        elif sector == SSF:
            self.ssf.balance += amount
        # households and firms: per-row stocks, changed by the caller

    @property
    def month_key(self) -> int:
        """The month's key of the keyed draws: months since year 0 (the same month is the same key
        in runs that start in different years)."""
        return self.year * 12 + self.month

    def month_stream(self, name: str) -> np.random.Generator:
        """A random stream for this month's draws of ``name``: made from the run's key of ``name``
        and the month (:attr:`month_key`), so that what one month draws leaves the next month's
        draws unchanged (see :data:`simulator.model.draws.KEYED_ONLY`)."""
        key = int(self.draw_keys[name])
        return np.random.default_rng(np.random.SeedSequence([key & 0xFFFFFFFF, key >> 32, self.month_key]))

    def stochastic_round(self, x: float, stream: str | np.random.Generator) -> int:
        """Integer with expectation ``x`` (for counts of rows); ``stream`` is a stream's name or a generator."""
        rng = self.streams[stream] if isinstance(stream, str) else stream
        base = math.floor(x)
        return int(base + (rng.random() < x - base))

    # --------------------------------------------------------------------- step

    def step(self) -> None:
        """One month: the mechanisms in order, then the accounting checks."""
        self.month += 1
        if self.month > 12:
            self.month = 1
            self.year += 1
        self.ledger.clear()
        self.recorder.begin_month(self)
        self.programmes.reset()
        for k in self.counts:
            self.counts[k] = 0
        self.ensure_income_capacity()
        self.hh_income[:] = 0.0
        pop_before = self.population
        registration.begin_month(self)
        wealth_before = net_worth(self)
        self.government.fund.begin_month()

        run = self._run
        if self.mechanisms == "all":
            for lever in self.levers:
                run("levers", lever.apply)
            run("demography", demography.step)
            run("housing", housing.step)
            run("firm_dynamics.plan", firm_dynamics.plan)
            run("labour_market", labour_market.step)
            run("labour_market.informal", labour_market.informal_work)
            run("production", production.step)
            run("public_finance", public_finance.step)
            run("migration", migration.step)
            run("registration", registration.step)
            run("firm_dynamics.exit_and_close", firm_dynamics.exit_and_close)
            run("public_finance.close_month", public_finance.close_month)
        else:  # person_rules: the firms stay as built
            run("demography", demography.step)
            run("labour_market", labour_market.step, set_offers=False)
            run("migration", migration.step)
            run("registration", registration.step)

        run("checks", CityModel._check, pop_before, wealth_before)
        run("indicators", self.recorder.record_month)
        if self.month == 12:
            self._check_indicators_finite()
            run("compaction", CityModel.compact)

    def _run(self, name: str, mechanism: Callable, *args, **kwargs) -> None:
        """Run one mechanism on the model; with ``timings`` on, add its wall time to ``self.timings``
        and its CPU time to ``self.cpu_timings``."""
        try:
            if self.timings is None:
                mechanism(self, *args, **kwargs)
            else:
                t0, c0 = time.perf_counter(), time.process_time()
                mechanism(self, *args, **kwargs)
                self.timings[name] += time.perf_counter() - t0
                self.cpu_timings[name] += time.process_time() - c0
        except NonFiniteError as e:
            if str(e)[:4].isdigit():  # already located (the checks name the month themselves)
                raise
            raise NonFiniteError(f"{self.year}-{self.month:02d}: non-finite value in {name}: {e}") from None
        self._check_money_finite(name)

    def _check_money_finite(self, mechanism: str) -> None:
        """After each mechanism: the government's and the one-balance sectors' money is finite
        (cheap scalars; the agents' stocks are checked with the month's net worth)."""
        gov = self.government
        values = (gov.cash, gov.debt, gov.programme_debt, gov.fund.balance,
                  self.central.balance, self.row.balance, self.banks.balance, self.ssf.balance)
        if not math.isfinite(math.fsum(values)):
            names = ("city cash", "city debt", "city programme debt", "successor-industry fund",
                     "central government balance", "rest of world balance", "banks balance", "social security fund")
            bad = next(n for n, v in zip(names, values, strict=True) if not math.isfinite(v))
            raise NonFiniteError(f"{self.year}-{self.month:02d}: non-finite value in {mechanism}: {bad} became NaN or infinite")

    def _check_indicators_finite(self) -> None:
        """After each year's row: every indicator is a finite number."""
        row = self.recorder.rows[-1]
        bad = [k for k, v in row.items() if not math.isfinite(v)]
        if bad:
            raise NonFiniteError(
                f"{self.year}: non-finite indicator(s) {', '.join(bad[:5])}"
                f"{' and more' if len(bad) > 5 else ''} (value {row[bad[0]]})"
            )

    def compact(self) -> None:
        """Once a year: drop the rows of persons who died or left and of firms that exited.

        Firms that exited have no workers left (their workers were laid off), so only
        the employed persons' employer rows and last month's counts of workers per firm row
        (read by the next month's staffing, :func:`labour_market.whole_targets`) need renumbering.
        """
        self.persons.compact()
        row_map = self.firms.compact()
        kept = row_map >= 0
        for name in ("workers", "welfare_workers"):  # last month's counts per firm row, renumbered
            counts = getattr(self, name)
            if len(counts) == len(row_map):
                renumbered = np.zeros(int(kept.sum()))
                renumbered[row_map[kept]] = counts[kept]
                setattr(self, name, renumbered)
        employer = self.persons.view("employer")
        employed = np.flatnonzero(employer >= 0)
        employer[employed] = row_map[employer[employed]]
        if np.any(employer[employed] < 0):
            raise AccountingError(f"{self.year}: a person works for a firm that exited")

    def _check(self, pop_before: int, wealth_before: np.ndarray) -> None:
        c = self.counts
        tol = self.scenario.run.accounting.relative_tolerance
        wealth_after = net_worth(self)
        if not np.all(np.isfinite(wealth_after)):
            bad = ACCOUNT_NAMES[int(np.flatnonzero(~np.isfinite(wealth_after))[0])]
            raise NonFiniteError(f"{self.year}-{self.month:02d}: the {bad}' net financial wealth became NaN or infinite")
        msg_reg = registration.check(self)  # every month: its count is the next month's start
        msg_pop = check_population(
            pop_before, self.population, c["births"], c["deaths"], c["in"], c["out"]
        ) or msg_reg
        err, msg_sfc = check_stock_flow(wealth_before, wealth_after, self.ledger, tol)
        msg_fund = check_earmark(self.government.fund, self.ledger, tol)
        self.max_stock_flow_error = max(self.max_stock_flow_error, err)
        self.max_stock_flow_error_year = max(self.max_stock_flow_error_year, err)
        for kind, msg in (("population", msg_pop), ("stock_flow", msg_sfc), ("earmark", msg_fund)):
            if msg is None:
                continue
            self.violations[kind] += 1
            full = f"{self.year}-{self.month:02d}: {msg}"
            if self.strict:
                raise AccountingError(full)
            self.accounting_log.append(full)

    def run(self, progress=None) -> None:
        """Run every month from the start year to the end year.

        Args:
            progress: optional callable ``progress(steps_done, n_steps)``.
        """
        for i in range(self.n_steps):
            self.step()
            if progress is not None:
                progress(i + 1, self.n_steps)
        self.running = False

    def failure(self) -> str | None:
        """One line saying why the run failed its checks (the first violation and how many
        there were), or None if every check held."""
        if not self.accounting_log:
            return None
        n = len(self.accounting_log)
        more = f" (and {n - 1} more violation{'s' if n > 2 else ''})" if n > 1 else ""
        return f"accounting check failed: {self.accounting_log[0]}{more}"

    def accounting_summary(self) -> dict:
        """What the checks found over the run (written to the manifest)."""
        v = self.violations
        return {
            "ok": not self.accounting_log,
            "stock_flow_max_relative_error": self.max_stock_flow_error,
            "stock_flow_tolerance": self.scenario.run.accounting.relative_tolerance,
            "stock_flow_ok": v["stock_flow"] == 0,
            "population_identity_ok": v["population"] == 0,
            "earmarks_ok": v["earmark"] == 0,
            "violations": self.accounting_log[:50],
            "n_violations": len(self.accounting_log),
        }
