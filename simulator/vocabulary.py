"""The shared vocabulary: the structural names that the scenario schema, the model and the
analysis all speak (not parameters). It imports nothing of the package, so that any package may
read it without depending on the model.
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

SKILL_NAMES: tuple[str, ...] = ("low", "medium", "high")
"""Skill levels in index order."""
