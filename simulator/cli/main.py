"""The ``sim`` command: thin Typer commands over library functions.

Each command lives in its own module and only parses options, calls the
library and prints. Bad input (a scenario file or option that does not
validate) ends with one message and exit code 2, never a traceback. Anything
unexpected ends with one line naming the exception and a log file holding the
full trace, and exit code 1 (:func:`simulator.cli.common.unexpected`).
"""

from __future__ import annotations

import gc

import typer
from rich.markup import escape
from typer.core import TyperGroup

from simulator.cli import calibrate as calibrate_cmd
from simulator.cli import compare as compare_cmd
from simulator.cli import dashboard as dashboard_cmd
from simulator.cli import diagnose as diagnose_cmd
from simulator.cli import discover as discover_cmd
from simulator.cli import fit as fit_cmd
from simulator.cli import hindcast as hindcast_cmd
from simulator.cli import levers as levers_cmd
from simulator.cli import new_city as new_city_cmd
from simulator.cli import optimise as optimise_cmd
from simulator.cli import query as query_cmd
from simulator.cli import report as report_cmd
from simulator.cli import run as run_cmd
from simulator.cli import sensitivity as sensitivity_cmd
from simulator.cli import sweep as sweep_cmd
from simulator.cli import validate as validate_cmd
from simulator.cli.common import EXIT_RUN_FAILED, err_console, fail, unexpected
from simulator.experiment.paths import UnsafePathError
from simulator.model.accounts import AccountingError


class GuardedGroup(TyperGroup):
    """The ``sim`` group: an exception that no command handled becomes one error line
    (exit 1) with the trace in a log file; a closed output pipe is left to Click, which
    stops quietly (exit 1, no log). Exits, aborts, usage errors, ``SystemExit`` and
    ``KeyboardInterrupt`` pass through as usual."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except BrokenPipeError:  # the output's reader went away (`sim ... | head`): Click stops quietly
            raise
        except UnsafePathError as exc:  # an output folder that would leave --out: bad input
            raise fail(str(exc)) from None
        except AccountingError as exc:  # a run stopped by its checks, in any command
            err_console.print(f"[bold red]error:[/] run stopped: {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(EXIT_RUN_FAILED) from None
        except Exception as exc:
            raise unexpected(exc) from None


class ExitingTyper(typer.Typer):
    """The ``sim`` application: calling it (the console script, ``python -m``) runs one command
    and the process then exits. Before it does, every object is moved to the collector's
    permanent generation (:func:`gc.freeze`): the interpreter's shutdown runs the cyclic
    garbage collector over all objects several times, about half a second after a run (mesa,
    pandas, scipy, numba and the model), only to free memory the operating system takes back
    at exit anyway. Objects are still released by reference counting as the modules are torn
    down. Tests invoke the command through Typer's ``CliRunner``, which does not call the app."""

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        finally:
            gc.freeze()


app = ExitingTyper(
    name="sim",
    cls=GuardedGroup,
    help="Resource-city transition scenario simulator (any coal city from its census; first city: Fuxin).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("run")(run_cmd.run)
app.command("validate")(validate_cmd.validate)
app.command("levers")(levers_cmd.levers)
app.command("fit")(fit_cmd.fit)
app.command("sweep")(sweep_cmd.sweep)
app.command("query")(query_cmd.query)
app.command("sensitivity")(sensitivity_cmd.sensitivity)
app.command("discover")(discover_cmd.discover)
app.command("calibrate")(calibrate_cmd.calibrate)
app.command("optimise")(optimise_cmd.optimise)
app.command("compare")(compare_cmd.compare)
app.command("report")(report_cmd.report)
app.command("diagnose")(diagnose_cmd.diagnose)
app.command("new-city")(new_city_cmd.new_city)
app.command("hindcast")(hindcast_cmd.hindcast)
app.command("dashboard")(dashboard_cmd.dashboard)


if __name__ == "__main__":  # pragma: no cover
    app()
