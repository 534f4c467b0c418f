"""Stage 5 — format: black's default style, through black's public API only.

`format_job(parts)` returns exactly `black.format_str(whole_text, mode=MODE)`, where the whole
text is the parts joined. Black takes 0.1–0.25 s for one generated job, but most of a job is
code shared with other jobs of the project (the scaffolding, node code several pipelines use),
so the text is cut into top-level statements ("chunks"), each formatted once per process by
`black.format_str` and reused wherever the same text comes back. A part marked `formatted` is
copied as it is: it must already be black's output at that place of a job (the runtime code
stored black-formatted; tests/test_format.py compares whole jobs with black).

Two facts of black's documented style make the pieces add up to black's output of the whole
file, byte for byte (tests/test_format.py and bench/check_format.py check it on every golden
job and on a corpus of generated ones):

- Blank lines: black puts two blank lines before and after module-level functions and
  classes, and keeps up to two blank lines the author left between other module-level
  statements (one after an import, one after the module docstring). So the text is only cut
  before a module-level `def`, `class` or decorator that has a blank line above it, or before
  any other statement (with the comment lines right above it) that has two, when the
  statement before is neither an import nor the module docstring; there black's output has
  exactly two blank lines, and the statements on either side are formatted as if alone.
- Target versions: black infers them from the features the whole file uses, and a few
  decisions depend on them. Every job starts with `from __future__ import annotations`
  (Python 3.7+); node code can narrow that further (a `match` statement: 3.10+), which turns on
  parenthesized context managers (3.9+) and unparenthesized `except` types (3.14+) for the
  whole file. Each chunk is formatted after that same future import and before a probe
  function whose formatting shows which of the two black applied; when one chunk narrows the
  file, the others are formatted again with a statement that narrows them the same way.
  (These are the version-dependent features of black 26.10's `_format_str_once`, besides the
  trailing commas every Python 3.7+ file gets; see them again when moving the black pin.)

Anything outside this — no `from __future__ import annotations` in the first part, `# fmt:`
directives, tabs, form feeds, CR line ends, text Python's parser rejects — goes to
`black.format_str` whole.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import black

# Black's defaults: `black --check build/` in a user's CI must agree with what we write.
MODE = black.Mode()


class Part(NamedTuple):
    """A piece of a job's text; `formatted`: already black's output where it goes."""

    text: str
    formatted: bool = False


def format_source(text: str) -> str:
    return format_job([Part(text)])


def format_job(
    rendered: str | Sequence[Part | tuple[str, bool]], tree: ast.Module | None = None
) -> str:
    """black.format_str(the whole text, mode=MODE), from cached chunks where possible.

    `tree`: the whole text's parse tree, when the caller has one (build's safety net parses
    every job): its top-level statements are where the text is cut, instead of parsing
    each part again."""
    parts = [Part(rendered)] if isinstance(rendered, str) else [Part(*p) for p in rendered]
    return _FORMATTER.format(parts, tree)


class _Fallback(Exception):
    """This text is outside what chunked formatting reproduces: black formats it whole."""


# -- cutting a job into chunks ------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    text: str
    first: bool  # the start of the file (its module docstring and __future__ imports)
    formatted: bool  # copied as it is (a part marked formatted)
    # Its last statement is an import or the module docstring: black decides the blank lines
    # after it by that, so nothing is put after it in a batch.
    open_end: bool


@dataclass(frozen=True)
class _Statement:
    start: int  # first line (0-based), decorators included
    end: int  # line after its last line
    is_def: bool  # def, async def, class (decorated or not)
    is_import: bool
    is_docstring: bool  # a string statement at the start of the file
    part: int


_DEF_LINE = re.compile(r"(?:@|def\s|class\s|async\s+def\s)")


def _chunks(parts: list[Part], tree: ast.Module | None = None) -> list[_Chunk]:
    lines: list[str] = []
    statements: list[_Statement] = []
    in_tree = _statements_by_part(tree, parts) if tree is not None else None
    for index, part in enumerate(parts):
        if not part.text:
            continue
        offset = len(lines)
        part_lines = part.text.split("\n")
        if part_lines[-1] == "":
            part_lines.pop()
        elif index != len(parts) - 1:
            raise _Fallback("a part does not end with a line end")
        lines.extend(part_lines)
        if part.formatted:
            found = [_formatted_statement(part_lines, offset, index)]
        elif in_tree is not None:
            found = in_tree.get(index, [])
        else:
            found = _parsed_statements(part.text, offset, index, not statements)
        if not found:
            raise _Fallback("a part without statements")
        if any(line.strip() for line in lines[found[-1].end :]):
            # Comments after a part's last statement: black gives them to whatever comes
            # next. Not in any job tauro-gen writes.
            raise _Fallback("comment lines after the last statement of a part")
        statements.extend(found)
    if not statements or parts[statements[0].part].formatted:
        raise _Fallback("the file must start with text to format")
    if not _imports_future_annotations(statements, lines):
        raise _Fallback("no `from __future__ import annotations` at the top")

    cuts = [(0, statements[0].part)]
    for previous, statement in zip(statements, statements[1:]):
        cut = _cut_before(previous, statement, lines)
        if cut is not None:
            cuts.append((cut, statement.part))
        elif statement.part != previous.part and (
            parts[statement.part].formatted or parts[previous.part].formatted
        ):
            raise _Fallback("a formatted part does not start where black starts a block")
    ends = [begin for begin, _ in cuts[1:]] + [len(lines)]
    chunks = []
    for (begin, part), end in zip(cuts, ends):
        last = next(s for s in reversed(statements) if s.start < end)
        chunks.append(
            _Chunk(
                "\n".join(lines[begin:end]).rstrip("\n") + "\n",
                first=not chunks,
                formatted=parts[part].formatted,
                open_end=last.is_import or last.is_docstring,
            )
        )
    return chunks


def _parsed_statements(text: str, offset: int, part: int, at_start: bool) -> list[_Statement]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):  # black reports it
        raise _Fallback("not Python the parser accepts") from None
    return [
        _statement(node, offset, part, at_start and position == 0)
        for position, node in enumerate(tree.body)
    ]


def _statements_by_part(tree: ast.Module, parts: list[Part]) -> dict[int, list[_Statement]]:
    """The whole text's top-level statements, by the part each lies in (line numbers of the
    whole text). A statement that starts in one part and ends in another is outside what
    chunks reproduce, as that part would not parse alone."""
    ends: list[int] = []  # the line after each part, 0-based
    for part in parts:
        ends.append((ends[-1] if ends else 0) + part.text.count("\n"))
    found: dict[int, list[_Statement]] = {}
    for position, node in enumerate(tree.body):
        first = _first_line(node) - 1
        index = bisect.bisect_right(ends, first)
        if index == len(parts) or node.end_lineno > ends[index] + (index == len(parts) - 1):
            raise _Fallback("a statement across two parts")
        if not parts[index].formatted:
            found.setdefault(index, []).append(_statement(node, 0, index, position == 0))
    return found


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno


def _statement(node: ast.stmt, offset: int, part: int, may_be_docstring: bool) -> _Statement:
    return _Statement(
        start=offset + _first_line(node) - 1,
        end=offset + node.end_lineno,
        is_def=isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)),
        is_import=isinstance(node, (ast.Import, ast.ImportFrom)),
        is_docstring=may_be_docstring
        and isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str),
        part=part,
    )


def _formatted_statement(lines: list[str], offset: int, part: int) -> _Statement:
    """A formatted part as one statement: what its first and last lines of code say (black
    formatted it: its statements start at column 0)."""
    code = [n for n, line in enumerate(lines) if line[:1] not in ("", " ", "#", ")", "]", "}")]
    filled = [n for n, line in enumerate(lines) if line.strip()]
    if not code or lines[filled[-1]].startswith("#"):
        raise _Fallback("a formatted part without code, or ending in a comment")
    return _Statement(
        start=offset + code[0],
        end=offset + filled[-1] + 1,
        is_def=bool(_DEF_LINE.match(lines[code[0]])),
        is_import=bool(re.match(r"(?:import|from)\s", lines[code[-1]])),
        is_docstring=False,
        part=part,
    )


def _imports_future_annotations(statements: list[_Statement], lines: list[str]) -> bool:
    for statement in statements:
        if statement.is_docstring:
            continue
        text = " ".join(lines[statement.start : statement.end])
        if not re.match(r"from\s+__future__\s+import\b", text):
            return False
        if re.search(r"\bannotations\b", text):
            return True
    return False


def _cut_before(previous: _Statement, statement: _Statement, lines: list[str]) -> int | None:
    """The line to cut at before `statement` (its comment lines included), or None where
    black's blank lines before it depend on more than the blank lines above it."""
    if lines[statement.start][:1] in ("", " ", "\t") or previous.end > statement.start:
        return None  # not at the start of a line of its own
    top = statement.start
    while top > previous.end and lines[top - 1].startswith("#"):
        top -= 1
    gap = lines[previous.end : top]
    if any(line.strip() for line in gap):
        return None  # an indented comment: black may keep it in the block above
    if previous.is_import or previous.is_docstring:
        return None  # black decides by the statement before, not by the blank lines
    if statement.is_def and top == statement.start:
        return top if gap else None  # none: a stub overload may follow its stub
    return top if len(gap) >= 2 else None


# -- formatting chunks --------------------------------------------------------------------

# What a batch that does not start the file is formatted after: the job's own first import, so
# black infers the same target versions (Python 3.7+) for the chunks alone as for the file.
_PROLOGUE = "from __future__ import annotations\n"
# Between the chunks of a batch: a statement with two blank lines on either side (so each
# chunk starts as it does in the file), by which black's output is cut up again.
_MARKER = "_tauro_gen_chunk_{} = 0"
# After the last chunk: a function whose formatting says which version-dependent features
# black applied. The long `with` is wrapped in parentheses from Python 3.9 on; the parentheses
# around the exception types go from Python 3.14 on.
_PROBE_NAME = "_tauro_gen_target_versions_probe"
_PROBE = (
    f"def {_PROBE_NAME}():\n"
    "    with a as b, c as d, eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee as ff:\n"
    "        pass\n"
    "    try:\n"
    "        pass\n"
    "    except (E, F):\n"
    "        pass\n"
)
_WRAPPED_WITH = "    with (\n        a as b,\n"
_BARE_EXCEPT = "    except E, F:\n"
# Statements that narrow black's inference to Python 3.9+ and 3.14+, added to the probe
# function when another chunk of the file narrows it that far.
_NARROWING = {
    0: "",
    1: "    with (aa as bb, cc as dd):\n        pass\n",
    2: "    with (aa as bb, cc as dd):\n        pass\n    t'x'\n",
}


class _ChunkFormatter:
    """Black's output per chunk, kept for the process (forked workers inherit a copy, so
    each worker warms its own).

    A chunk's output depends on its text and on the narrowing black applies to the whole
    file (0: Python 3.7+, 1: 3.9+, 2: 3.14+), which is the greatest of its chunks' own.
    The chunks a job still needs are formatted in at most two calls to black ("batches"):
    those black likely leaves as they are and the others (`_by_stability`), since black
    formats its whole input again when its first pass changed anything.
    """

    MAX_ENTRIES = 50_000

    def __init__(self) -> None:
        self._outputs: dict[tuple[str, bool, int], str] = {}  # (text, first, narrowing)
        self._narrowing: dict[tuple[str, bool], int] = {}  # a chunk's own, when known
        self.calls = 0  # calls to black.format_str for chunks (benchmark, tests)
        self.whole_files = 0  # texts black formatted whole (see the module docstring)

    def format(self, parts: list[Part], tree: ast.Module | None = None) -> str:
        whole = "".join(part.text for part in parts)
        if len(self._outputs) >= self.MAX_ENTRIES:  # between jobs: a job's entries stay
            self._outputs.clear()
        try:
            if _unsupported(whole):
                raise _Fallback("outside what chunks reproduce")
            chunks = _chunks(parts, tree)
            level = self._level(chunks)
        except _Fallback:
            self.whole_files += 1
            return black.format_str(whole, mode=MODE)
        outputs = [
            chunk.text if chunk.formatted and level == 0 else self._outputs[_key(chunk, level)]
            for chunk in chunks
        ]
        return "\n\n\n".join(text.rstrip("\n") for text in outputs) + "\n"

    def _level(self, chunks: list[_Chunk]) -> int:
        """The file's narrowing, with every chunk's output at it in the cache."""
        level = max(self._narrowing.get(_ident(chunk), 0) for chunk in chunks)
        for _ in range(4):
            missing = [
                chunk
                for chunk in chunks
                if not (chunk.formatted and level == 0) and _key(chunk, level) not in self._outputs
            ]
            if not missing:
                return level
            found = max(self._batch(group, level) for group in _by_stability(missing) if group)
            if found > level and len(missing) > 1 and level == 0:
                # Which chunk narrows the file? Each one's own narrowing, once.
                for chunk in missing:
                    self._batch([chunk], 0)
                found = max(self._narrowing.get(_ident(chunk), 0) for chunk in chunks)
            level = max(level, found)
        raise _Fallback("the target versions do not settle")

    def _batch(self, chunks: list[_Chunk], level: int) -> int:
        """Format chunks in one call to black with the file's narrowing at least `level`;
        keep their outputs and return the narrowing black applied."""
        order = sorted(chunks, key=lambda chunk: (not chunk.first, chunk.open_end))
        if any(chunk.open_end for chunk in order[:-1]) or any(c.first for c in order[1:]):
            raise _Fallback("chunks that cannot share a batch")
        head = "" if order[0].first else _PROLOGUE + "\n\n"
        markers = [_MARKER.format(index) for index in range(len(order) - 1)]
        pieces = [head]
        for index, chunk in enumerate(order):
            pieces.append(chunk.text)
            pieces.append(f"\n\n{markers[index]}\n\n\n" if index < len(markers) else "\n\n")
        pieces.append(_PROBE + _NARROWING[level])
        try:
            output = black.format_str("".join(pieces), mode=MODE)
        except Exception as exc:  # noqa: BLE001 — black's own error: it says it again, whole
            raise _Fallback(str(exc)) from None
        self.calls += 1
        if head:
            if not output.startswith(_PROLOGUE):
                raise _Fallback("the prologue did not come back")
            output = output[len(_PROLOGUE) :]
        probe_at = output.rfind(f"\n\n\ndef {_PROBE_NAME}():\n")
        if probe_at < 0:
            raise _Fallback("the probe did not come back")
        probe = output[probe_at:]
        wrapped, bare = _WRAPPED_WITH in probe, _BARE_EXCEPT in probe
        if bare and not wrapped:
            raise _Fallback("unexpected target versions")
        found = 2 if bare else 1 if wrapped else 0
        cut = [f"\n\n\n{marker}\n\n\n" for marker in markers]
        texts = _split_at(output[:probe_at], cut)
        for chunk, text in zip(order, texts):
            self._outputs[_key(chunk, found)] = text.strip("\n") + "\n"
            if found == 0 or len(order) == 1 and level == 0:
                self._narrowing[_ident(chunk)] = found
        return found


def _by_stability(chunks: list[_Chunk]) -> tuple[list[_Chunk], list[_Chunk]]:
    """The chunks black will likely leave as they are, and the others, for separate calls.

    Only a matter of speed: `black.format_str` formats its input a second time whenever
    the first pass changed anything, so one changed chunk doubles the cost of its whole
    batch. The text render writes is black's layout except where black's choice depends on
    line lengths; a code line longer than black's limit is the usual sign (comment and
    docstring lines black never wraps), and a bracket opened at the end of a line that
    would fit on one line with what is inside it (render lays out every call chain one
    call per line, black joins a chain that fits). A wrong guess costs time, never
    bytes."""
    stable: list[_Chunk] = []
    unstable: list[_Chunk] = []
    for chunk in chunks:
        (unstable if _may_be_rewritten(chunk.text) else stable).append(chunk)
    return stable, unstable


def _may_be_rewritten(text: str) -> bool:
    lines = text.split("\n")
    in_docstring = False
    for number, line in enumerate(lines):
        prose = in_docstring or line.lstrip().startswith(("#", '"""'))
        if line.count('"""') % 2 == 1:
            in_docstring = not in_docstring
        if prose:
            continue
        if len(line) > MODE.line_length or line.endswith("(") and _fits_joined(lines, number):
            return True
    return False


def _fits_joined(lines: list[str], opening: int) -> bool:
    """Whether the bracket opened at the end of `lines[opening]`, with what is inside it
    and its closing line, would fit on one line (without the brackets when they only
    group, as black drops them after `return` or `=`)."""
    indent = len(lines[opening]) - len(lines[opening].lstrip())
    closing = " " * indent + ")"
    grouping = lines[opening].endswith(" (") or lines[opening].strip() == "("
    length = len(lines[opening]) + len(closing) - indent - 2 * grouping
    for number, line in enumerate(lines[opening + 1 :]):
        if line.startswith(closing):
            return length <= MODE.line_length
        # A space between joined lines, except after the bracket and before a `.`.
        length += len(line.strip()) + (number > 0 and not line.lstrip().startswith("."))
        if length > MODE.line_length:
            return False
    return False


def _ident(chunk: _Chunk) -> tuple[str, bool]:
    return (chunk.text, chunk.first)


def _key(chunk: _Chunk, level: int) -> tuple[str, bool, int]:
    return (chunk.text, chunk.first, level)


def _split_at(text: str, separators: list[str]) -> list[str]:
    """`text` cut at each separator, which must occur exactly once, in order."""
    pieces = []
    for separator in separators:
        if text.count(separator) != 1:
            raise _Fallback("a marker did not come back exactly once")
        piece, text = text.split(separator)
        pieces.append(piece)
    pieces.append(text)
    return pieces


def _unsupported(text: str) -> bool:
    return (
        re.search(r"#[^\n]*(?:fmt|yapf):", text) is not None
        or "\r" in text
        or "\f" in text
        or "\t" in text
        or text.startswith("\ufeff")
        or not text.strip()
    )


_FORMATTER = _ChunkFormatter()
