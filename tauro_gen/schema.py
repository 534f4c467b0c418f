"""Declared schemas: parse Spark DDL or a YAML field list into a plain model, emit code for it.

The generator runs on a laptop at build time, so nothing here may need Spark or a JVM: the
grammar of Spark's DDL (``StructType.fromDDL`` / ``spark.read.schema("...")``) is re-implemented
in pure Python and checked against real Spark by the tests. Parsing yields frozen dataclasses
whose equality is stable (type aliases are normalised), and the model can be turned back into
canonical DDL, into the source of a ``pyspark.sql.types.StructType`` literal for a generated
script, and into the JSON shape of ``StructType.jsonValue()``.

Where tauro-gen is deliberately stricter than Spark, it is to catch mistakes early: an empty
schema, duplicate column names (Spark resolves names case-insensitively, so ``id`` and ``ID``
clash), an empty column name and ``DECIMAL(0, 0)`` are rejected.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn, TypeGuard

from .diagnostics import line_column

__all__ = [
    "ArrayType",
    "CharType",
    "DataType",
    "DecimalType",
    "Field",
    "MapType",
    "PrimitiveType",
    "SchemaError",
    "StructType",
    "VarcharType",
    "from_json",
    "parse_ddl",
    "parse_field_list",
    "parse_type",
    "to_ddl",
    "to_json",
    "to_python",
    "type_names_used",
    "type_to_ddl",
]

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class SchemaError(ValueError):
    """A user's schema is wrong; the message says what and how to fix it.

    ``offset`` is the 0-based character offset into the DDL text (``parse_ddl``/``parse_type``);
    ``index`` and ``key`` locate the list item and its key (``parse_field_list``; ``from_json``
    puts a path such as ``fields[2].type`` in ``key``). Attributes that do not apply are None,
    so callers can test them without ``getattr``.
    """

    def __init__(
        self,
        message: str,
        offset: int | None = None,
        *,
        index: int | None = None,
        key: str | None = None,
        text: str | None = None,
    ) -> None:
        self.message = message
        self.offset = offset
        self.index = index
        self.key = key
        self.text = text
        super().__init__(self._render())

    def _render(self) -> str:
        """One line, so it fits a diagnostic; the position is appended for multi-line DDL."""
        if self.offset is not None and self.text is not None:
            line, column = line_column(self.text, self.offset)
            return f"{self.message} (line {line}, column {column})"
        if self.offset is not None:
            return f"{self.message} (at character {self.offset})"
        if self.index is not None:
            where = f"item {self.index}" + (f", key '{self.key}'" if self.key else "")
            return f"{self.message} ({where})"
        if self.key is not None:
            return f"{self.message} (at {self.key})"
        return self.message

    def excerpt(self) -> str:
        """The offending DDL line with a caret under the problem, for terminal output."""
        if self.offset is None or self.text is None:
            return ""
        line, column = line_column(self.text, self.offset)
        source = self.text.split("\n")[line - 1].rstrip("\r")
        return f"{source}\n{' ' * (column - 1)}^"


# --------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------

# Canonical primitive name -> (Spark JSON name, DDL keyword, pyspark class name).
_PRIMITIVES: dict[str, tuple[str, str, str]] = {
    "string": ("string", "STRING", "StringType"),
    "boolean": ("boolean", "BOOLEAN", "BooleanType"),
    "byte": ("byte", "TINYINT", "ByteType"),
    "short": ("short", "SMALLINT", "ShortType"),
    "int": ("integer", "INT", "IntegerType"),
    "long": ("long", "BIGINT", "LongType"),
    "float": ("float", "FLOAT", "FloatType"),
    "double": ("double", "DOUBLE", "DoubleType"),
    "date": ("date", "DATE", "DateType"),
    "timestamp": ("timestamp", "TIMESTAMP", "TimestampType"),
    "timestamp_ntz": ("timestamp_ntz", "TIMESTAMP_NTZ", "TimestampNTZType"),
    "binary": ("binary", "BINARY", "BinaryType"),
}

# Every spelling Spark accepts for a primitive, mapped to its canonical name.
_PRIMITIVE_ALIASES: dict[str, str] = {
    **{name: name for name in _PRIMITIVES},
    "tinyint": "byte",
    "smallint": "short",
    "integer": "int",
    "bigint": "long",
    "real": "float",
    "timestamp_ltz": "timestamp",
}
_DECIMAL_NAMES = frozenset({"decimal", "dec", "numeric"})
_CHAR_NAMES = frozenset({"char", "character"})
_COMPLEX_NAMES = frozenset({"array", "map", "struct"})
# Valid Spark types the model cannot carry; named so the error does not claim they don't exist.
_UNSUPPORTED = frozenset(
    {"void", "interval", "variant", "time", "object", "geometry", "geography", "null"}
)
_KNOWN_TYPE_NAMES = sorted(
    {*_PRIMITIVE_ALIASES, *_DECIMAL_NAMES, *_CHAR_NAMES, *_COMPLEX_NAMES, "varchar"}
)
_MAX_PRECISION = 38
_MAX_LENGTH = 2**31 - 1


def _require(condition: bool, message: str) -> None:
    """Constructor checks raise SchemaError so callers need to catch only one exception type."""
    if not condition:
        raise SchemaError(message)


def _is_int(value: object) -> TypeGuard[int]:
    """bool is an int subclass, but ``DecimalType(True, False)`` is always a mistake."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class PrimitiveType:
    """A parameterless Spark type; aliases are normalised (``bigint`` -> ``long``)."""

    name: str

    def __post_init__(self) -> None:
        _require(isinstance(self.name, str), f"type name must be a string, got {self.name!r}")
        canonical = _PRIMITIVE_ALIASES.get(self.name.lower())
        _require(canonical is not None, f"'{self.name}' is not a primitive Spark type")
        object.__setattr__(self, "name", canonical)


@dataclass(frozen=True)
class DecimalType:
    """Fixed-point number; bare ``decimal`` means DECIMAL(10, 0) as in Spark."""

    precision: int = 10
    scale: int = 0

    def __post_init__(self) -> None:
        _require(
            _is_int(self.precision) and 1 <= self.precision <= _MAX_PRECISION,
            f"DECIMAL precision must be between 1 and {_MAX_PRECISION}, got {self.precision!r}",
        )
        _require(
            _is_int(self.scale) and 0 <= self.scale <= self.precision,
            f"DECIMAL scale must be between 0 and the precision ({self.precision}), "
            f"got {self.scale!r}",
        )


def _check_length(kind: str, length: object) -> None:
    _require(
        _is_int(length) and 0 <= length <= _MAX_LENGTH,
        f"{kind} length must be between 0 and {_MAX_LENGTH}, got {length!r}",
    )


@dataclass(frozen=True)
class VarcharType:
    """String with a maximum length, checked by Spark on write (pyspark ``VarcharType``)."""

    length: int

    def __post_init__(self) -> None:
        _check_length("VARCHAR", self.length)


@dataclass(frozen=True)
class CharType:
    """Fixed-length, space-padded string (pyspark ``CharType``)."""

    length: int

    def __post_init__(self) -> None:
        _check_length("CHAR", self.length)


@dataclass(frozen=True)
class ArrayType:
    """Array of ``element``; DDL cannot say ``contains_null=False``, JSON and code can."""

    element: DataType
    contains_null: bool = True

    def __post_init__(self) -> None:
        _require(
            _is_data_type(self.element),
            f"array element must be a type: {self.element!r}",
        )
        _require(isinstance(self.contains_null, bool), "contains_null must be True or False")


@dataclass(frozen=True)
class MapType:
    """Map from ``key`` to ``value``; map keys are never null in Spark, values may be."""

    key: DataType
    value: DataType
    value_contains_null: bool = True

    def __post_init__(self) -> None:
        _require(_is_data_type(self.key), f"map key must be a type: {self.key!r}")
        _require(_is_data_type(self.value), f"map value must be a type: {self.value!r}")
        _require(
            isinstance(self.value_contains_null, bool),
            "value_contains_null must be True or False",
        )


@dataclass(frozen=True)
class Field:
    """One column (or nested struct field) with its optional documentation comment."""

    name: str
    type: DataType
    nullable: bool = True
    comment: str | None = None

    def __post_init__(self) -> None:
        _require(
            isinstance(self.name, str),
            f"column name must be a string, got {self.name!r}",
        )
        _require(self.name != "", "column name must not be empty")
        _require(
            _is_data_type(self.type),
            f"column '{self.name}' needs a type: {self.type!r}",
        )
        _require(isinstance(self.nullable, bool), "nullable must be True or False")
        _require(
            self.comment is None or isinstance(self.comment, str),
            "comment must be a string",
        )


@dataclass(frozen=True)
class StructType:
    """An ordered set of fields; names are unique ignoring case, as Spark resolves them."""

    fields: tuple[Field, ...] = ()

    def __post_init__(self) -> None:
        _require(
            isinstance(self.fields, Sequence) and not isinstance(self.fields, str),
            "struct fields must be a sequence of Field",
        )
        object.__setattr__(self, "fields", tuple(self.fields))
        seen: set[str] = set()
        for field in self.fields:
            _require(isinstance(field, Field), f"struct fields must be Field, got {field!r}")
            folded = _fold(field.name)
            _require(folded not in seen, f"duplicate column name '{field.name}'")
            seen.add(folded)

    @property
    def names(self) -> list[str]:
        """Column names in order, like pyspark's ``StructType.names``."""
        return [field.name for field in self.fields]


DataType = PrimitiveType | DecimalType | VarcharType | CharType | ArrayType | MapType | StructType
_DATA_TYPES = (
    PrimitiveType,
    DecimalType,
    VarcharType,
    CharType,
    ArrayType,
    MapType,
    StructType,
)


def _is_data_type(value: object) -> bool:
    return isinstance(value, _DATA_TYPES)


def _fold(name: str) -> str:
    """Spark's default (spark.sql.caseSensitive=false) comparison of column names."""
    return name.lower()


# --------------------------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------------------------

_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_PUNCTUATION = frozenset("<>(),:")
# Words Spark lexes as numeric literals rather than identifiers (it rejects them as names).
_NUMERIC_LITERAL = re.compile(r"\d+(?:[lsydf]|bd)?|\d+e\d+(?:[df]|bd)?", re.IGNORECASE)
_SIMPLE_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


@dataclass(frozen=True)
class _Token:
    """kind: 'word' (bare identifier/keyword/number), 'quoted' (backquoted name), 'string',
    'punct' or 'eof'; ``value`` is already unescaped."""

    kind: str
    value: str
    offset: int

    def describe(self) -> str:
        if self.kind == "eof":
            return "the end of the text"
        if self.kind == "string":
            return "a quoted string"
        if self.kind == "quoted":
            return f"`{self.value}`"
        return f"'{self.value}'"

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.value.lower() in words

    def is_punct(self, char: str) -> bool:
        return self.kind == "punct" and self.value == char


class _Lexer:
    """Splits DDL into tokens, skipping whitespace and SQL comments (``--`` and nested ``/**/``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str, offset: int) -> NoReturn:
        raise SchemaError(message, offset, text=self.text)

    def tokens(self) -> list[_Token]:
        result: list[_Token] = []
        while True:
            self._skip_blanks()
            if self.pos >= len(self.text):
                result.append(_Token("eof", "", len(self.text)))
                return result
            result.append(self._next())

    def _skip_blanks(self) -> None:
        text = self.text
        while self.pos < len(text):
            if text[self.pos].isspace():
                self.pos += 1
            elif text.startswith("--", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                self._skip_block_comment()
            else:
                return

    def _skip_block_comment(self) -> None:
        start, depth = self.pos, 0
        while self.pos < len(self.text):
            if self.text.startswith("/*", self.pos):
                depth, self.pos = depth + 1, self.pos + 2
            elif self.text.startswith("*/", self.pos):
                depth, self.pos = depth - 1, self.pos + 2
                if depth == 0:
                    return
            else:
                self.pos += 1
        self.fail("comment '/*' is never closed with '*/'", start)

    def _next(self) -> _Token:
        start, char = self.pos, self.text[self.pos]
        if char in _PUNCTUATION:
            self.pos += 1
            return _Token("punct", char, start)
        if char == "`":
            return _Token("quoted", self._backquoted(), start)
        if char in "'\"":
            return _Token("string", self._string(raw=False), start)
        if char in _WORD_CHARS:
            return self._word()
        self._bad_character(start)

    def _word(self) -> _Token:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _WORD_CHARS:
            self.pos += 1
        word = self.text[start : self.pos]
        if word in ("r", "R") and self.pos < len(self.text) and self.text[self.pos] in "'\"":
            return _Token("string", self._string(raw=True), start)
        return _Token("word", word, start)

    def _backquoted(self) -> str:
        start, parts = self.pos, []
        self.pos += 1
        while self.pos < len(self.text):
            end = self.text.find("`", self.pos)
            if end < 0:
                break
            parts.append(self.text[self.pos : end])
            if self.text.startswith("``", end):  # a doubled backquote is a literal one
                parts.append("`")
                self.pos = end + 2
                continue
            self.pos = end + 1
            return "".join(parts)
        self.fail("back-quoted name is never closed: add the closing '`'", start)

    def _string(self, raw: bool) -> str:
        """Read one quoted literal; decode it the way Spark's ``unescapeSQLString`` does."""
        quote = self.text[self.pos]
        start = self.pos
        self.pos += 1
        chunks: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == quote and not raw and self.text.startswith(quote * 2, self.pos):
                chunks.append(quote)
                self.pos += 2
            elif char == quote:
                self.pos += 1
                return "".join(chunks) if raw else _unescape("".join(chunks), self, start)
            elif char == "\\" and not raw and self.pos + 1 < len(self.text):
                chunks.append(self.text[self.pos : self.pos + 2])
                self.pos += 2
            else:
                chunks.append(char)
                self.pos += 1
        self.fail(
            f"string starting here is never closed with {quote}; "
            f"write a {quote} inside it as \\{quote} or {quote}{quote}",
            start - 1 if raw else start,
        )

    def _bad_character(self, offset: int) -> NoReturn:
        """Most stray characters are part of a name that needed back-quotes; say so."""
        start = offset
        while start > 0 and not _is_separator(self.text[start - 1]):
            start -= 1
        end = offset
        while end < len(self.text) and not _is_separator(self.text[end]):
            end += 1
        chunk = self.text[start:end]
        hint = "names may contain only ASCII letters, digits and _ unless back-quoted"
        self.fail(
            f"unexpected character '{self.text[offset]}' in '{chunk}' ({hint}: `{chunk}`)",
            offset,
        )


def _is_separator(char: str) -> bool:
    return char.isspace() or char in _PUNCTUATION


def _unescape(body: str, lexer: _Lexer, start: int) -> str:
    """Spark's backslash escapes: \\n \\t \\uXXXX \\UXXXXXXXX \\ooo; unknown ones drop the \\.

    Like Spark, ``\\%`` and ``\\_`` keep their backslash (they are LIKE-pattern escapes).
    """
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 == len(body):
            out.append(char)
            i += 1
            continue
        decoded, width = _escape_at(body, i + 1)
        if decoded is None:
            lexer.fail(f"invalid unicode escape '{body[i:i + width]}' in string", start)
        out.append(decoded)
        i += width
    # \ud83d\ude00 in the DDL is one character in Java (UTF-16); make it one in Python too.
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


def _escape_at(body: str, i: int) -> tuple[str | None, int]:
    """Decode the escape whose letter is at ``body[i]``; returns (text, chars used incl. \\)."""
    letter = body[i]
    if letter == "u" and _is_hex(body[i + 1 : i + 5], 4):
        return chr(int(body[i + 1 : i + 5], 16)), 6
    if letter == "U" and _is_hex(body[i + 1 : i + 9], 8):
        code = int(body[i + 1 : i + 9], 16)
        return (chr(code) if code <= 0x10FFFF else None), 10
    if re.fullmatch(r"[01][0-7][0-7]", body[i : i + 3]):
        return chr(int(body[i : i + 3], 8)), 4
    if letter in "%_":
        return "\\" + letter, 2
    return _SIMPLE_ESCAPES.get(letter, letter), 2


def _is_hex(chunk: str, width: int) -> bool:
    return len(chunk) == width and all(c in "0123456789abcdefABCDEF" for c in chunk)


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the tokens; every error points at the token that is wrong."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _Lexer(text).tokens()
        self.i = 0

    # -- token helpers ------------------------------------------------------------------------

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.tok
        if token.kind != "eof":
            self.i += 1
        return token

    def fail(self, message: str, offset: int | None = None) -> NoReturn:
        raise SchemaError(message, self.tok.offset if offset is None else offset, text=self.text)

    def close(self, char: str, opener: _Token, what: str) -> None:
        """Consume the bracket closing ``opener``; a missing one is reported where it opened."""
        if self.tok.is_punct(char):
            self.advance()
            return
        if self.tok.kind == "eof":
            self.fail(
                f"unbalanced '{opener.value}': {what} opened here is never closed with '{char}'",
                opener.offset,
            )
        self.fail(f"expected '{char}' to close {what} but found {self.tok.describe()}")

    # -- schema -------------------------------------------------------------------------------

    def schema(self) -> StructType:
        if self.tok.kind == "eof":
            self.fail("schema is empty: declare at least one column, e.g. 'id INT'", 0)
        if self.tok.is_word("struct") and self.peek().is_punct("<"):
            # Spark also accepts the whole schema written as one STRUCT<...>
            struct = self.struct_type(self.advance())
            if self.tok.kind != "eof":
                self.fail(f"unexpected {self.tok.describe()} after the end of STRUCT<...>")
        else:
            struct = StructType(self.columns(top_level=True))
        if not struct.fields:
            self.fail("schema is empty: declare at least one column, e.g. 'id INT'", 0)
        return struct

    def columns(self, top_level: bool) -> list[Field]:
        """Comma-separated fields up to the end of the text (top level) or to '>' (struct)."""
        fields: list[Field] = []
        offsets: dict[str, tuple[str, int]] = {}
        if not top_level and self.tok.is_punct(">"):
            return fields  # STRUCT<> is a legal, if odd, empty struct
        while True:
            name_token = self.tok
            field = self.column()
            self.check_duplicate(field.name, name_token.offset, offsets)
            fields.append(field)
            if not self.tok.is_punct(","):
                self.after_column(field, top_level)
                return fields
            comma = self.advance()
            if self.tok.kind == "eof" if top_level else self.tok.is_punct(">"):
                self.fail("trailing comma after the last column: remove it", comma.offset)

    def check_duplicate(self, name: str, offset: int, seen: dict[str, tuple[str, int]]) -> None:
        folded = _fold(name)
        if folded in seen:
            first, first_offset = seen[folded]
            line, column = line_column(self.text, first_offset)
            self.fail(
                f"duplicate column name '{name}': '{first}' is already declared at line {line}, "
                f"column {column} (Spark column names are case-insensitive)",
                offset,
            )
        seen[folded] = (name, offset)

    def after_column(self, field: Field, top_level: bool) -> None:
        """Explain whatever follows a complete column when it is not ',' or the end."""
        token = self.tok
        if top_level and token.kind == "eof":
            return
        if not top_level and (token.is_punct(">") or token.kind == "eof"):
            return  # the caller closes the struct (and reports a missing '>')
        if token.kind == "punct" and token.value in ">)":
            opener = "<" if token.value == ">" else "("
            self.fail(f"unbalanced '{token.value}': there is no matching '{opener}'")
        if token.is_word("null"):
            self.fail("unexpected NULL: columns are nullable unless declared NOT NULL")
        if token.is_word("not") and field.comment is not None:
            self.fail(f"NOT NULL must come before COMMENT in column '{field.name}'")
        if token.is_word("not"):
            self.fail(f"column '{field.name}' repeats NOT NULL")
        if token.is_word("comment"):
            self.fail(f"column '{field.name}' has more than one COMMENT")
        if token.is_word("collate"):
            self.fail("COLLATE is not supported in tauro-gen schemas")
        if token.is_word("default"):
            self.fail("DEFAULT values are not supported in a read schema")
        end = "the end of the schema" if top_level else "'>'"
        self.fail(
            f"expected ',' or {end} after column '{field.name}' but found {token.describe()} "
            "(missing comma?)"
        )

    def column(self) -> Field:
        name = self.name()
        if self.tok.is_punct(":"):
            self.advance()
        data_type = self.data_type(column=name)
        nullable = self.nullability()
        comment = self.comment()
        return Field(name, data_type, nullable, comment)

    def name(self) -> str:
        token = self.tok
        if token.kind == "quoted":
            if token.value == "":
                self.fail("column name must not be empty")
            return self.advance().value
        if token.kind != "word":
            self.fail(f"expected a column name but found {token.describe()}")
        if _NUMERIC_LITERAL.fullmatch(token.value):
            self.fail(f"'{token.value}' is a number, not a name: back-quote it as `{token.value}`")
        return self.advance().value

    def nullability(self) -> bool:
        if not self.tok.is_word("not"):
            return True
        self.advance()
        if not self.tok.is_word("null"):
            self.fail(f"expected NULL after NOT but found {self.tok.describe()}")
        self.advance()
        return False

    def comment(self) -> str | None:
        if not self.tok.is_word("comment"):
            return None
        self.advance()
        if self.tok.kind != "string":
            self.fail(
                f"COMMENT must be followed by a quoted string, e.g. COMMENT 'order id', "
                f"but found {self.tok.describe()}"
            )
        parts = []
        while self.tok.kind == "string":  # 'a' 'b' is one literal in SQL, as in Spark
            parts.append(self.advance().value)
        return "".join(parts)

    # -- types --------------------------------------------------------------------------------

    def data_type(self, column: str | None = None) -> DataType:
        token = self.tok
        if token.kind != "word" or token.value[0].isdigit():
            where = f" for column '{column}'" if column is not None else ""
            self.fail(f"expected a type{where} but found {token.describe()}")
        name = token.value.lower()
        self.advance()
        if name in _PRIMITIVE_ALIASES:
            self.no_parameters(token)
            return PrimitiveType(name)
        if name in _DECIMAL_NAMES:
            return self.decimal()
        if name == "varchar" or name in _CHAR_NAMES:
            return self.sized_string(token)
        if name == "array":
            return self.array_type(token)
        if name == "map":
            return self.map_type(token)
        if name == "struct":
            return self.struct_type(token)
        if name in _UNSUPPORTED:
            self.fail(
                f"type '{token.value}' is not supported in tauro-gen schemas",
                token.offset,
            )
        self.fail(self.unknown_type(token, column), token.offset)

    def unknown_type(self, token: _Token, column: str | None) -> str:
        """A difflib suggestion, or for ``my col INT`` the back-quote hint that really helps."""
        following = self.tok
        split_name = following.kind == "word" and following.value.lower() in _KNOWN_TYPE_NAMES
        if column is not None and split_name:
            name = f"{column} {token.value}"
            return (
                f"unknown type '{token.value}': if '{name}' is one column name, "
                f"back-quote it: `{name}`"
            )
        return _unknown_type_message(token.value)

    def no_parameters(self, token: _Token) -> None:
        if self.tok.is_punct("(") or self.tok.is_punct("<"):
            self.fail(f"type {token.value.upper()} takes no parameters")

    def number(self, what: str) -> tuple[int, int]:
        token = self.tok
        if token.kind != "word" or not (token.value.isascii() and token.value.isdigit()):
            self.fail(f"expected a whole number for {what} but found {token.describe()}")
        self.advance()
        return int(token.value), token.offset

    def decimal(self) -> DecimalType:
        if not self.tok.is_punct("("):
            return DecimalType()
        opener = self.advance()
        precision, p_offset = self.number("the DECIMAL precision")
        scale, s_offset = 0, p_offset
        if self.tok.is_punct(","):
            self.advance()
            scale, s_offset = self.number("the DECIMAL scale")
        self.close(")", opener, "DECIMAL(")
        if not 1 <= precision <= _MAX_PRECISION:
            self.fail(
                f"DECIMAL precision must be between 1 and {_MAX_PRECISION}, got {precision}",
                p_offset,
            )
        if scale > precision:
            self.fail(
                f"DECIMAL scale ({scale}) cannot be greater than precision ({precision})",
                s_offset,
            )
        return DecimalType(precision, scale)

    def sized_string(self, token: _Token) -> VarcharType | CharType:
        kind = "VARCHAR" if token.value.lower() == "varchar" else "CHAR"
        if not self.tok.is_punct("("):
            self.fail(f"{kind} needs a length, e.g. {kind}(10)", token.offset)
        opener = self.advance()
        length, offset = self.number(f"the {kind} length")
        self.close(")", opener, f"{kind}(")
        if length > _MAX_LENGTH:
            self.fail(f"{kind} length must be at most {_MAX_LENGTH}, got {length}", offset)
        return VarcharType(length) if kind == "VARCHAR" else CharType(length)

    def open_angle(self, token: _Token, example: str) -> _Token:
        if not self.tok.is_punct("<"):
            self.fail(f"{token.value.upper()} needs its type in <...>, e.g. {example}")
        return self.advance()

    def array_type(self, token: _Token) -> ArrayType:
        opener = self.open_angle(token, "ARRAY<STRING>")
        element = self.data_type()
        self.close(">", opener, "ARRAY<")
        return ArrayType(element)

    def map_type(self, token: _Token) -> MapType:
        opener = self.open_angle(token, "MAP<STRING, INT>")
        key = self.data_type()
        if not self.tok.is_punct(","):
            if self.tok.kind == "eof":
                self.close(">", opener, "MAP<")
            self.fail(
                "MAP needs a key and a value type separated by ',', e.g. MAP<STRING, INT>, "
                f"but found {self.tok.describe()}"
            )
        self.advance()
        value = self.data_type()
        self.close(">", opener, "MAP<")
        return MapType(key, value)

    def struct_type(self, token: _Token) -> StructType:
        opener = self.open_angle(token, "STRUCT<a: INT, b: STRING>")
        fields = self.columns(top_level=False)
        self.close(">", opener, "STRUCT<")
        return StructType(tuple(fields))


def _unknown_type_message(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), _KNOWN_TYPE_NAMES, n=1)
    if close:
        return f"unknown type '{name}' (did you mean '{close[0]}'?)"
    return f"unknown type '{name}' (known types: {', '.join(_KNOWN_TYPE_NAMES)})"


def parse_ddl(text: str) -> StructType:
    """Parse a Spark DDL schema such as ``"id INT NOT NULL, tags ARRAY<STRING>"``.

    Accepts what ``StructType.fromDDL`` accepts for the supported types (optional ':' after a
    name, NOT NULL, COMMENT, back-quoted names, nested types, SQL comments, a whole
    ``STRUCT<...>``), minus the mistakes listed in the module docstring.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_ddl expects a string, got {type(text).__name__}")
    return _parse_ddl(text)


@lru_cache(maxsize=4096)
def _parse_ddl(text: str) -> StructType:
    # Inputs of one project often share a schema; the result is immutable.
    return _Parser(text).schema()


def parse_type(text: str) -> DataType:
    """Parse one type such as ``"map<string, array<int>>"`` (used by the YAML list form)."""
    if not isinstance(text, str):
        raise TypeError(f"parse_type expects a string, got {type(text).__name__}")
    parser = _Parser(text)
    if parser.tok.kind == "eof":
        parser.fail("type is empty: write e.g. 'string' or 'decimal(10, 2)'", 0)
    data_type = parser.data_type()
    if parser.tok.kind != "eof":
        parser.fail(f"unexpected {parser.tok.describe()} after the type")
    return data_type


# --------------------------------------------------------------------------------------------
# YAML field list
# --------------------------------------------------------------------------------------------

_LIST_KEYS = ("name", "type", "nullable", "comment", "description")
_Fail = Callable[[str, "str | None"], NoReturn]


def parse_field_list(items: list[dict]) -> StructType:
    """Parse the YAML form ``[{name: id, type: int, nullable: false, comment: ...}, ...]``."""
    if not isinstance(items, (list, tuple)):
        raise SchemaError(f"a field list must be a list of mappings, got {type(items).__name__}")
    if not items:
        raise SchemaError(
            "schema is empty: declare at least one column, e.g. {name: id, type: int}"
        )
    fields: list[Field] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        field = _list_item(index, item)
        folded = _fold(field.name)
        if folded in seen:
            raise SchemaError(
                f"duplicate column name '{field.name}': item {seen[folded]} already declares "
                f"'{fields[seen[folded]].name}' (Spark column names are case-insensitive)",
                index=index,
                key="name",
            )
        seen[folded] = index
        fields.append(field)
    return StructType(tuple(fields))


def _list_item(index: int, item: object) -> Field:
    def fail(message: str, key: str | None) -> NoReturn:
        raise SchemaError(message, index=index, key=key)

    if not isinstance(item, Mapping):
        fail("each column must be a mapping with at least 'name' and 'type'", None)
    for key in item:
        if key not in _LIST_KEYS:
            close = difflib.get_close_matches(str(key), _LIST_KEYS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(_LIST_KEYS)}"
            fail(f"unknown key '{key}' ({hint})", str(key))
    for required in ("name", "type"):
        if required not in item:
            fail(f"column is missing '{required}'", required)
    name = item["name"]
    if not isinstance(name, str) or not name:
        fail(
            f"'name' must be a non-empty string (quote it in YAML), got {name!r}",
            "name",
        )
    return Field(
        name,
        _list_type(item["type"], fail),
        _list_nullable(item, fail),
        _list_comment(item, fail),
    )


def _list_type(value: object, fail: _Fail) -> DataType:
    if not isinstance(value, str):
        fail(
            f"'type' must be a string such as 'int' or 'array<string>', got {value!r}",
            "type",
        )
    try:
        return parse_type(value)
    except SchemaError as exc:
        where = f" (at character {exc.offset})" if exc.offset else ""
        fail(f"invalid type '{value}': {exc.message}{where}", "type")


def _list_nullable(item: Mapping, fail: _Fail) -> bool:
    nullable = item.get("nullable", True)
    if not isinstance(nullable, bool):
        fail(f"'nullable' must be true or false, got {nullable!r}", "nullable")
    return nullable


def _list_comment(item: Mapping, fail: _Fail) -> str | None:
    if "comment" in item and "description" in item:
        fail("give either 'comment' or 'description', not both", "description")
    key = "comment" if "comment" in item else "description"
    comment = item.get(key)
    if comment is not None and not isinstance(comment, str):
        fail(f"'{key}' must be a string, got {comment!r}", key)
    return comment


# --------------------------------------------------------------------------------------------
# DDL output
# --------------------------------------------------------------------------------------------

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _quote_name(name: str) -> str:
    """Back-quote any name that is not a plain identifier; a backquote inside is doubled."""
    if _PLAIN_NAME.fullmatch(name):
        return name
    return "`" + name.replace("`", "``") + "`"


def _quote_string(text: str) -> str:
    """A single-quoted SQL literal that Spark (and parse_ddl) decode back to ``text``."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "'"


def to_ddl(struct: StructType) -> str:
    """Canonical DDL, e.g. ``id INT NOT NULL, tags ARRAY<STRING>``; parse_ddl reads it back.

    Raises SchemaError for ``contains_null=False``/``value_contains_null=False``, which DDL
    cannot express: silently widening them would change the schema.
    """
    if not isinstance(struct, StructType):
        raise TypeError(f"to_ddl expects a StructType, got {type(struct).__name__}")
    return ", ".join(_field_ddl(field, " ") for field in struct.fields)


def _field_ddl(field: Field, separator: str) -> str:
    text = f"{_quote_name(field.name)}{separator}{type_to_ddl(field.type)}"
    if not field.nullable:
        text += " NOT NULL"
    if field.comment is not None:
        text += f" COMMENT {_quote_string(field.comment)}"
    return text


def type_to_ddl(data_type: DataType) -> str:
    """DDL for one type, e.g. ``MAP<STRING, ARRAY<INT>>``; parse_type reads it back."""
    if isinstance(data_type, PrimitiveType):
        return _PRIMITIVES[data_type.name][1]
    if isinstance(data_type, DecimalType):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    if isinstance(data_type, VarcharType):
        return f"VARCHAR({data_type.length})"
    if isinstance(data_type, CharType):
        return f"CHAR({data_type.length})"
    if isinstance(data_type, ArrayType):
        _require(data_type.contains_null, "DDL cannot express ARRAY with contains_null=False")
        return f"ARRAY<{type_to_ddl(data_type.element)}>"
    if isinstance(data_type, MapType):
        _require(data_type.value_contains_null, "DDL cannot express MAP with non-null values")
        return f"MAP<{type_to_ddl(data_type.key)}, {type_to_ddl(data_type.value)}>"
    if isinstance(data_type, StructType):
        return f"STRUCT<{', '.join(_field_ddl(f, ': ') for f in data_type.fields)}>"
    raise TypeError(f"not a schema type: {data_type!r}")


# --------------------------------------------------------------------------------------------
# Python source output
# --------------------------------------------------------------------------------------------


def py_string(text: str) -> str:
    """A safe Python literal from repr(), in double quotes (black's style) when no escaping
    of '"' is needed: black then leaves it as it is (render writes every string so)."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        return '"' + literal[1:-1] + '"'
    return literal


def to_python(
    data_type: DataType, indent: int | None = 4, base_indent: int = 0, black: bool = False
) -> str:
    """Source of the pyspark literal, e.g. ``StructType([StructField("id", IntegerType(), True)])``.

    ``indent=None`` gives one line; otherwise each struct's fields go on their own lines,
    ``indent`` spaces deeper per nesting level. ``base_indent`` is added to every line after
    the first, so the literal can be pasted at that column of a generated script. ``black``
    lays the top-level struct out as black does (``StructType(`` / ``[`` / fields / ``]`` /
    ``)``), so that black, given it, changes nothing. Import the names from
    ``type_names_used``.
    """
    if not _is_data_type(data_type):
        raise TypeError(f"to_python expects a schema type, got {type(data_type).__name__}")
    if black and isinstance(data_type, StructType) and data_type.fields and indent:
        pad = " " * base_indent
        fields = [_py_field(f, indent, base_indent + indent, 1) for f in data_type.fields]
        body = "".join(f"{pad}{' ' * 2 * indent}{field},\n" for field in fields)
        return f"StructType(\n{pad}{' ' * indent}[\n{body}{pad}{' ' * indent}]\n{pad})"
    return _py_type(data_type, indent, base_indent, 0)


def _py_type(data_type: DataType, indent: int | None, base: int, depth: int) -> str:
    if isinstance(data_type, PrimitiveType):
        return _PRIMITIVES[data_type.name][2] + "()"
    if isinstance(data_type, DecimalType):
        return f"DecimalType({data_type.precision}, {data_type.scale})"
    if isinstance(data_type, (VarcharType, CharType)):
        return f"{type(data_type).__name__}({data_type.length})"
    if isinstance(data_type, ArrayType):
        element = _py_type(data_type.element, indent, base, depth)
        return f"ArrayType({element}, {data_type.contains_null})"
    if isinstance(data_type, MapType):
        key = _py_type(data_type.key, indent, base, depth)
        value = _py_type(data_type.value, indent, base, depth)
        return f"MapType({key}, {value}, {data_type.value_contains_null})"
    return _py_struct(data_type, indent, base, depth)


def _py_struct(struct: StructType, indent: int | None, base: int, depth: int) -> str:
    items = [_py_field(field, indent, base, depth + 1) for field in struct.fields]
    if indent is None or not items:
        return f"StructType([{', '.join(items)}])"
    pad = " " * (base + indent * (depth + 1))
    body = "".join(f"{pad}{item},\n" for item in items)
    return f"StructType([\n{body}{' ' * (base + indent * depth)}])"


def _py_field(field: Field, indent: int | None, base: int, depth: int) -> str:
    args = [
        py_string(field.name),
        _py_type(field.type, indent, base, depth),
        str(field.nullable),
    ]
    if field.comment is not None:
        args.append(f'metadata={{"comment": {py_string(field.comment)}}}')
    return f"StructField({', '.join(args)})"


def type_names_used(data_type: DataType) -> list[str]:
    """Sorted pyspark.sql.types names the ``to_python`` literal needs, for an exact import."""
    return sorted(set(_names_in(data_type)))


def _names_in(data_type: DataType) -> Iterator[str]:
    if isinstance(data_type, PrimitiveType):
        yield _PRIMITIVES[data_type.name][2]
    elif isinstance(data_type, ArrayType):
        yield "ArrayType"
        yield from _names_in(data_type.element)
    elif isinstance(data_type, MapType):
        yield "MapType"
        yield from _names_in(data_type.key)
        yield from _names_in(data_type.value)
    elif isinstance(data_type, StructType):
        yield "StructType"
        for field in data_type.fields:
            yield "StructField"
            yield from _names_in(field.type)
    else:
        yield type(data_type).__name__


# --------------------------------------------------------------------------------------------
# JSON (StructType.jsonValue() shape)
# --------------------------------------------------------------------------------------------


def to_json(data_type: DataType) -> Any:
    """The value pyspark's ``jsonValue()`` returns for the same type (a dict for a struct)."""
    if isinstance(data_type, PrimitiveType):
        return _PRIMITIVES[data_type.name][0]
    if isinstance(data_type, (DecimalType, VarcharType, CharType)):
        return type_to_ddl(data_type).lower()
    if isinstance(data_type, ArrayType):
        return {
            "type": "array",
            "elementType": to_json(data_type.element),
            "containsNull": data_type.contains_null,
        }
    if isinstance(data_type, MapType):
        return {
            "type": "map",
            "keyType": to_json(data_type.key),
            "valueType": to_json(data_type.value),
            "valueContainsNull": data_type.value_contains_null,
        }
    if isinstance(data_type, StructType):
        return {
            "type": "struct",
            "fields": [_field_json(field) for field in data_type.fields],
        }
    raise TypeError(f"not a schema type: {data_type!r}")


def _field_json(field: Field) -> dict[str, Any]:
    metadata = {} if field.comment is None else {"comment": field.comment}
    return {
        "name": field.name,
        "type": to_json(field.type),
        "nullable": field.nullable,
        "metadata": metadata,
    }


def from_json(value: Mapping[str, Any]) -> StructType:
    """Read a schema in ``StructType.jsonValue()`` shape (e.g. a saved ``df.schema.json()``).

    Field metadata other than ``comment`` (Delta column ids, Spark internals) is dropped: the
    model carries what a read schema needs.
    """
    data_type = _type_from_json(value, "$")
    if not isinstance(data_type, StructType):
        raise SchemaError('a JSON schema must be an object with "type": "struct"', key="$")
    if not data_type.fields:
        raise SchemaError("schema is empty: declare at least one field", key="$.fields")
    return data_type


def _type_from_json(value: object, path: str) -> DataType:
    if isinstance(value, str):
        try:
            return parse_type(value)
        except SchemaError as exc:
            raise SchemaError(f"invalid type '{value}': {exc.message}", key=path) from None
    if not isinstance(value, Mapping):
        raise SchemaError(f"expected a type name or object, got {value!r}", key=path)
    kind = _json_get(value, "type", str, path)
    if kind == "array":
        element = _json_child(value, "elementType", path)
        return _at(path, lambda: ArrayType(element, value.get("containsNull", True)))
    if kind == "map":
        key, val = _json_child(value, "keyType", path), _json_child(value, "valueType", path)
        return _at(path, lambda: MapType(key, val, value.get("valueContainsNull", True)))
    if kind == "struct":
        fields = _json_get(value, "fields", list, path)
        return _struct_from_json(fields, f"{path}.fields")
    raise SchemaError(f"unsupported JSON type {kind!r}", key=f"{path}.type")


def _json_child(value: Mapping, key: str, path: str) -> DataType:
    return _type_from_json(_json_get(value, key, object, path), f"{path}.{key}")


def _at(path: str, build: Callable[[], DataType]) -> DataType:
    """Constructor errors carry no location; attach the JSON path the user must look at."""
    try:
        return build()
    except SchemaError as exc:
        raise SchemaError(exc.message, key=path) from None


def _struct_from_json(fields: list, path: str) -> StructType:
    result = []
    for i, item in enumerate(fields):
        where = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise SchemaError(f"a field must be an object, got {item!r}", key=where)
        metadata = item.get("metadata") or {}
        comment = metadata.get("comment") if isinstance(metadata, Mapping) else None
        try:
            result.append(
                Field(
                    _json_get(item, "name", str, where),
                    _type_from_json(_json_get(item, "type", object, where), f"{where}.type"),
                    item.get("nullable", True),
                    comment,
                )
            )
        except SchemaError as exc:
            if exc.key is not None:
                raise
            raise SchemaError(exc.message, key=where) from None
    try:
        return StructType(tuple(result))
    except SchemaError as exc:
        raise SchemaError(exc.message, key=path) from None


def _json_get(value: Mapping, key: str, kind: type, path: str) -> Any:
    if key not in value:
        raise SchemaError(f'missing "{key}"', key=path)
    found = value[key]
    if not isinstance(found, kind):
        raise SchemaError(f'"{key}" must be a {kind.__name__}, got {found!r}', key=path)
    return found
