"""The sectors of the city economy and the labour statuses of persons.

These are the model's structural categories (not parameters): each sector's
behaviour is set by its ``sectors.<name>`` block in the scenario file.
"""

from __future__ import annotations

SECTOR_NAMES: tuple[str, ...] = (
    "coal_mining",
    "coal_dependent_industry",
    "manufacturing",
    "agriculture",
    "construction",
    "services",
    "new_industry",
)
"""Sector names in index order; arrays over sectors use this order."""

N_SECTORS = len(SECTOR_NAMES)
COAL, COAL_DEP, MANUF, AGRI, CONSTR, SERV, NEW = range(N_SECTORS)
HEAVY_SECTORS = (COAL, COAL_DEP)
"""Sectors counted as the resource-based old economy (for the new-industry share)."""

# labour status codes (int8)
CHILD, STUDENT, EMPLOYED, UNEMPLOYED, RETIRED, INACTIVE = range(6)
STATUS_NAMES = ("child", "student", "employed", "unemployed", "retired", "inactive")

# ownership codes (int8)
PRIVATE, SOE, PUBLIC = range(3)
OWNERSHIP_NAMES = ("private", "soe", "public")

# housing codes (int8)
STANDARD, SHANTYTOWN, SUBSIDENCE, REHOUSED = range(4)
HOUSING_NAMES = ("standard", "shantytown", "subsidence", "rehoused")

SKILL_NAMES = ("low", "medium", "high")
