"""Tables that fit the terminal: numbers are never cut (``20…``), text columns fold.

A command builds its table in more than one layout, widest first (e.g. one column per year,
then one row per scenario, indicator and year); :func:`print_fitting` prints the first that
fits the console's width without cutting a cell. Number columns are made with
``no_wrap=True`` (:func:`number_column`), so a layout that is too wide shows as an ellipsis
when rendered, and is passed over, rather than as a number folded over two lines.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

ELLIPSIS = "…"


def number_column(table: Table, header: str, **kwargs) -> None:
    """A right-aligned column of numbers that is never wrapped or folded."""
    table.add_column(header, justify=kwargs.pop("justify", "right"), no_wrap=True, **kwargs)


def text_column(table: Table, header: str, **kwargs) -> None:
    """A column of words that folds (breaks a long word) rather than being cut."""
    table.add_column(header, overflow="fold", **kwargs)


def render(table: Table, width: int) -> str:
    """The table as plain text at ``width`` columns."""
    probe = Console(width=width, file=io.StringIO(), color_system=None, highlight=False, emoji=False, legacy_windows=False)
    with probe.capture() as captured:
        probe.print(table, crop=False)  # a table wider than the console shows as long lines, not cropped ones
    return captured.get()


def fits(table: Table, width: int) -> bool:
    """True if the table prints in ``width`` columns with no cell cut short."""
    text = render(table, width)
    return ELLIPSIS not in text and all(cell_len(line) <= width for line in text.splitlines())


def print_fitting(console: Console, layouts: Iterable[Callable[[], Table]]) -> Table:
    """Print the first layout that fits the console's width (the last one if none does); returns it."""
    chosen = None
    for build in layouts:
        chosen = build()
        if fits(chosen, console.width):
            break
    if chosen is None:
        raise ValueError("no table layout given")
    console.print(chosen)
    return chosen
