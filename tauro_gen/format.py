"""Stage 5 — format: black, with one fixed mode so every machine produces the same bytes.

`format_source(text)` returns exactly `black.format_str(text, mode=MODE)`, only faster when it
is called for many similar files. Black needs 0.1–0.25 s for one generated job, which made a
500-pipeline `build --all` spend minutes in it. But generated jobs are mostly the same code (the
scaffolding, node code shared by pipelines) and, for the rest, the same code with other names.
So a source is formatted one top-level statement ("chunk") at a time, and black's work on a
chunk is reused:

1. by the chunk's exact text (scaffolding, node code);
2. by its *shape*: names and string contents replaced by short placeholders. A logical line
   that black prints as it is, because it fits, is printed from its tokens alone; so the cached
   shape is reused when every line, with the real names put back, still fits;
3. for a line that does not fit, or that black splits anyway: by splitting the shape's own
   parsed line again with stand-ins of the originals' widths in its leaves (black decides by
   kinds and widths, never by what a name says), kept per line and widths. So a new width
   costs one `transform_line`, not a parse of the whole chunk;
4. failing that, by the shape with placeholders of the original lengths on those lines.

Black's own code does the rest as `format_str` would: the blank lines between statements come
from replaying black's `EmptyLineTracker` over the file's lines, and the target versions (which
decide some trailing commas) from the features of the whole file. Sources outside what this
reproduces — `# fmt:` directives, tabs, form feeds, CR line ends, encoding cookies, grammars
other than black's first choice, a top-level string that is not the module docstring, a
placeholder that does not come back where it went — go to `black.format_str` whole.
`bench/check_format.py` compares both on thousands of files.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

import black
from black.linegen import LineGenerator, transform_line
from black.lines import EmptyLineTracker, Line
from black.mode import FUTURE_FLAG_TO_FEATURE, VERSION_TO_FEATURES, Feature, TargetVersion
from blib2to3 import pygram
from blib2to3.pgen2 import driver, token
from blib2to3.pytree import Leaf, Node

# Black's defaults: `black --check build/` in a user's CI must agree with what we write.
MODE = black.Mode()


def format_source(source: str) -> str:
    return _FORMATTER.format(source)


class _Fallback(Exception):
    """This source (or chunk) is outside what the chunked path reproduces: use black."""


# -- splitting a module into top-level statements ----------------------------------------

_STRING = (
    r'(?:"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    r"|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')"
)
# Strings and comments: what hides brackets and line ends from a plain count.
_HIDDEN = re.compile(_STRING + r"|\#[^\n]*", re.DOTALL)
# Names (with the string they prefix, if any), strings, comments and numbers: the tokens a
# shape replaces or keeps. Each alternative starts with its own characters (fast skipping).
_TOKENS = re.compile(
    r"(?P<n>[A-Za-z_][A-Za-z0-9_]*)(?P<ns>" + _STRING + r")?"
    r"|(?P<s>" + _STRING + r")"
    r"|(?P<c>\#[^\n]*)"
    r"|(?P<d>(?:\d|\.\d)(?:[A-Za-z0-9_.]|(?<=[eE])[+-])*)",
    re.DOTALL,
)
_STRING_PREFIXES = frozenset(a + b for a in "rRbBuUfFtT" for b in ["", *"rRbBuUfFtT"])


def _kind(m: re.Match) -> str:
    """n (name), s (string, with its prefix), c (comment), d (number); "?" for a name glued
    to a string, which is not Python."""
    kind = m.lastgroup
    if kind == "ns":
        return "s" if m.group("n") in _STRING_PREFIXES else "?"
    return kind


_CONTINUES = re.compile(r"(?:else|elif|except|finally)\b")


# In strings and comments, brackets and backslashes mean nothing and a line end does not end
# a logical line (marked with \x01 at the start of the next line).
_HIDE = str.maketrans({**dict.fromkeys("()[]{}\\", "\0"), "\n": "\n\x01"})
_NOT_STRUCTURE = re.compile(r"[^()\[\]{}\n\\\x01]+")
_ROUND = str.maketrans("[]{}", "()()")


def _hide(match: re.Match) -> str:
    return match.group().translate(_HIDE)


@dataclass(frozen=True)
class _Chunk:
    blank_before: int  # blank lines between the previous chunk and this one
    text: str  # the statement with its leading comments, ending with a newline


def _split(source: str) -> list[_Chunk]:
    """Top-level statements, each with the comments black's parser attaches to it."""
    if not source.endswith("\n"):
        source += "\n"
    lines = source.split("\n")
    structure = _NOT_STRUCTURE.sub("", _HIDDEN.sub(_hide, source)).translate(_ROUND).split("\n")
    chunks: list[_Chunk] = []
    start: int | None = None  # first line of the chunk being built
    blank = 0
    block_indent: int | None = None  # indentation of the block opened by the last clause
    pending: list[tuple[int, bool, int]] = []  # blank/comment lines: (index, comment, indent)
    after_decorator = False
    depth = 0
    continued = False
    for index in range(len(lines) - 1):
        marks = structure[index]
        logical = not depth and not continued and not marks.startswith("\x01")
        if marks:
            depth += marks.count("(") - marks.count(")")
            if depth < 0:
                raise _Fallback("unbalanced brackets")
            continued = marks.endswith("\\")
        else:
            continued = False
        if not logical:
            continue
        line = lines[index]
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if not stripped or stripped[0] == "#":
            pending.append((index, bool(stripped), indent))
            continue
        if indent == 0 and not after_decorator and not _CONTINUES.match(stripped):
            if start is not None:
                pending = _close(chunks, lines, start, blank, pending, block_indent, index)
            first = _first_comment(pending)
            blank = first
            start = pending[first][0] if first < len(pending) else index
        elif start is None:
            raise _Fallback("indented first statement")
        if indent == 0:
            block_indent = None
        elif block_indent is None:
            block_indent = indent
        pending = []
        after_decorator = stripped[0] == "@"
    if depth or continued:
        raise _Fallback("unbalanced brackets")
    if start is not None:
        pending = _close(chunks, lines, start, blank, pending, block_indent, len(lines) - 1)
    first = _first_comment(pending)
    if first < len(pending):  # comments at the end of the file
        last = max(p[0] for p in pending if p[1])
        chunks.append(_Chunk(first, "\n".join(lines[pending[first][0] : last + 1]) + "\n"))
    if not chunks:
        raise _Fallback("no statements")
    return chunks


def _close(chunks, lines, start, blank, pending, block_indent, next_index) -> list:
    """End the current chunk before `next_index`, with the blank/comment lines after it that
    black's parser leaves in its block: each comment line indented at least as deep as the
    block (with the blank lines before it), up to the first one that is not. Return the
    pending lines that go to the next statement."""
    owned = 0
    if block_indent is not None:
        for position, (_, comment, indent) in enumerate(pending):
            if comment:
                if indent < block_indent:
                    break
                owned = position + 1
    if owned:
        end = pending[owned - 1][0] + 1
    else:
        end = pending[0][0] if pending else next_index
    chunks.append(_Chunk(blank, "\n".join(lines[start:end]) + "\n"))
    return pending[owned:]


def _first_comment(pending: list[tuple[int, bool, int]]) -> int:
    for position, entry in enumerate(pending):
        if entry[1]:
            return position
    return len(pending)


# -- shapes ------------------------------------------------------------------------------

# Names whose value black (or its parser) reads: never replaced.
_LITERAL_NAMES = (
    frozenset(keyword.kwlist)
    | frozenset(keyword.softkwlist)
    | {"print", "exec", "async", "await", "lazy", "__future__", "_"}
)
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALNUM = _LETTERS + "0123456789"
_SPECIAL = frozenset(" \t\n\r\f\v'\"")  # kept in string bodies: black's decisions read them
_RUN = re.compile(r"[^ \t\n\r\f\v'\"]+")
_NOT_SPECIAL = re.compile(r"[^ \t\n\r\f\v'\"]")
_PLACEHOLDERS: dict[tuple[int, int], str | None] = {}


def _placeholder(index: int, length: int) -> str | None:
    """The index-th name of exactly `length` characters (None when there is none)."""
    key = (index, length)
    if key not in _PLACEHOLDERS:
        if length == 1:
            name = _LETTERS[index] if index < len(_LETTERS) else None
        else:
            chars = []
            rest = index
            for _ in range(length - 1):
                rest, digit = divmod(rest, len(_ALNUM))
                chars.append(_ALNUM[digit])
            name = None if rest else "Q" + "".join(reversed(chars))
        _PLACEHOLDERS[key] = name
    return _PLACEHOLDERS[key]


@dataclass(frozen=True)
class _Shape:
    key: str  # the chunk with placeholders
    names: tuple[str, ...]  # the original of each replaced name, in order of occurrence
    strings: tuple[str | None, ...]  # original body of each string (None: left as it is)
    exact_names: frozenset  # names replaced by placeholders of their own length
    exact_strings: tuple[bool, ...]  # string bodies replaced character for character


def _string_parts(literal: str) -> tuple[str, str, str]:
    """(prefix and opening quotes, body, closing quotes) of a string literal."""
    start = len(literal) - len(literal.lstrip("rRbBuUfFtT"))
    quotes = 3 if literal[start : start + 3] in ('"""', "'''") else 1
    return literal[: start + quotes], literal[start + quotes : -quotes], literal[-quotes:]


def _shape(text: str, exact) -> _Shape | None:
    """`text` with placeholders: short ones (exact=False), of the original lengths
    (exact=True), or of the original lengths only for the names and string occurrences in
    exact=(names, string indexes)."""
    if not text.isascii():
        return None
    exact_names, exact_indexes = exact if isinstance(exact, tuple) else ((), ())
    out: list[str] = []
    names: list[str] = []
    strings: list[str | None] = []
    exact_strings: list[bool] = []
    assigned: dict[str, str] = {}
    used: set[str] = set()
    next_short = 0
    next_exact: dict[int, int] = {}
    position = 0
    for m in _TOKENS.finditer(text):
        kind = _kind(m)
        if kind == "?":
            return None
        if kind == "n":
            name = m.group()
            if name in _LITERAL_NAMES:
                continue
            placeholder = assigned.get(name)
            if placeholder is None:
                if exact is True or name in exact_names:
                    count = next_exact.get(len(name), 0)
                    while (placeholder := _placeholder(count, len(name))) in used:
                        count += 1
                    next_exact[len(name)] = count + 1
                else:
                    while True:
                        if next_short < len(_LETTERS):
                            placeholder = _LETTERS[next_short]
                        else:
                            placeholder = _placeholder(next_short - len(_LETTERS), 3)
                        next_short += 1
                        if placeholder not in used:
                            break
                    if placeholder is not None and len(placeholder) > len(name):
                        return None
                if placeholder is None:
                    return None
                assigned[name] = placeholder
                used.add(placeholder)
            out.append(text[position : m.start()])
            out.append(placeholder)
            position = m.end()
            names.append(name)
        elif kind == "s":
            head, body, tail = _string_parts(m.group())
            if "\\" in body or set(head.lower()) & {"b", "f", "t"} or not body.strip(" "):
                strings.append(None)
                exact_strings.append(True)
                continue
            char_for_char = exact is True or len(strings) in exact_indexes
            key_body = _NOT_SPECIAL.sub("x", body) if char_for_char else _RUN.sub("x", body)
            out.append(text[position : m.start()])
            if "'" in body or '"' in body:
                out.append(head)
                out.append(key_body)
                out.append(tail)
            else:
                # Black turns 'x' into "x" before anything else looks at it: write the key
                # that way, so that black's output for it is often the key itself.
                quote = '"""' if len(tail) == 3 else '"'
                out.append(head[: -len(tail)] + quote)
                out.append(key_body)
                out.append(quote)
            position = m.end()
            strings.append(body)
            exact_strings.append(char_for_char)
    out.append(text[position:])
    if not names and not any(strings):
        return None
    exact_set = frozenset(names) if exact is True else frozenset(exact_names) & frozenset(names)
    return _Shape("".join(out), tuple(names), tuple(strings), exact_set, tuple(exact_strings))


@dataclass(frozen=True)
class _Slot:
    """A place in black's output for a shape where an original name or string goes."""

    name: int | None  # index into _Shape.names
    string: int | None  # index into _Shape.strings
    literal: str = ""  # the output token, kept when the string was not replaced
    head: str = ""
    body: str = ""
    tail: str = ""
    unchanged: bool = False  # black printed the string body as it was in the key


def _replaceable(text: str) -> list[re.Match] | None:
    """The tokens of `text` a shape replaces, in order: names black does not read, and
    strings (None when a name is glued to a string, which is not Python)."""
    tokens = []
    for m in _TOKENS.finditer(text):
        kind = _kind(m)
        if kind == "?":
            return None
        if kind == "s" or (kind == "n" and m.group() not in _LITERAL_NAMES):
            tokens.append(m)
    return tokens


def _template(key: str, contents: list[list[str]]) -> list[list[list]] | None:
    """Black's output for a shape, cut where the originals go back (None if a token does not
    come out of black where it went in)."""
    key_tokens = _replaceable(key)
    if key_tokens is None:
        return None
    key_names = [m.group() for m in key_tokens if m.lastgroup == "n"]
    key_bodies = [_string_parts(m.group())[1] for m in key_tokens if m.lastgroup != "n"]
    names = strings = 0

    def slot_for(m: re.Match) -> _Slot | None:
        nonlocal names, strings
        if m.lastgroup == "n":
            if names >= len(key_names) or m.group() != key_names[names]:
                return None
            names += 1
            return _Slot(names - 1, None)
        if strings >= len(key_bodies):
            return None
        head, body, tail = _string_parts(m.group())
        unchanged = body == key_bodies[strings]
        strings += 1
        return _Slot(None, strings - 1, m.group(), head, body, tail, unchanged)

    template = [_cut_all(line_contents, slot_for) for line_contents in contents]
    if None in template or names != len(key_names) or strings != len(key_bodies):
        return None
    return template


def _cut_all(texts: list[str], slot_for) -> list[list] | None:
    cut = [_cut(text, slot_for) for text in texts]
    return None if None in cut else cut


def _cut(text: str, slot_for) -> list | None:
    """`text` cut at its replaceable tokens: the text between them, and for each token what
    `slot_for(match)` puts in its place (None if a token is not where it should be)."""
    tokens = _replaceable(text)
    if tokens is None:
        return None
    parts: list = []
    position = 0
    for m in tokens:
        slot = slot_for(m)
        if slot is None:
            return None
        parts.append(text[position : m.start()])
        parts.append(slot)
        position = m.end()
    parts.append(text[position:])
    return parts


def _fill(template: list[list[list]], shape: _Shape):
    """Black's output for the original chunk, from the template of its shape, and the string
    bodies as printed (None when the template does not fit the chunk)."""
    result = []
    strings: list[str | None] = [None] * len(shape.strings)
    for line_parts in template:
        mapped = []
        for parts in line_parts:
            out = []
            for part in parts:
                if part.__class__ is str:
                    out.append(part)
                elif part.name is not None:
                    out.append(shape.names[part.name])
                else:
                    original = shape.strings[part.string]
                    if original is None:
                        out.append(part.literal)
                        continue
                    if not part.unchanged:
                        exact = shape.exact_strings[part.string]
                        original = _restore_body(part.body, original, not exact)
                        if original is None:
                            return None
                    strings[part.string] = original
                    out.append(part.head)
                    out.append(original)
                    out.append(part.tail)
            mapped.append("".join(out))
        result.append(mapped)
    return result, tuple(strings)


def _restore_body(body: str, original: str, short: bool) -> str | None:
    """Black re-indents a docstring or pads it with a space; it touches nothing else."""
    pieces = _RUN.findall(original) if short else _NOT_SPECIAL.findall(original)
    between = body.split("x")
    if len(between) != len(pieces) + 1 or _NOT_SPECIAL.search("".join(between)):
        return None
    out = [between[0]]
    for piece, after in zip(pieces, between[1:]):
        out.append(piece)
        out.append(after)
    return "".join(out)


# -- black, one chunk at a time --------------------------------------------------------------

_GRAMMAR = pygram.python_grammar_async_keywords  # black's first choice when none is given
_SYMS = pygram.python_symbols


@dataclass
class _Info:
    """One chunk: what the file's target versions need from it, and its shapes."""

    features: frozenset
    future_names: frozenset
    only_future: bool  # every statement is a docstring or a __future__ import
    short: _Shape | None  # all placeholders short
    exact_length: _Shape | None | bool = False  # all of the original lengths (False: not yet)
    carried: _Shape | None = None  # known from the first pass (see _carry_over)


@dataclass
class _Formatted:
    lines: list[Line]  # black's logical lines, to replay the empty-line tracker over
    prefixes: list[str]  # each line's first-leaf prefix before the tracker consumed it
    contents: list[list[str]]  # what black printed for each logical line
    one_line: list[bool]  # printed as it is because it fits (nothing else could split it)
    as_is: list[bool]  # a lone one-line string: printed as it is, fits or not
    # Each line's leaves and comments as black's line generator left them, before splitting
    # mutated them: a line can be split again with other names in it (see _substituted).
    pristine: list[tuple]
    template: list | None | bool = False  # for a shape key (None: unusable; False: not yet)
    slots: list | None | bool = False  # per line, its placeholder leaves (see _leaf_slots)


@dataclass(frozen=True)
class _Result:
    """One chunk of a source, formatted."""

    formatted: _Formatted  # black's lines for the chunk or for its shape
    contents: list[list[str]]  # what black prints for the chunk itself, per logical line
    shape: _Shape | None  # the shape used, if any
    strings: tuple[str | None, ...]  # the string bodies as printed (for the second pass)
    # The shape's key printed the way this chunk is printed: `contents` with the key's
    # placeholders instead of the originals (None: the key's own output, formatted.contents).
    key_contents: list[list[str]] | None = None


class _ChunkFormatter:
    MAX_ENTRIES = 20_000  # per cache of texts and small results
    MAX_TREES = 2_000  # per cache holding parsed trees and black's lines (~50 KB each)

    def __init__(self) -> None:
        self._info: dict[str, _Info] = {}
        self._features: dict[str, tuple] = {}
        self._pristine: dict[str, Node] = {}  # parsed for features, not formatted yet
        self._formatted: dict[tuple, _Formatted] = {}
        self._exact: dict[tuple, _Result] = {}
        self._line_splits: dict[tuple, list | None] = {}  # see _substituted
        # How chunks were formatted (bench/ reports it): from the exact-text cache, by a
        # shape (carried from the first pass, short; "substituted" counts those of them with
        # lines split again by _substituted; mixed, exact-length), by black; and sources
        # that went to black whole.
        self.stats = dict.fromkeys(
            (
                "cached",
                "carried",
                "short",
                "substituted",
                "mixed",
                "exact_length",
                "black",
                "fallback",
            ),
            0,
        )

    def format(self, source: str) -> str:
        if not _unsupported(source):
            try:
                once, printed = self._format_once(_split(source))
                if once != source:  # black's second pass, as format_str does
                    once, _ = self._format_once(printed, first_pass=False)
                return once
            except _Fallback:
                pass
        self.stats["fallback"] += 1
        return black.format_str(source, mode=MODE)

    def _format_once(
        self, chunks: list[_Chunk], first_pass: bool = True
    ) -> tuple[str, list[_Chunk]]:
        """black's `_format_str_once`, chunk by chunk: the text and, after the first pass,
        its chunks as `_split` would cut it (each statement is printed where it was, so the
        second pass need not look for them again; it gets none back: there is no third)."""
        for chunk in chunks[1:]:
            if _starts_with_string(chunk.text):
                raise _Fallback("a top-level string that is not the module docstring")
        infos = [self._chunk_info(chunk.text) for chunk in chunks]
        features = self._features_for(infos)
        tracker = EmptyLineTracker(mode=MODE)
        results = []
        blocks = []
        for chunk, info in zip(chunks, infos):
            result = self._chunk(chunk.text, info, features)
            results.append((len(blocks), result))
            prefixes = result.formatted.prefixes
            contents = result.contents
            for index, line in enumerate(result.formatted.lines):
                if line.leaves:
                    line.leaves[0].prefix = (
                        "\n" * chunk.blank_before if index == 0 else prefixes[index]
                    )
                block = tracker.maybe_empty_lines(line)
                block.content_lines = contents[index]
                blocks.append(block)
        if not blocks:
            raise _Fallback("nothing to format")
        blocks[-1].after = 0
        printed_chunks = []
        for start, result in results if first_pass else ():
            own = blocks[start : start + len(result.contents)]
            text = _printed(result.contents, own)
            blank = own[0].before + (blocks[start - 1].after if start else 0)
            printed_chunks.append(_Chunk(blank, text))
            if result.shape is not None:
                self._carry_over(result, own, text)
        once = "".join(
            [
                "\n" * block.before + "".join(block.content_lines) + "\n" * block.after
                for block in blocks
            ]
        )
        return once, printed_chunks

    def _carry_over(self, result: _Result, blocks: list, text: str) -> None:
        """Black's second pass reads this chunk as we printed it (`text`): record that
        text's shape (black's output for the placeholder version, same names, same
        strings), so the pass finds it instead of scanning the text again."""
        if text in self._info:
            return
        shape = result.shape
        carried = _Shape(
            _printed(result.key_contents or result.formatted.contents, blocks),
            shape.names,
            result.strings,
            shape.exact_names,
            shape.exact_strings,
        )
        features, names, only_future = self._features_of(carried.key)
        self._remember(self._info, text, _Info(features, names, only_future, None, False, carried))

    @staticmethod
    def _features_for(infos: list[_Info]) -> tuple[frozenset, frozenset]:
        """What `_format_str_once` derives from black's `detect_target_versions`."""
        used = set().union(*(info.features for info in infos))
        future: set[str] = set()
        for info in infos:
            future |= info.future_names
            if not info.only_future:
                break
        used |= {FUTURE_FLAG_TO_FEATURE[f] for f in future if f in FUTURE_FLAG_TO_FEATURE}
        versions = [v for v in TargetVersion if used <= VERSION_TO_FEATURES[v]]

        def supported(*wanted: Feature) -> frozenset:
            return frozenset(
                f for f in wanted if all(f in VERSION_TO_FEATURES[v] for v in versions)
            )

        line_features = supported(
            Feature.PARENTHESIZED_CONTEXT_MANAGERS,
            Feature.UNPARENTHESIZED_EXCEPT_TYPES,
            Feature.T_STRINGS,
        )
        split_features = supported(Feature.TRAILING_COMMA_IN_CALL, Feature.TRAILING_COMMA_IN_DEF)
        return line_features, split_features

    def _chunk_info(self, text: str) -> _Info:
        info = self._info.get(text)
        if info is None:
            short = None if "__future__" in text else _shape(text, exact=False)
            exact_length = None if "__future__" in text else False
            # Names and string contents do not change which features a chunk uses, so the
            # shape (shared by many pipelines) is parsed rather than each pipeline's text.
            features, names, only_future = self._features_of(short.key if short else text)
            info = _Info(features, names, only_future, short, exact_length)
            self._remember(self._info, text, info)
        return info

    def _features_of(self, text: str) -> tuple:
        features = self._features.get(text)
        if features is None:
            node = _parse_chunk(text)
            only_future, names = _future_imports(node)
            features = (frozenset(black.get_features_used(node)), names, only_future)
            self._remember(self._features, text, features)
            self._remember(self._pristine, text, node, self.MAX_TREES)  # not parsed again
        return features

    def _chunk(self, text: str, info: _Info, features: tuple) -> _Result:
        cached = self._exact.get((text, features))
        if cached is not None:
            self.stats["cached"] += 1
            return cached
        result = rejected = None
        for kind in ("carried", "short", "mixed", "exact_length"):
            if kind == "carried":
                shape = info.carried
            elif kind == "short":
                shape = info.short
            elif kind == "mixed":
                # Original lengths for what is on the lines the short shape could not print.
                shape = _shape(text, exact=rejected) if rejected else None
            else:
                if info.exact_length is False:
                    info.exact_length = _shape(text, exact=True)
                shape = info.exact_length
            result, rejected = self._by_shape(shape, features)
            if result is not None:
                break
        else:
            kind = "black"
            formatted = self._formatted_chunk(text, features)
            result = _Result(formatted, formatted.contents, None, ())
        self.stats[kind] += 1
        self._remember(self._exact, (text, features), result)
        return result

    def _by_shape(self, shape: _Shape | None, features: tuple):
        """(black's output for the chunk from its shape's, None) or (None, what to print with
        placeholders of the original lengths: (names, string indexes), or None)."""
        if shape is None:
            return None, None
        try:
            formatted = self._formatted_chunk(shape.key, features)
        except _Fallback:
            return None, None
        if formatted.template is False:
            formatted.template = _template(shape.key, formatted.contents)
        if formatted.template is None:
            return None, None
        filled = _fill(formatted.template, shape)
        if filled is None:
            return None, None
        contents, strings = filled
        # A line with short placeholders: black printed it as it is because it fits; it
        # prints the original as it is too when that fits as well.
        limit = MODE.line_length + 1  # and the newline
        rejected_names: set[str] = set()
        rejected_strings: set[int] = set()
        rejected_lines: list[int] = []
        for index, line_parts in enumerate(formatted.template):
            if formatted.as_is[index] or (
                formatted.one_line[index] and len(contents[index][0]) <= limit
            ):
                continue
            rejected = False
            for parts in line_parts:
                for part in parts:
                    if part.__class__ is str:
                        continue
                    if part.name is not None:
                        name = shape.names[part.name]
                        if name not in shape.exact_names:
                            rejected_names.add(name)
                            rejected = True
                    elif (
                        shape.strings[part.string] is not None
                        and not shape.exact_strings[part.string]
                    ):
                        rejected_strings.add(part.string)
                        rejected = True
            if rejected:
                rejected_lines.append(index)
        if rejected_lines:
            split = self._substituted(formatted, shape, rejected_lines, features)
            if split is None:
                return None, (frozenset(rejected_names), frozenset(rejected_strings))
            self.stats["substituted"] += 1
            contents = list(contents)
            key_contents = list(formatted.contents)
            for index, (printed, key_printed) in split.items():
                contents[index] = printed
                key_contents[index] = key_printed
            return _Result(formatted, contents, shape, strings, key_contents), None
        return _Result(formatted, contents, shape, strings), None

    def _substituted(
        self, formatted: _Formatted, shape: _Shape, indexes: list[int], features: tuple
    ) -> dict[int, tuple[list[str], list[str]]] | None:
        """Black's output for some logical lines of the original chunk, and the same split
        with the key's placeholders (for the second pass), from the lines
        black's line generator made of its shape (None when a line cannot be rebuilt).

        Black decides how to split a line by its leaves' kinds and widths, never by what a
        name or a string says (names black reads, such as keywords, are never replaced),
        and its line generator's work on a name or a string does not depend on its width,
        except for the closing quotes of a long multi-line docstring (excluded below). So
        the shape's line, with stand-ins of the originals' widths in its leaves, splits
        exactly as the original line would, without parsing the original; and that split,
        kept per line and widths, serves every line of the same shape and widths.
        """
        if formatted.slots is False:
            formatted.slots = _leaf_slots(formatted, shape.key)
        if formatted.slots is None:
            return None
        split: dict[int, tuple[list[str], list[str]]] = {}
        for index in indexes:
            slots = formatted.slots[index]
            values: list[str] = []  # the original of each slot, as black prints it
            stand_ins: list[str] = []
            for leaf, kind, occurrence in slots:
                if kind == "n":
                    name = shape.names[occurrence]
                    values.append(name)
                    stand_ins.append(_stand_in_name(len(name)))
                    continue
                original = shape.strings[occurrence]
                if original is None:  # left as it was in the key
                    values.append(leaf.value)
                    stand_ins.append(leaf.value)
                    continue
                head, body, tail = _string_parts(leaf.value)
                real = _restore_body(body, original, not shape.exact_strings[occurrence])
                if real is None or (
                    "\n" in body and not _closing_quotes_fit(body, real, len(tail))
                ):
                    return None
                values.append(head + real + tail)
                stand_ins.append(head + _NOT_SPECIAL.sub("x", real) + tail)
            key = (shape.key, features, index, tuple(stand_ins))
            template = self._line_splits.get(key, False)
            if template is False:
                template = self._split_line(formatted, index, stand_ins, features)
                self._remember(self._line_splits, key, template)
            if template is None:
                return None
            placeholders = [leaf.value for leaf, _, _ in slots]
            split[index] = (_fill_line(template, values), _fill_line(template, placeholders))
        return split

    @staticmethod
    def _split_line(
        formatted: _Formatted, index: int, stand_ins: list[str], features: tuple
    ) -> list[list] | None:
        """Black's split of the shape's line `index` with `stand_ins` in its slots, as
        printed lines of text and slot numbers (None if a slot does not come out of black
        where it went in)."""
        slots = formatted.slots[index]
        try:
            for (leaf, _, _), value in zip(slots, stand_ins):
                leaf.value = value
            line = formatted.lines[index]
            printed = [str(out) for out in transform_line(line, mode=MODE, features=features[1])]
        finally:
            _restore(formatted.pristine[index])
        slot = 0

        def slot_for(m: re.Match) -> int | None:
            nonlocal slot
            if slot >= len(stand_ins) or m.group() != stand_ins[slot]:
                return None
            slot += 1
            return slot - 1

        template = _cut_all(printed, slot_for)
        return template if slot == len(stand_ins) else None

    def _formatted_chunk(self, text: str, features: tuple) -> _Formatted:
        cached = self._formatted.get((text, features))
        if cached is not None:
            return cached
        node = self._pristine.pop(text, None) or _parse_chunk(text)
        line_features, split_features = features
        generator = LineGenerator(mode=MODE, features=set(line_features))
        tracker = EmptyLineTracker(mode=MODE)  # consumes prefixes exactly as black does
        lines, prefixes, contents, one_line, as_is, pristine = [], [], [], [], [], []
        for line in generator.visit(node):
            prefixes.append(line.leaves[0].prefix if line.leaves else "")
            simple = _simple(line)
            lone_string = (
                len(line.leaves) == 1
                and line.leaves[0].type == token.STRING
                and "\n" not in line.leaves[0].value
                and not line.comments
            )
            tracker.maybe_empty_lines(line)
            snapshot = _snapshot(line)
            printed = [str(out) for out in transform_line(line, mode=MODE, features=split_features)]
            _restore(snapshot)
            pristine.append(snapshot)
            lines.append(line)
            contents.append(printed)
            one_line.append(simple and len(printed) == 1 and "\n" not in printed[0][:-1])
            as_is.append(lone_string and len(printed) == 1)
        formatted = _Formatted(lines, prefixes, contents, one_line, as_is, pristine)
        self._remember(self._formatted, (text, features), formatted, self.MAX_TREES)
        return formatted

    def _remember(self, cache: dict, key, value, limit: int = MAX_ENTRIES) -> None:
        if len(cache) >= limit:
            cache.clear()
            if cache is self._formatted:  # results point at its lines: drop them too
                self._exact.clear()
        cache[key] = value


def _snapshot(line: Line) -> tuple:
    """What splitting a line changes in its leaves and comments, to put back afterwards:
    brackets made visible, bracket depths, prefixes, comment kinds, and the leaves' places
    in the tree (black's "second opinion" on a split replaces them with copies)."""
    leaves = [
        (
            leaf,
            leaf.value,
            leaf.prefix,
            leaf.bracket_depth,
            leaf.opening_bracket,
            leaf.parent,
            leaf.parent.children.index(leaf) if leaf.parent is not None else -1,
        )
        for leaf in line.leaves
    ]
    comments = [
        (comment, comment.type, comment.value, comment.prefix)
        for attached in line.comments.values()
        for comment in attached
    ]
    return leaves, comments


def _restore(snapshot: tuple) -> None:
    leaves, comments = snapshot
    for leaf, value, prefix, depth, opening, parent, index in leaves:
        if parent is not None and leaf.parent is not parent:
            parent.set_child(index, leaf)
        leaf.value = value
        leaf.prefix = prefix
        leaf.bracket_depth = depth
        leaf.opening_bracket = opening
    for comment, kind, value, prefix in comments:
        comment.type = kind
        comment.value = value
        comment.prefix = prefix


def _leaf_slots(formatted: _Formatted, key: str) -> list | None:
    """Per logical line, its leaves that hold a placeholder name or a string of the key:
    (leaf, "n", occurrence of the name) or (leaf, "s", index of the string) — None when
    the leaves do not match the key's tokens one for one."""
    key_tokens = _replaceable(key)
    if key_tokens is None:
        return None
    key_names = [m.group() for m in key_tokens if m.lastgroup == "n"]
    strings = len(key_tokens) - len(key_names)
    names = seen_strings = 0
    slots = []
    for line in formatted.lines:
        line_slots = []
        for leaf in line.leaves:
            if leaf.type == token.NAME and leaf.value not in _LITERAL_NAMES:
                if names >= len(key_names) or leaf.value != key_names[names]:
                    return None
                line_slots.append((leaf, "n", names))
                names += 1
            elif leaf.type == token.STRING:
                line_slots.append((leaf, "s", seen_strings))
                seen_strings += 1
        slots.append(line_slots)
    if names != len(key_names) or seen_strings != strings:
        return None
    return slots


def _fill_line(template: list[list], values: list[str]) -> list[str]:
    return ["".join(p if p.__class__ is str else values[p] for p in parts) for parts in template]


def _stand_in_name(length: int) -> str:
    """A name of `length` characters that black has no reason to read."""
    return "Q" + "a" * (length - 1)


def _closing_quotes_fit(body: str, real: str, quotes: int) -> bool:
    """Black puts the closing quotes of a multi-line docstring on a line of their own
    when they would make its last line too long: a decision by width, so the key and
    the original must both be clear of it."""
    limit = MODE.line_length - quotes
    return len(body.rsplit("\n", 1)[-1]) <= limit and len(real.rsplit("\n", 1)[-1]) <= limit


def _printed(contents: list[list[str]], blocks: list) -> str:
    """A chunk's lines as its blocks print them, without the blank lines around it (the last
    block's lines after belong before the next chunk)."""
    parts = ["".join(contents[0]), "\n" * blocks[0].after]
    for index in range(1, len(blocks)):
        block = blocks[index]
        parts.append("\n" * block.before)
        parts.append("".join(contents[index]))
        parts.append("\n" * block.after)
    parts[-1] = ""
    return "".join(parts)


def _simple(line: Line) -> bool:
    """Nothing but its width can make black split this line (or keep a long one whole)."""
    if line.is_comment:
        return True
    return not (
        line.magic_trailing_comma
        or line.should_split_rhs
        or line.contains_uncollapsable_type_comments()
        or line.contains_unsplittable_type_ignore()
        or line.contains_standalone_comments()
        or line.contains_implicit_multiline_string_with_comments()
        or line.contains_multiline_strings()
    )


def _parse_chunk(text: str) -> Node:
    try:
        result = driver.Driver(_GRAMMAR).parse_string(text, False)
    except Exception as exc:  # noqa: BLE001 — any parse problem: black decides
        raise _Fallback(f"does not parse with black's first grammar: {exc}") from None
    if isinstance(result, Leaf):  # as black.parsing.lib2to3_parse does
        result = Node(_SYMS.file_input, [result])
    return result


def _future_imports(node: Node) -> tuple[bool, frozenset]:
    """(every statement is a docstring or a __future__ import, the names it imports): what
    black's `get_future_imports` needs to carry on into the next chunk."""
    only = True
    for child in node.children:
        if child.type == token.ENDMARKER:
            continue
        first = child.children[0] if isinstance(child, Node) and child.children else None
        if child.type != _SYMS.simple_stmt or first is None:
            only = False
        elif isinstance(first, Leaf):
            only = (
                len(child.children) == 2
                and first.type == token.STRING
                and child.children[1].type == token.NEWLINE
            )
        elif first.type == _SYMS.import_from:
            module = first.children[1]
            only = (
                first.children[0].type != token.LAZY
                and isinstance(module, Leaf)
                and module.value == "__future__"
            )
        else:
            only = False
        if not only:
            break
    return only, frozenset(black.get_future_imports(node))


_FIRST_CODE = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*([rRbBuUfFtT]{0,2}[\"'])?")


def _starts_with_string(text: str) -> bool:
    return _FIRST_CODE.match(text).group(1) is not None


def _unsupported(source: str) -> bool:
    head = "\n".join(source.lstrip().split("\n", 3)[:3])
    return (
        re.search(r"#[^\n]*(?:fmt|yapf):", source) is not None
        or "\r" in source
        or "\f" in source
        or "\t" in source
        or source.startswith("\ufeff")
        or "coding" in head
        or not source.strip()
    )


_FORMATTER = _ChunkFormatter()
