"""`build`'s safety net: a job that cannot start is never written.

Before a job is formatted and written, its text is compiled and checked with pyflakes
(`checker.Checker`, the entry point flake8 uses too) for names nothing defines and
definitions that replace another unused one. Each finding is located in the user's code through the job's source map: a generator
must never write a file that fails at start with NameError, and the user must see which line
of theirs it comes from (TG312).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from pyflakes import checker, messages

from .diagnostics import Diagnostic, Location, Severity
from .sourcemap import SourceMap

# What makes a job fail at start or run other code than the user wrote. Unused imports and
# variables are left to the linters a user runs on their own code.
REFUSED = (
    messages.UndefinedName,
    messages.UndefinedLocal,
    messages.UndefinedExport,
    messages.RedefinedWhileUnused,
    messages.ImportShadowedByLoopVar,
    messages.DuplicateArgument,
)


class JobRefused(Exception):
    """Jobs that would not start: every finding, located (the CLI reports them, exit 2)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__(diagnostics)
        self.diagnostics = diagnostics

    def __str__(self) -> str:
        return "; ".join(d.render() for d in self.diagnostics)


@dataclass(frozen=True)
class CheckedJob:
    """What `check_job` found, and the job's parse tree (None when it does not compile),
    which the formatter reuses."""

    problems: tuple[Diagnostic, ...]
    tree: ast.Module | None


def check_job(text: str, path: str, source_map: SourceMap) -> CheckedJob:
    """What stops the job at `path` (its text as rendered) from starting, located in the
    user's code where the map knows the line, else in the job."""
    found: list[Diagnostic] = []
    errors: list[tuple[int, int, str]] = []
    flakes: list = []
    tree: ast.Module | None = None
    try:
        # Parsed once for the compiler, pyflakes' checker (`api.check` would parse again)
        # and the formatter. The compiler refuses more than the parser does, e.g. a
        # module-level nonlocal.
        tree = ast.parse(text, path)
        compile(tree, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        tree = None
        errors.append((exc.lineno or 0, exc.offset or 0, exc.msg))
    else:
        flakes = sorted(checker.Checker(tree, filename=path).messages, key=lambda m: m.lineno)
    for line, column, message in errors:
        found.append(_diagnostic(source_map, path, line, column, message, line))
    for flake in flakes:
        if not isinstance(flake, REFUSED):
            continue
        message, other = flake.message % flake.message_args, None
        if isinstance(flake, messages.RedefinedWhileUnused):
            # Both sides in one file of the user's: the module did the same, nothing changes
            # meaning. Else the copy made it: located where either side is the user's.
            name, other = flake.message_args
            first, second = source_map.origin(other, 1), source_map.origin(flake.lineno, 1)
            if first and second and first.file == second.file:
                continue
            first = first or f"line {other} of {path}"
            message = f"'{name}' defined again, replacing the unused '{name}' of {first}"
        found.append(_diagnostic(source_map, path, flake.lineno, flake.col + 1, message, other))
    return CheckedJob(tuple(found), tree)


def _diagnostic(
    source_map: SourceMap, path: str, line: int, column: int, message: str, other: int | None
) -> Diagnostic:
    where = source_map.origin(line, column)
    if where is None and other:
        where = source_map.origin(other, 1)
    if where is None:
        return Diagnostic(
            Severity.ERROR,
            "TG312",
            Location(path, line, column),
            f"the generated job would not start: {message}",
            "tauro-gen's own code is at fault: please report it",
        )
    return Diagnostic(
        Severity.ERROR,
        "TG312",
        where,
        f"copied into {path}, this code would stop the job at start: {message}",
        "define or import every name the node code uses at the top level of its module, "
        "and give each definition its own name",
    )
