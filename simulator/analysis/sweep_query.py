"""SQL over a sweep directory with DuckDB.

Two views are registered on an in-memory DuckDB connection:

* ``runs``: ``runs.parquet`` (one row per run; see the sweep format in
  :mod:`simulator.experiment.sweep`). A sweep killed before it could write
  the file gets a ``runs`` view built from its status records instead.
* ``series``: every ``parts/<run_id>.parquet`` (one row per run and year:
  ``run_id``, ``year`` and the indicator columns), for finished runs.

Join them on ``run_id``, e.g. the 2030 population by lever size, mean over seeds::

    SELECT r.fund_central, avg(s.population) AS population
    FROM series s JOIN runs r USING (run_id)
    WHERE s.year = 2030 GROUP BY 1 ORDER BY 1
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.experiment.sweep import PARTS_DIR, RUNS_FILE, open_sweep_dir, runs_table


class QueryError(Exception):
    """The SQL could not be run (syntax, unknown column, ...); the text is one line."""


@dataclass
class QueryResult:
    """Column names and rows of a query (rows as tuples of Python values).

    ``truncated`` is True if the query had more rows than were fetched.
    """

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def connect(sweep_dir: Path):
    """A DuckDB connection with the ``runs`` and ``series`` views of a sweep directory.

    Raises:
        SweepError: If *sweep_dir* is not a sweep directory.
    """
    import duckdb

    sd = open_sweep_dir(sweep_dir)
    con = duckdb.connect(":memory:")
    runs_file = sweep_dir / RUNS_FILE
    if runs_file.is_file():
        con.execute(f"CREATE VIEW runs AS SELECT * FROM read_parquet({_quote(runs_file)})")
    else:
        con.register("runs_from_records", runs_table(sd))
        con.execute("CREATE VIEW runs AS SELECT * FROM runs_from_records")
    if any((sweep_dir / PARTS_DIR).glob("*.parquet")):
        parts = sweep_dir / PARTS_DIR / "*.parquet"
        con.execute(f"CREATE VIEW series AS SELECT * FROM read_parquet({_quote(parts)}, union_by_name = true)")
    else:  # nothing finished yet: an empty view with the key columns
        con.execute("CREATE VIEW series AS SELECT NULL::VARCHAR AS run_id, NULL::BIGINT AS year WHERE false")
    return con


def run_query(sweep_dir: Path, sql: str, max_rows: int | None = None) -> QueryResult:
    """Run one SQL statement over a sweep directory's views.

    Args:
        sweep_dir: The sweep directory.
        sql: One SQL statement (DuckDB dialect).
        max_rows: Fetch at most this many rows (default: all).

    Raises:
        SweepError: If *sweep_dir* is not a sweep directory.
        QueryError: If DuckDB rejects the SQL.
    """
    import duckdb

    con = connect(sweep_dir)
    try:
        cur = con.execute(sql)
        if cur.description is None:  # a statement without a result (e.g. CREATE)
            return QueryResult([], [])
        columns = [d[0] for d in cur.description]
        if max_rows is None:
            return QueryResult(columns, cur.fetchall())
        rows = cur.fetchmany(max_rows + 1)
        return QueryResult(columns, rows[:max_rows], truncated=len(rows) > max_rows)
    except duckdb.Error as exc:
        raise QueryError(" ".join(str(exc).split())) from None
    finally:
        con.close()
