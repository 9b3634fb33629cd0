"""The direction of imports between the package's parts.

Dependencies run one way::

    cli, docs_gen -> calibration -> analysis -> experiment -> policy -> model -> scenario -> vocabulary
           cities ----------------------^
           dashboard -------------------^

Every import of a module of ``simulator`` (at the top of a file or inside a function, which
still is a dependency) is read from the source with ``ast``; an import is allowed only towards
a part further down :data:`LAYERS`, or within the same part. A test also walks the graph between
parts for cycles, so that the error names the circle when the layers are changed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli", "docs_gen"),
    ("calibration", "cities", "dashboard"),
    ("analysis",),
    ("experiment",),
    ("reference",),
    ("policy",),
    ("model",),
    ("scenario",),
    ("vocabulary", "__init__"),
)
"""Parts from the top (may import everything below) to the bottom (imports nothing of the package).
``__init__`` is the package's own ``__init__.py`` (its version)."""

RANK = {part: i for i, layer in enumerate(LAYERS) for part in layer}


def part_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _is_part(name: str) -> bool:
    return (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()


def imported_parts(path: Path) -> set[tuple[str, int]]:
    """The parts of ``simulator`` a file imports, with the line of each import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "simulator":  # from simulator import cli / __version__
                names = [f"simulator.{a.name}" if _is_part(a.name) else "simulator.__init__" for a in node.names]
            else:
                names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            bits = name.split(".")
            if bits[0] == "simulator":
                found.add((bits[1] if len(bits) > 1 else "__init__", node.lineno))
    return found


def edges() -> dict[tuple[str, str], str]:
    """(importer part, imported part) -> one place it happens (file:line)."""
    out: dict[tuple[str, str], str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        src = part_of(path)
        for dst, line in imported_parts(path):
            if dst != src:
                out.setdefault((src, dst), f"{path.relative_to(PACKAGE.parent)}:{line}")
    return out


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {part_of(p) for p in PACKAGE.rglob("*.py")}
    assert parts <= set(RANK), f"parts without a layer in LAYERS: {sorted(parts - set(RANK))}"


def test_imports_run_one_way() -> None:
    upward = [
        f"{src} imports {dst} ({where})"
        for (src, dst), where in sorted(edges().items())
        if RANK[dst] <= RANK[src] and not (RANK[dst] == RANK[src] and src == dst)
    ]
    assert not upward, "imports against the layers: " + "; ".join(upward)


def test_no_import_cycle_between_parts() -> None:
    graph: dict[str, set[str]] = {}
    for src, dst in edges():
        graph.setdefault(src, set()).add(dst)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_the_walker_sees_imports_inside_functions(tmp_path) -> None:
    f = tmp_path / "x.py"
    f.write_text("def g():\n    from simulator.policy.registry import LEVERS\n    import simulator.model.city\n", encoding="utf-8")
    assert imported_parts(f) == {("policy", 2), ("model", 3)}
