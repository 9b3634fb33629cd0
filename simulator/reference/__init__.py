"""Per-agent reference implementation of the person-level rules (test oracle and speed baseline).

See :mod:`simulator.reference.person_agents`.
"""

from simulator.reference.person_agents import INDICATORS, ReferenceModel, run_pair

__all__ = ["INDICATORS", "ReferenceModel", "run_pair"]
