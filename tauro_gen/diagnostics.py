"""Located diagnostics: every problem we report names a file, a line, a column and a fix.

Stages never raise on a user's mistake; they add a `Diagnostic` to a `Report` and carry on, so
one run shows every error at once. Only the CLI decides what a report means for the exit code.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    """A position in a user's file; line and column are 1-based, 0 means 'whole file'."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column or 1}"
        return self.file


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    code: str
    location: Location
    message: str
    hint: str = ""

    def sort_key(self) -> tuple:
        return (self.location.file, self.location.line, self.location.column, self.code)

    def render(self, colour: bool = False) -> str:
        label = self.severity.value
        if colour:
            tint = "\033[1;31m" if self.severity is Severity.ERROR else "\033[1;33m"
            label = f"{tint}{label}\033[0m"
        text = f"{self.location}: {label}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_json(self) -> dict:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class Report:
    """Collects diagnostics from every stage; de-duplicates and sorts them for output."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, location: Location, message: str, hint: str = "") -> None:
        self.items.append(
            Diagnostic(Severity.ERROR, code, location, one_line(message), one_line(hint))
        )

    def warning(self, code: str, location: Location, message: str, hint: str = "") -> None:
        self.items.append(
            Diagnostic(Severity.WARNING, code, location, one_line(message), one_line(hint))
        )

    def extend(self, other: Report) -> None:
        self.items.extend(other.items)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    @property
    def error_count(self) -> int:
        return sum(1 for d in self.items if d.severity is Severity.ERROR)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.sorted() if d.severity is Severity.WARNING]

    def sorted(self) -> list[Diagnostic]:
        unique = {(d.severity, d.code, d.location, d.message, d.hint): d for d in self.items}
        return sorted(unique.values(), key=Diagnostic.sort_key)

    def to_json(self) -> str:
        return json.dumps([d.as_json() for d in self.sorted()], indent=2)


def line_column(text: str | bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in a file's text (or its bytes, for a decode
    error); editors and humans count from one."""
    newline = "\n" if isinstance(text, str) else b"\n"
    before = text[:offset]
    return before.count(newline) + 1, offset - (before.rfind(newline) + 1) + 1


def one_line(text: str) -> str:
    """A diagnostic is one line: a name with a newline or a tab in it is shown escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean' hint, or '' when nothing is close enough to be a likely typo."""
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else ""


def one_of(choices: Iterable[str]) -> str:
    return "one of: " + ", ".join(sorted(choices))
