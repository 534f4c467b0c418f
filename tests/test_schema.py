"""Tests for tauro_gen.schema: DDL/YAML parsing, errors, DDL/Python/JSON output.

The pure-Python parser must agree with Spark, so the last section compares it with a real
local SparkSession (one per module, started only when those tests run).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import types as T

from tauro_gen import schema as S
from tauro_gen.schema import (
    ArrayType,
    CharType,
    DataType,
    DecimalType,
    Field,
    MapType,
    PrimitiveType,
    SchemaError,
    StructType,
    VarcharType,
    from_json,
    parse_ddl,
    parse_field_list,
    parse_type,
    to_ddl,
    to_json,
    to_python,
    type_names_used,
    type_to_ddl,
)

INT = PrimitiveType("int")
STRING = PrimitiveType("string")


def struct(*fields: Field) -> StructType:
    return StructType(fields)


def to_pyspark(data_type: DataType, indent: int | None = 4) -> T.DataType:
    """Evaluate the generated literal with exactly the names type_names_used() says it needs."""
    namespace = {name: getattr(T, name) for name in type_names_used(data_type)}
    return eval(to_python(data_type, indent=indent), {"__builtins__": {}}, namespace)


# --------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------


def test_aliases_are_normalised_so_equality_is_stable() -> None:
    assert PrimitiveType("INTEGER") == PrimitiveType("int") == INT
    assert PrimitiveType("BigInt").name == "long"
    assert PrimitiveType("tinyint").name == "byte"
    assert PrimitiveType("smallint").name == "short"
    assert PrimitiveType("real").name == "float"
    assert PrimitiveType("timestamp_ltz").name == "timestamp"
    assert parse_type("dec") == parse_type("numeric") == DecimalType(10, 0)


def test_struct_accepts_a_list_and_is_hashable() -> None:
    s = StructType([Field("a", INT)])
    assert s.fields == (Field("a", INT),)
    assert hash(s) == hash(struct(Field("a", INT)))
    assert s.names == ["a"]


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: PrimitiveType("strng"), "not a primitive"),
        (lambda: DecimalType(0, 0), "precision must be between 1 and 38"),
        (lambda: DecimalType(39, 0), "precision must be between 1 and 38"),
        (lambda: DecimalType(5, 6), "scale must be between 0 and the precision"),
        (lambda: VarcharType(-1), "VARCHAR length"),
        (lambda: CharType(True), "CHAR length"),
        (lambda: Field("", INT), "must not be empty"),
        (lambda: Field("a", "int"), "needs a type"),
        (lambda: Field("a", INT, nullable="yes"), "nullable"),
        (
            lambda: struct(Field("id", INT), Field("ID", STRING)),
            "duplicate column name 'ID'",
        ),
        (lambda: ArrayType("int"), "array element"),
        (lambda: MapType(INT, None), "map value"),
    ],
)
def test_constructors_reject_invalid_values(build, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        build()


def test_schema_import_needs_no_spark() -> None:
    code = "import sys, tauro_gen.schema; sys.exit('pyspark' in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())


# --------------------------------------------------------------------------------------------
# parse_ddl
# --------------------------------------------------------------------------------------------

PARSE_CASES = [
    (
        "id INT, date DATE, amount DOUBLE",
        struct(
            Field("id", INT),
            Field("date", PrimitiveType("date")),
            Field("amount", PrimitiveType("double")),
        ),
    ),
    ("id: int", struct(Field("id", INT))),
    ("ID iNt NoT NuLl", struct(Field("ID", INT, nullable=False))),
    ("a INT COMMENT 'the a'", struct(Field("a", INT, comment="the a"))),
    ('a INT NOT NULL COMMENT "dq"', struct(Field("a", INT, False, "dq"))),
    ("`my col` STRING", struct(Field("my col", STRING))),
    ("`a``b` INT", struct(Field("a`b", INT))),
    ("`x.y-z` INT", struct(Field("x.y-z", INT))),
    (
        "_1 INT, a1 INT, 1a INT",
        struct(Field("_1", INT), Field("a1", INT), Field("1a", INT)),
    ),
    (
        "`my col` ARRAY<STRUCT<a: INT, b STRING>>",
        struct(Field("my col", ArrayType(struct(Field("a", INT), Field("b", STRING))))),
    ),
    ("m MAP<STRING, ARRAY<INT>>", struct(Field("m", MapType(STRING, ArrayType(INT))))),
    ("d DECIMAL(10, 2)", struct(Field("d", DecimalType(10, 2)))),
    (
        "d decimal, e dec, f numeric(5)",
        struct(*(Field(n, DecimalType(p)) for n, p in [("d", 10), ("e", 10), ("f", 5)])),
    ),
    (
        "v VARCHAR(20), c CHAR(3), k character(1)",
        struct(
            Field("v", VarcharType(20)),
            Field("c", CharType(3)),
            Field("k", CharType(1)),
        ),
    ),
    (
        "\n  a\tINT\n  NOT\n  NULL\n,\n b  array < int >  ",
        struct(Field("a", INT, False), Field("b", ArrayType(INT))),
    ),
    (
        "a INT -- line comment\n, b INT /* block /* nested */ */",
        struct(Field("a", INT), Field("b", INT)),
    ),
    ("STRUCT<a: INT, b STRING>", struct(Field("a", INT), Field("b", STRING))),
    ("s struct<>", struct(Field("s", StructType()))),
    (
        "s STRUCT<x INT NOT NULL COMMENT 'inner', y: ARRAY<ARRAY<DATE>>>",
        struct(
            Field(
                "s",
                struct(
                    Field("x", INT, False, "inner"),
                    Field("y", ArrayType(ArrayType(PrimitiveType("date")))),
                ),
            )
        ),
    ),
    (
        "struct INT, not INT, comment INT",
        struct(Field("struct", INT), Field("not", INT), Field("comment", INT)),
    ),
]


@pytest.mark.parametrize("ddl, expected", PARSE_CASES)
def test_parse_ddl(ddl: str, expected: StructType) -> None:
    assert parse_ddl(ddl) == expected


@pytest.mark.parametrize(
    "literal, expected",
    [
        ("'plain'", "plain"),
        ("'it''s'", "it's"),
        ('"say ""hi"""', 'say "hi"'),
        ("'a' \"b\" 'c'", "abc"),
        ("'\\'q\\' \\\"'", "'q' \""),
        ("'\\n\\t\\r\\b\\0\\Z'", "\n\t\r\b\0\x1a"),
        ("'\\\\'", "\\"),
        ("'\\%\\_'", "\\%\\_"),
        ("'\\z\\q'", "zq"),
        ("'\\u00e9\\U0001F600'", "é\U0001f600"),
        ("'\\ud83d\\ude00'", "\U0001f600"),
        ("'\\uZZ'", "uZZ"),
        ("'\\101\\017\\200\\1'", "A\x0f2001"),
        ("r'raw\\n'", "raw\\n"),
        ('R"raw\\"', "raw\\"),
        ("'line\nbreak'", "line\nbreak"),
        ("''", ""),
    ],
)
def test_comment_string_literals_decode_like_spark(literal: str, expected: str) -> None:
    assert parse_ddl(f"a INT COMMENT {literal}").fields[0].comment == expected


ERROR_CASES = [
    # ddl, offset, message fragment
    ("id strng", 3, "unknown type 'strng' (did you mean 'string'?)"),
    ("a bool", 2, "did you mean 'boolean'?"),
    ("a INT, b foo", 9, "unknown type 'foo' (known types: array, bigint"),
    ("my col INT", 3, "back-quote it: `my col`"),
    ("id INT, ID STRING", 8, "duplicate column name 'ID': 'id' is already declared"),
    ("s STRUCT<a: INT, A: INT>", 17, "duplicate column name 'A'"),
    ("", 0, "schema is empty"),
    ("  -- nothing\n", 0, "schema is empty"),
    ("STRUCT<>", 0, "schema is empty"),
    ("a INT,", 5, "trailing comma"),
    ("a INT, b INT,\n", 12, "trailing comma"),
    ("s STRUCT<a INT,>", 14, "trailing comma"),
    (",a INT", 0, "expected a column name but found ','"),
    ("a INT,, b INT", 6, "expected a column name but found ','"),
    ("a ARRAY<INT", 7, "unbalanced '<'"),
    ("a MAP<STRING, ARRAY<INT>", 5, "unbalanced '<': MAP<"),
    ("a DECIMAL(10, 2", 9, "unbalanced '('"),
    ("a INT>", 5, "unbalanced '>': there is no matching '<'"),
    ("a ARRAY<INT>>", 12, "unbalanced '>'"),
    ("a DECIMAL(10))", 13, "unbalanced ')'"),
    ("a ARRAY<INT STRING>", 12, "expected '>' to close ARRAY<"),
    ("a DECIMAL(39, 0)", 10, "precision must be between 1 and 38, got 39"),
    ("a DECIMAL(0)", 10, "precision must be between 1 and 38, got 0"),
    ("a DECIMAL(5, 6)", 13, "scale (6) cannot be greater than precision (5)"),
    ("a DECIMAL(x)", 10, "expected a whole number"),
    ("a VARCHAR", 2, "VARCHAR needs a length"),
    ("a CHAR(2147483648)", 7, "CHAR length must be at most"),
    ("a INT(3)", 5, "INT takes no parameters"),
    ("a ARRAY", 7, "ARRAY needs its type in <...>"),
    ("a MAP<INT>", 9, "MAP needs a key and a value type"),
    ("a INT b INT", 6, "expected ',' or the end of the schema after column 'a'"),
    ("s STRUCT<a INT b INT>", 15, "expected ',' or '>' after column 'a'"),
    ("a", 1, "expected a type for column 'a' but found the end of the text"),
    ("a INT NULL", 6, "columns are nullable unless declared NOT NULL"),
    ("a INT NOT", 9, "expected NULL after NOT"),
    ("a INT NOT NULL NOT NULL", 15, "repeats NOT NULL"),
    ("a INT COMMENT 'x' NOT NULL", 18, "NOT NULL must come before COMMENT"),
    ("a INT COMMENT 'x' COMMENT 'y'", 18, "more than one COMMENT"),
    ("a INT COMMENT", 13, "COMMENT must be followed by a quoted string"),
    ("a INT COMMENT 5", 14, "COMMENT must be followed by a quoted string"),
    ("a INT COMMENT 'open", 14, "never closed"),
    ("a INT COMMENT 'x\\'", 14, "never closed"),
    ("a INT COMMENT '\\U00110000'", 14, "invalid unicode escape"),
    ("`a INT", 0, "back-quoted name is never closed"),
    ("a INT /* open", 6, "'/*' is never closed"),
    ("my-col INT", 2, "unexpected character '-' in 'my-col'"),
    ("é INT", 0, "back-quoted: `é`"),
    ("a INT;", 5, "unexpected character ';'"),
    ("`` INT", 0, "column name must not be empty"),
    ("123 INT", 0, "'123' is a number, not a name"),
    ("1d INT", 0, "back-quote it as `1d`"),
    ("a VOID", 2, "type 'VOID' is not supported"),
    ("a VARIANT", 2, "not supported"),
    ("a STRING COLLATE UTF8_LCASE", 9, "COLLATE is not supported"),
    ("a INT DEFAULT 1", 6, "DEFAULT values are not supported"),
    ("STRUCT<a INT> b", 14, "after the end of STRUCT<...>"),
]


@pytest.mark.parametrize("ddl, offset, message", ERROR_CASES)
def test_parse_ddl_errors(ddl: str, offset: int, message: str) -> None:
    with pytest.raises(SchemaError) as info:
        parse_ddl(ddl)
    error = info.value
    assert message in error.message
    assert error.offset == offset
    assert (error.index, error.key) == (None, None)
    assert isinstance(error, ValueError)


def test_error_text_names_line_and_column_and_can_point_at_the_problem() -> None:
    ddl = "id INT,\n  amount strng"
    with pytest.raises(SchemaError) as info:
        parse_ddl(ddl)
    assert info.value.offset == 17
    assert str(info.value).endswith("(line 2, column 10)")
    assert info.value.excerpt() == "  amount strng\n         ^"


def test_error_excerpt_at_the_end_of_the_text() -> None:
    with pytest.raises(SchemaError) as info:
        parse_ddl("a\r\n")
    assert info.value.offset == 3
    assert info.value.excerpt() == "\n^"


def test_parse_ddl_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        parse_ddl(["id INT"])  # type: ignore[arg-type]


def test_parse_type() -> None:
    assert parse_type(" map<string , struct<a:int>> ") == MapType(STRING, struct(Field("a", INT)))
    for text, offset in [("", 0), ("int int", 4), ("array<int", 5)]:
        with pytest.raises(SchemaError) as info:
            parse_type(text)
        assert info.value.offset == offset


# --------------------------------------------------------------------------------------------
# parse_field_list
# --------------------------------------------------------------------------------------------


def test_parse_field_list() -> None:
    items = [
        {"name": "id", "type": "int", "nullable": False},
        {"name": "tags", "type": "array<string>"},
        {"name": "amount", "type": "DECIMAL(10, 2)", "comment": "EUR"},
        {
            "name": "where",
            "type": "struct<lat: double, lon double>",
            "description": "geo",
        },
    ]
    assert parse_field_list(items) == struct(
        Field("id", INT, nullable=False),
        Field("tags", ArrayType(STRING)),
        Field("amount", DecimalType(10, 2), comment="EUR"),
        Field(
            "where",
            struct(
                Field("lat", PrimitiveType("double")),
                Field("lon", PrimitiveType("double")),
            ),
            comment="geo",
        ),
    )


@pytest.mark.parametrize(
    "items, index, key, message",
    [
        ([], None, None, "schema is empty"),
        ({"name": "id"}, None, None, "must be a list"),
        (["id int"], 0, None, "must be a mapping"),
        ([{"type": "int"}], 0, "name", "missing 'name'"),
        ([{"name": "id"}], 0, "type", "missing 'type'"),
        ([{"name": 2024, "type": "int"}], 0, "name", "must be a non-empty string"),
        ([{"name": "", "type": "int"}], 0, "name", "must be a non-empty string"),
        (
            [{"name": "a", "type": "int"}, {"name": "b", "type": "strng"}],
            1,
            "type",
            "invalid type 'strng': unknown type 'strng' (did you mean 'string'?)",
        ),
        ([{"name": "a", "type": "array<strng>"}], 0, "type", "(at character 6)"),
        ([{"name": "a", "type": 5}], 0, "type", "must be a string"),
        (
            [{"name": "a", "type": "int", "nullable": "no"}],
            0,
            "nullable",
            "true or false",
        ),
        (
            [{"name": "a", "type": "int", "nulable": False}],
            0,
            "nulable",
            "did you mean 'nullable'?",
        ),
        (
            [{"name": "a", "type": "int", "comment": "x", "description": "y"}],
            0,
            "description",
            "not both",
        ),
        (
            [{"name": "a", "type": "int", "comment": 3}],
            0,
            "comment",
            "must be a string",
        ),
        (
            [
                {"name": "id", "type": "int"},
                {"name": "x", "type": "int"},
                {"name": "ID", "type": "int"},
            ],
            2,
            "name",
            "item 0 already declares 'id'",
        ),
    ],
)
def test_parse_field_list_errors(items, index: int | None, key: str | None, message: str) -> None:
    with pytest.raises(SchemaError) as info:
        parse_field_list(items)
    assert message in info.value.message
    assert (info.value.index, info.value.key, info.value.offset) == (index, key, None)


# --------------------------------------------------------------------------------------------
# to_ddl
# --------------------------------------------------------------------------------------------


def test_to_ddl_is_canonical() -> None:
    ddl = (
        "id integer not null comment 'k', `my col` array<struct<a int, `b c`: bigint>>, "
        "m map<string, decimal>, v varchar(3), c character(2), t timestamp_ltz, n tinyint"
    )
    assert to_ddl(parse_ddl(ddl)) == (
        "id INT NOT NULL COMMENT 'k', `my col` ARRAY<STRUCT<a: INT, `b c`: BIGINT>>, "
        "m MAP<STRING, DECIMAL(10,0)>, v VARCHAR(3), c CHAR(2), t TIMESTAMP, n TINYINT"
    )


def test_to_ddl_quotes_names_and_comments_safely() -> None:
    s = struct(
        Field("a`b", INT, comment="it's \\ a\nb\tc\r"),
        Field("1a", INT),
        Field("x y", INT),
        Field("ok_1", INT),
    )
    ddl = to_ddl(s)
    assert ddl == "`a``b` INT COMMENT 'it\\'s \\\\ a\\nb\\tc\\r', `1a` INT, `x y` INT, ok_1 INT"
    assert parse_ddl(ddl) == s


@pytest.mark.parametrize("ddl, _expected", PARSE_CASES)
def test_to_ddl_round_trips(ddl: str, _expected: StructType) -> None:
    parsed = parse_ddl(ddl)
    assert parse_ddl(to_ddl(parsed)) == parsed
    assert to_ddl(parse_ddl(to_ddl(parsed))) == to_ddl(parsed)


def test_to_ddl_refuses_what_ddl_cannot_express() -> None:
    with pytest.raises(SchemaError, match="contains_null=False"):
        to_ddl(struct(Field("a", ArrayType(INT, contains_null=False))))
    with pytest.raises(SchemaError, match="non-null values"):
        to_ddl(struct(Field("m", MapType(STRING, INT, value_contains_null=False))))


def test_type_to_ddl_round_trips_through_parse_type() -> None:
    t = MapType(STRING, ArrayType(struct(Field("a b", DecimalType(38, 38), False, "c"))))
    assert (
        type_to_ddl(t) == "MAP<STRING, ARRAY<STRUCT<`a b`: DECIMAL(38,38) NOT NULL COMMENT 'c'>>>"
    )
    assert parse_type(type_to_ddl(t)) == t


# --------------------------------------------------------------------------------------------
# to_python / type_names_used
# --------------------------------------------------------------------------------------------

NESTED = parse_ddl(
    "id INT NOT NULL, amount DECIMAL(10, 2) COMMENT 'EUR', "
    "items ARRAY<STRUCT<sku: STRING, qty: SMALLINT>>, attrs MAP<STRING, STRING>"
)


def test_to_python_one_line() -> None:
    assert to_python(parse_ddl("id INT, amount DECIMAL(10,2) NOT NULL"), indent=None) == (
        'StructType([StructField("id", IntegerType(), True), '
        'StructField("amount", DecimalType(10, 2), False)])'
    )


def test_to_python_indented() -> None:
    assert to_python(NESTED) == (
        "StructType([\n"
        '    StructField("id", IntegerType(), False),\n'
        '    StructField("amount", DecimalType(10, 2), True, metadata={"comment": "EUR"}),\n'
        '    StructField("items", ArrayType(StructType([\n'
        '        StructField("sku", StringType(), True),\n'
        '        StructField("qty", ShortType(), True),\n'
        "    ]), True), True),\n"
        '    StructField("attrs", MapType(StringType(), StringType(), True), True),\n'
        "])"
    )


def test_to_python_base_indent_shifts_continuation_lines() -> None:
    code = to_python(parse_ddl("a INT"), indent=2, base_indent=8)
    assert code == 'StructType([\n          StructField("a", IntegerType(), True),\n        ])'


def test_to_python_escapes_names_and_comments() -> None:
    s = struct(
        Field('say "hi"', INT, comment="back\\slash 'q' \"dq\" \n\x00"),
        Field("it's", INT, comment="é\u2028"),
    )
    code = to_python(s, indent=None)
    assert '"it\'s"' in code
    assert to_pyspark(s) == T.StructType(
        [
            T.StructField('say "hi"', T.IntegerType(), True, {"comment": s.fields[0].comment}),
            T.StructField("it's", T.IntegerType(), True, {"comment": "é\u2028"}),
        ]
    )


def test_to_python_all_leaf_types_evaluate() -> None:
    s = parse_ddl(
        "a STRING, b BOOLEAN, c TINYINT, d SMALLINT, e INT, f BIGINT, g FLOAT, h DOUBLE, i DATE, "
        "j TIMESTAMP, k TIMESTAMP_NTZ, l BINARY, m DECIMAL(5,1), n VARCHAR(4), o CHAR(2)"
    )
    expected = [
        T.StringType(),
        T.BooleanType(),
        T.ByteType(),
        T.ShortType(),
        T.IntegerType(),
        T.LongType(),
        T.FloatType(),
        T.DoubleType(),
        T.DateType(),
        T.TimestampType(),
        T.TimestampNTZType(),
        T.BinaryType(),
        T.DecimalType(5, 1),
        T.VarcharType(4),
        T.CharType(2),
    ]
    assert [f.dataType for f in to_pyspark(s).fields] == expected


def test_type_names_used() -> None:
    assert type_names_used(NESTED) == [
        "ArrayType",
        "DecimalType",
        "IntegerType",
        "MapType",
        "ShortType",
        "StringType",
        "StructField",
        "StructType",
    ]
    assert type_names_used(parse_ddl("s STRUCT<>")) == ["StructField", "StructType"]
    assert type_names_used(VarcharType(3)) == ["VarcharType"]


# --------------------------------------------------------------------------------------------
# to_json / from_json
# --------------------------------------------------------------------------------------------


def test_to_json_matches_pyspark_shape() -> None:
    assert to_json(NESTED) == to_pyspark(NESTED).jsonValue()
    assert to_json(parse_ddl("a INT COMMENT 'c'"))["fields"][0] == {
        "name": "a",
        "type": "integer",
        "nullable": True,
        "metadata": {"comment": "c"},
    }


def test_from_json_reads_pyspark_json_and_drops_foreign_metadata() -> None:
    value = to_pyspark(NESTED).jsonValue()
    assert from_json(value) == NESTED
    value["fields"][0]["metadata"] = {"delta.columnMapping.id": 1, "comment": "pk"}
    assert from_json(value).fields[0].comment == "pk"
    keep_nulls = {"type": "array", "elementType": "integer", "containsNull": False}
    doc = {
        "type": "struct",
        "fields": [{"name": "a", "type": keep_nulls, "nullable": True}],
    }
    assert from_json(doc) == struct(Field("a", ArrayType(INT, contains_null=False)))


@pytest.mark.parametrize(
    "value, key, message",
    [
        ("integer", "$", "must be an object"),
        ({"type": "struct", "fields": []}, "$.fields", "schema is empty"),
        ({"type": "struct"}, "$", 'missing "fields"'),
        (
            {
                "type": "struct",
                "fields": [{"name": "a", "type": "strng", "nullable": True}],
            },
            "$.fields[0].type",
            "did you mean 'string'?",
        ),
        (
            {"type": "struct", "fields": [{"type": "int"}]},
            "$.fields[0]",
            'missing "name"',
        ),
        (
            {
                "type": "struct",
                "fields": [{"name": "a", "type": "int", "nullable": "x"}],
            },
            "$.fields[0]",
            "nullable",
        ),
        (
            {
                "type": "struct",
                "fields": [{"name": "a", "type": "int"}, {"name": "A", "type": "int"}],
            },
            "$.fields",
            "duplicate column name 'A'",
        ),
        (
            {"type": "struct", "fields": [{"name": "a", "type": {"type": "udt"}}]},
            "$.fields[0].type.type",
            "unsupported JSON type 'udt'",
        ),
        (
            {
                "type": "struct",
                "fields": [
                    {
                        "name": "a",
                        "type": {
                            "type": "array",
                            "elementType": "int",
                            "containsNull": 1,
                        },
                    }
                ],
            },
            "$.fields[0].type",
            "contains_null",
        ),
    ],
)
def test_from_json_errors(value, key: str, message: str) -> None:
    with pytest.raises(SchemaError) as info:
        from_json(value)
    assert message in info.value.message
    assert info.value.key == key


# --------------------------------------------------------------------------------------------
# Property tests
# --------------------------------------------------------------------------------------------

names = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True),
    st.sampled_from(["not", "null", "comment", "struct", "r", "int", "1a"]),
    st.text(min_size=1, max_size=8),
)
comments = st.none() | st.text(max_size=12) | st.sampled_from(["\\%", "'", "\\", "--", "/*"])
leaves = st.one_of(
    st.sampled_from(sorted(S._PRIMITIVES)).map(PrimitiveType),
    st.integers(1, 38).flatmap(lambda p: st.builds(DecimalType, st.just(p), st.integers(0, p))),
    st.builds(VarcharType, st.integers(0, 2**31 - 1)),
    st.builds(CharType, st.integers(0, 255)),
)


def structs(children: st.SearchStrategy[DataType], min_size: int = 0) -> st.SearchStrategy:
    field = st.tuples(names, children, st.booleans(), comments)
    return st.lists(field, min_size=min_size, max_size=4, unique_by=lambda f: f[0].lower()).map(
        lambda fs: StructType(tuple(Field(*f) for f in fs))
    )


def types(nulls_flags: st.SearchStrategy[bool]) -> st.SearchStrategy[DataType]:
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.builds(ArrayType, children, nulls_flags),
            st.builds(MapType, children, children, nulls_flags),
            structs(children),
        ),
        max_leaves=8,
    )


ddl_schemas = structs(types(st.just(True)), min_size=1)
any_schemas = structs(types(st.booleans()), min_size=1)


@given(ddl_schemas)
def test_property_ddl_round_trip(s: StructType) -> None:
    assert parse_ddl(to_ddl(s)) == s


@given(any_schemas)
def test_property_json_and_python_agree_with_pyspark(s: StructType) -> None:
    assert from_json(to_json(s)) == s
    literal = to_pyspark(s)
    assert literal == to_pyspark(s, indent=None)
    assert literal.jsonValue() == to_json(s)
    assert T.StructType.fromJson(to_json(s)) == literal


ddl_fragments = st.sampled_from(
    list("ab `'\"\\<>(),:-/*\nr019")
    + [
        "int",
        "struct",
        "array",
        "map",
        "decimal",
        "not",
        "null",
        "comment",
        "\\u",
        "/*",
        "*/",
    ]
)


@given(st.lists(ddl_fragments, max_size=25).map("".join))
def test_property_malformed_ddl_only_raises_schema_error(text: str) -> None:
    try:
        parsed = parse_ddl(text)
    except SchemaError as error:
        assert error.offset is not None and 0 <= error.offset <= len(text)
        assert error.excerpt().endswith("^")
    else:
        assert parse_ddl(to_ddl(parsed)) == parsed


# --------------------------------------------------------------------------------------------
# Real Spark
# --------------------------------------------------------------------------------------------

SPARK_DDLS = [
    "id INT, date DATE, amount DOUBLE",
    "id: int not null, name: string comment 'customer name'",
    (
        "a tinyint, b smallint, c integer, d bigint, e real, f float, g double, h boolean, "
        "i binary, j timestamp, k timestamp_ltz, l timestamp_ntz, m byte, n short, o long, p string"
    ),
    "d1 DECIMAL(10, 2), d2 decimal, d3 dec(5), d4 numeric(38,38), d5 DECIMAL(1)",
    "v VARCHAR(20), c CHAR(3), c2 character(1)",
    "`my col` ARRAY<STRUCT<a: INT, b STRING>>",
    "m MAP<STRING, ARRAY<INT>>, n map<struct<x:int>, map<string,double>>",
    "`a``b` INT, `x y.z` STRING NOT NULL, _u int, `1a` long, 1b int",
    "s STRUCT<x: INT NOT NULL COMMENT 'inner', y: ARRAY<ARRAY<DATE>>, z STRUCT<>>",
    (
        "a INT COMMENT 'it''s \\'q\\' \\n\\t \\\\ \\u00e9 \\101 \\017 \\% \\_ \\z \\1', "
        'b INT COMMENT "dq "" x", c INT COMMENT \'con\' "cat" r\'raw\\n\' R"x\\"'
    ),
    "\n  id  INT   NOT\n NULL -- primary key\n, /* block /* nested */ */ name STRING\n",
    "STRUCT<a: INT, b: STRING COMMENT 'b'>",
    "Id Int, AMOUNT Decimal(12,4) Not Null Comment 'EUR'",
    "a array < map < string , struct < b : int > > >",
    (
        "e INT COMMENT '\\ud83d\\ude00 \\U0001F600 emoji', `col\nwith newline` INT, `ünï` STRING "
        "COMMENT 'ñ'"
    ),
]

SPARK_REJECTS = [
    "a strng",
    "a bool",
    "a INT,",
    ",a INT",
    "a ARRAY<INT",
    "a ARRAY<INT>>",
    "a DECIMAL(39,0)",
    "a DECIMAL(5,6)",
    "a DECIMAL(10,2",
    "a INT>",
    "my-col INT",
    "é INT",
    "1d INT",
    "a INT COMMENT 'x",
    "a INT b",
    "a MAP<INT>",
    "s STRUCT<a INT,>",
    "a INT NULL",
    "a INT NOT",
    "a VARCHAR",
    "a INT(3)",
    "a INT COMMENT 'x' NOT NULL",
    "a INT NOT NULL NOT NULL",
    "a INT COMMENT 'x' COMMENT 'y'",
    "a ARRAY<INT NOT NULL>",
]


# `spark` is the suite's one session (conftest.py): a second getOrCreate() here would
# return that same session, and stopping it would stop it for every later test.
@pytest.mark.spark
@pytest.mark.parametrize("ddl", SPARK_DDLS)
def test_matches_spark(spark: object, ddl: str) -> None:
    expected = T.StructType.fromDDL(ddl)
    ours = parse_ddl(ddl)
    assert to_pyspark(ours) == expected
    assert to_json(ours) == expected.jsonValue()
    assert T.StructType.fromDDL(to_ddl(ours)) == expected


@pytest.mark.spark
@pytest.mark.parametrize("ddl", SPARK_REJECTS)
def test_rejected_by_spark_and_by_us(spark: object, ddl: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - Spark raises ParseException or others
        T.StructType.fromDDL(ddl)
    with pytest.raises(SchemaError):
        parse_ddl(ddl)


@pytest.mark.spark
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=ddl_schemas)
def test_property_spark_reads_our_ddl(spark: object, s: StructType) -> None:
    assert T.StructType.fromDDL(to_ddl(s)) == to_pyspark(s)
