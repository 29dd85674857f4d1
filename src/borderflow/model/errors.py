"""Problems found in a scenario, each pointing at a file, a line and a field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Path = tuple[str | int, ...]


def dotted(path: Path) -> str:
    """The dotted field path used in error messages and in variants' `set`."""
    return ".".join(str(p) for p in path) or "(top)"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {dotted(self.path)}: {self.message}"


MAX_SHOWN = 50  # problems a message shows; the rest are counted ("... and 12 more problems")


class ScenarioError(Exception):
    """Bad input: one or more problems, each naming the file, line and field.

    `problems` holds every problem once, in file and line order; the message (and
    `borderflow validate`) shows the first MAX_SHOWN and says how many more there are.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(dict.fromkeys(problems),
                                     key=lambda p: (p.file, p.line, dotted(p.path))))
        super().__init__("\n".join(self.lines()))

    def lines(self, limit: int = MAX_SHOWN) -> list[str]:
        """The problems as shown: the first `limit`, then a line saying how many more."""
        shown = [str(p) for p in self.problems[:limit]]
        more = len(self.problems) - limit
        if more > 0:
            shown.append(f"... and {more} more problem{'s' if more > 1 else ''}")
        return shown


class UsageError(ScenarioError, ValueError):
    """A command-line flag (or the function argument of the same name) given a value that
    cannot be used. Bad input like any ScenarioError (the command exits 2), but it names the
    option, never a file or line: `--days: must be between 1 and ...`."""

    def __init__(self, option: str, message: str) -> None:
        self.option, self.message = option, message
        super().__init__([Problem("", 0, (option,), message)])

    def __str__(self) -> str:
        return f"{self.option}: {self.message}"
