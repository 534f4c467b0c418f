"""Where each line of a generated job comes from: a map from the job's lines to the user's
file and line, for the code copied from `src/`.

Built from the job's text as rendered (before black formats it: black keeps the statements but
not their line breaks) and the copied blocks in the order the job holds them. `build`'s safety
net (jobcheck.py) reads it to point at the user's code; so can anything that meets a line
number of a generated job (a Spark error's call site).
"""

from __future__ import annotations

import ast
import bisect
import dataclasses
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


def map_sections(job: str, sections: Iterable) -> SourceMap:
    """The map of `job` as rendered from a plan's copied code (`plan.code`: sections with
    each block's text and first line in its file)."""
    return map_copied(
        job,
        [(s.source, line, block) for s in sections for line, block in zip(s.lines, s.texts)],
    )


@dataclass(frozen=True)
class FormattedMap:
    """Where the code of a formatted job comes from: black keeps every statement and
    expression of the rendered text (it checks that the syntax tree is unchanged) but moves
    them across lines, so the two trees are walked side by side."""

    by_position: dict[tuple[int, int], Location]  # (line, 0-based column) of the job
    by_line: dict[int, Location]

    def origin(self, line: int, column: int | None = None) -> Location | None:
        if column is not None and (line, column) in self.by_position:
            return self.by_position[line, column]
        return self.by_line.get(line)


def carry_over(source_map: SourceMap, rendered: str, formatted: str) -> FormattedMap:
    """The map of `formatted` (black's output of `rendered`, whose map is `source_map`)."""
    by_position: dict[tuple[int, int], Location] = {}
    by_line: dict[int, Location] = {}
    # A line where no node starts (`.count()` ending a call chain, where Python's traceback
    # points) maps through the smallest node that spans it.
    spanning: dict[int, tuple[int, Location]] = {}
    for ours, theirs in zip(ast.walk(ast.parse(formatted)), ast.walk(ast.parse(rendered))):
        if type(ours) is not type(theirs):
            raise ValueError("the formatted job is not the rendered one")
        line = getattr(ours, "lineno", None)
        if line is None:
            continue
        where = source_map.origin(theirs.lineno, theirs.col_offset + 1)
        if where is None:
            continue
        by_position.setdefault((line, ours.col_offset), where)
        by_line.setdefault(line, where)
        lines = ours.end_lineno - line
        same_layout = lines == theirs.end_lineno - theirs.lineno
        for offset in range(1, lines + 1):
            if spanning.get(line + offset, (lines + 1,))[0] > lines:
                moved = offset if same_layout else 0
                spanning[line + offset] = (
                    lines,
                    dataclasses.replace(where, line=where.line + moved, column=0),
                )
    for line, (_, where) in spanning.items():
        by_line.setdefault(line, where)
    return FormattedMap(by_position, by_line)
