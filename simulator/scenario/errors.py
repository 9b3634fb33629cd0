"""The one exception type for problems with a scenario (file, override or value)."""

from __future__ import annotations

import re

# every character that str.splitlines() treats as a line break
_LINE_BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class ScenarioError(Exception):
    """A problem with a scenario, located as precisely as known.

    ``str(err)`` is a single line such as
    ``scenarios/x.yaml:42: key 'run.scale': Input should be greater than or equal to 1, got -3``.

    Attributes:
        file: The file as the user named it (or ``--set`` / ``--seed`` /
            ``--scale`` for command-line values), ``None`` if unknown.
        line: 1-based line in ``file``, ``None`` if unknown.
        key: Dotted path of the key concerned (``labour.quit_rate_per_month``,
            list indices as numbers), ``None`` if the problem is not about a key.
        message: What is wrong or what was expected.
        suggestion: The key probably meant, for unknown (misspelt) keys.
        all_errors: Every problem found, each as a one-line text like
            ``str(err)``; the first is this error itself.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        suggestion: str | None = None,
        all_errors: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.key = key
        self.suggestion = suggestion
        self.all_errors: list[str] = list(all_errors) if all_errors is not None else [str(self)]

    def __str__(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        if self.key:
            parts.append(f"key '{self.key}'")
        text = self.message
        if self.suggestion:
            text += f"; did you mean '{self.suggestion}'?"
        parts.append(text)
        return _one_line(": ".join(parts))

    def __reduce__(self):  # keep the attributes when pickled (e.g. across processes)
        return (
            _rebuild,
            (self.message, self.file, self.line, self.key, self.suggestion, self.all_errors),
        )


def _rebuild(message, file, line, key, suggestion, all_errors) -> ScenarioError:
    return ScenarioError(
        message, file=file, line=line, key=key, suggestion=suggestion, all_errors=all_errors
    )
