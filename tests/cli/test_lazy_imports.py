"""Start-up and exit of the ``sim`` command: importing the command line loads none of the heavy
libraries, and the process freezes its objects before exiting (:class:`simulator.cli.main.ExitingTyper`).

The model (mesa, which pulls in pandas and scipy; numba) is imported when a command runs one,
the figures (matplotlib), tables (pyarrow, duckdb) and parallel runs (dask) by the commands that
use them, so that ``sim --help``, ``sim validate`` or ``sim levers`` start quickly. Checked in a
fresh interpreter: the test process itself has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

HEAVY = ("mesa", "pandas", "scipy", "numba", "matplotlib", "pyarrow", "duckdb", "dask", "SALib", "solara")
"""Libraries that ``import simulator.cli.main`` must not import."""


def loaded_after(statement: str) -> set[str]:
    """The top-level packages in ``sys.modules`` of a fresh interpreter after ``statement``."""
    code = f"import json, sys\n{statement}\njson.dump(sorted({{m.split('.')[0] for m in sys.modules}}), sys.stdout)\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(out.stdout))


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    loaded = loaded_after("import simulator.cli.main")
    assert "simulator" in loaded and "typer" in loaded  # the check sees the imports
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_walker_sees_a_heavy_import() -> None:
    assert "mesa" in loaded_after("import simulator.model.city")


def test_the_app_freezes_the_objects_before_the_process_exits() -> None:
    code = (
        "import gc, sys\n"
        "from simulator.cli.main import app\n"
        "sys.argv = ['sim', 'levers']\n"
        "try:\n"
        "    app()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(gc.get_freeze_count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    assert int(out.stdout.strip().splitlines()[-1]) > 0
