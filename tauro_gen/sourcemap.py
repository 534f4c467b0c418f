"""Where each line of a generated job comes from: a map from the job's lines to the user's
file and line, for the code copied from `src/`.

Built from the job's text as rendered (before black formats it: black keeps the statements but
not their line breaks) and the copied blocks in the order the job holds them. `build`'s safety
net (jobcheck.py) reads it to point at the user's code; so can anything that meets a line
number of a generated job (a Spark error's call site).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from .diagnostics import Location


@dataclass(frozen=True)
class Span:
    """Lines `start`..`end` (1-based, inclusive) of the job are lines `line`.. of `file`."""

    start: int
    end: int
    file: str
    line: int


@dataclass(frozen=True)
class SourceMap:
    spans: tuple[Span, ...]  # in job order, never overlapping

    def origin(self, line: int, column: int = 0) -> Location | None:
        """The user's file, line and column of a job's line (copied code sits at the same
        column in both), or None for a line of tauro-gen's own code."""
        index = bisect.bisect_right([span.start for span in self.spans], line) - 1
        if index < 0 or line > self.spans[index].end:
            return None
        span = self.spans[index]
        return Location(span.file, span.line + line - span.start, column)


def map_copied(job: str, copied: Iterable[tuple[str, int, str]]) -> SourceMap:
    """The map of `job`, which holds each copied `(file, first line, text)` verbatim, in the
    order given. A text not found is a bug in tauro-gen: ValueError."""
    spans = []
    cursor = 0
    for file, line, text in copied:
        found = job.find(text, cursor)
        if found < 0:
            raise ValueError(f"{file}:{line}: copied code not found in the job")
        start = job.count("\n", 0, found) + 1
        spans.append(Span(start, start + text.count("\n"), file, line))
        cursor = found + len(text)
    return SourceMap(tuple(spans))
