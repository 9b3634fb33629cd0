"""The sectors of the city economy and the labour statuses of persons.

These are the model's structural categories (not parameters): each sector's
behaviour is set by its ``sectors.<name>`` block in the scenario file.
"""

from __future__ import annotations

from simulator.vocabulary import SECTOR_NAMES, SKILL_NAMES

N_SECTORS = len(SECTOR_NAMES)
COAL, COAL_DEP, MANUF, AGRI, CONSTR, SERV, NEW = range(N_SECTORS)
HEAVY_SECTORS = (COAL, COAL_DEP)
"""Sectors counted as the resource-based old economy (for the new-industry share)."""
SECONDARY_SECTORS = (COAL, COAL_DEP, MANUF, CONSTR, NEW)
"""The statistics' secondary sector (mining, industry, utilities, construction); agriculture is
the primary, services (with public units and informal work) the tertiary."""

# labour status codes (int8)
CHILD, STUDENT, EMPLOYED, UNEMPLOYED, RETIRED, INACTIVE, INFORMAL = range(7)
SEEKING = (UNEMPLOYED, INFORMAL)  # statuses that search for a job (INFORMAL: in informal work, searching on)

# ownership codes (int8)
PRIVATE, SOE, PUBLIC = range(3)

# housing codes (int8)
STANDARD, SHANTYTOWN, SUBSIDENCE, REHOUSED = range(4)


# census age bands of the indicators (city and regions)
WORKING_AGES = (15, 59)  # structural: the census age band of the working-age population
OLD_AGE = 60  # structural: the census 60+ band
YOUNG_ADULT_AGES = (20, 34)  # structural: three census 5-year bands, the ages migration thins most

# constant per-sector parameters read every step, gathered once into arrays
SECTOR_ARRAY_FIELDS = (
    "local_consumption_share",
    "consumption_income_elasticity",
    "investment_goods_share",
    "intermediate_import_share",
    "services_input_share",
    "capital_per_worker_yuan",
    "relative_wage",
    "pension_coverage_share",
    "exit_after_loss_months_private",
    "exit_after_loss_months_soe",
    "price_adjustment_per_month",
    "price_cost_pass_through_per_month",
)


def sector_arrays(configs) -> dict:
    """Arrays over sectors of the constant ``SECTOR_ARRAY_FIELDS`` and the minimum skill."""
    import numpy as np

    arrays = {name: np.array([getattr(c, name) for c in configs], dtype=float) for name in SECTOR_ARRAY_FIELDS}
    arrays["min_skill"] = np.array([SKILL_NAMES.index(c.min_skill) for c in configs])
    return arrays


def sector_flags(sectors):
    """Boolean array over the sectors: True for the sector indices listed."""
    import numpy as np

    flags = np.zeros(N_SECTORS, bool)
    flags[list(sectors)] = True
    return flags
