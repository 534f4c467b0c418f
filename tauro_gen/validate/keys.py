"""The declarative key table: every key of every kind of entry, its type, allowed values and
aliases, defined here and nowhere else (`tauro-gen schema` derives the JSON Schema from it).

`read_entry` checks one entry against its table: unknown, misspelt, duplicated, deprecated and
missing keys (TG201, TG204, TG205, TG206, TG207), then each value by the kind of its key
(TG202, TG203, and the structured values of `values.py`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Any

from ..diagnostics import did_you_mean, one_of
from ..model import BATCH_MODES, INPUT_FORMATS, OUTPUT_FORMATS, OUTPUT_MODES
from . import values
from .context import INVALID, SECTION_OF, Context, describe
from .secrets import ENV_ALLOWED_KEYS, env_inside


@dataclass(frozen=True)
class Key:
    # str | function | bool | map | options | names | dependencies | enum | trigger | schema
    # | watermark | node_io
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""


KEY_TABLE: dict[str, dict[str, Key]] = {
    "pipeline": {
        "nodes": Key("names", True, doc="nodes to run, in any order (wiring decides the order)"),
        "type": Key("enum", choices=("streaming", "batch"), doc="default: from the inputs"),
        "description": Key("str"),
        "spark_conf": Key("options", doc="Spark settings applied in the SparkSession builder"),
        "trigger": Key("trigger", doc="default trigger of the pipeline's streaming outputs"),
        "requires_dates": Key(
            "bool",
            doc="Tauro: nodes given start_date/end_date need both in global settings "
            "(default true); false passes None",
        ),
        "inputs": Key("names", doc="Tauro: informational; nodes name their inputs"),
        "outputs": Key("names", doc="Tauro: informational; nodes name their outputs"),
    },
    "node": {
        "function": Key(
            "function",
            doc="pkg.mod.func, or a module file named like its function; Tauro's "
            "{module, function}; a Tauro streaming node without it passes its input on",
        ),
        "module": Key("str", doc="Tauro spelling: module + function"),
        "input": Key("node_io", doc="inputs or nodes whose DataFrames are passed, in order"),
        "output": Key("node_io", doc="outputs the result is written to"),
        "dependencies": Key(
            "dependencies",
            doc="nodes that must run first; Tauro's mapping or list of single-key "
            "mappings counts their keys",
        ),
        "params": Key("map", doc="keyword arguments for the function"),
        "description": Key("str"),
        "streaming": Key("map", doc="Tauro inline streaming block"),
        "type": Key("enum", choices=("batch",), doc="Tauro: a node's kind; batch only"),
        "fail_fast": Key(
            "bool", doc="Tauro: no effect (tauro-gen checks every input at build time)"
        ),
    },
    "input": {
        "format": Key("enum", True, (*INPUT_FORMATS, "delta_stream")),
        "path": Key("str"),
        "table": Key("str"),
        "streaming": Key("bool"),
        "options": Key("options", doc="passed to the reader as written"),
        "schema": Key("schema", doc="DDL string, list of {name, type, nullable}, or a file"),
        "watermark": Key("watermark"),
        "filter": Key("str", doc="a Spark SQL condition applied to the rows as read"),
        "value_format": Key("enum", choices=("json",)),
        "parse_json": Key("bool", doc="Tauro: Kafka value parsed with json_schema"),
        "json_schema": Key("schema", doc="Tauro: the Kafka value's schema, with parse_json"),
        "description": Key("str"),
    },
    "output": {
        "format": Key("enum", True, (*OUTPUT_FORMATS, "foreachbatch")),
        "path": Key("str"),
        "table": Key("str"),
        "streaming": Key("bool"),
        "mode": Key("enum", choices=BATCH_MODES),
        "output_mode": Key("enum", choices=OUTPUT_MODES),
        "partition_by": Key("names"),
        "options": Key("options", doc="passed to the writer as written"),
        "checkpoint": Key("str"),
        "trigger": Key("trigger"),
        "query_name": Key("str"),
        "foreach_batch": Key(
            "function",
            doc="pkg.mod.func (or Tauro's {module, function}) called as " "func(df, batch_id)",
        ),
        "overwrite_schema": Key("bool", doc="Tauro: Delta's overwriteSchema option"),
        "sub_folder": Key("str", doc="Tauro: the <sub_folder> of an output's computed path"),
        "table_name": Key("str", doc="Tauro: the <table_name> of an output's computed path"),
        "key_column": Key("str", doc="kafka: the column sent as the message key"),
        "description": Key("str"),
    },
    # Tauro's inline streaming node: `streaming: {trigger, output_mode, checkpoint_location,
    # query_name, watermark, options}` beside an inline `input:` / `output:`.
    "streaming": {
        "trigger": Key("trigger"),
        "output_mode": Key("enum", choices=OUTPUT_MODES),
        "checkpoint": Key("str"),
        "query_name": Key("str"),
        "watermark": Key("watermark"),
        "options": Key("options", doc="extra writer options"),
    },
}

# Other spellings of the same key: normalised here and nowhere else.
ALIASES: dict[str, dict[str, str]] = {
    "node": {"depends_on": "dependencies", "inputs": "input", "outputs": "output"},
    "input": {"filepath": "path", "partition_filter": "filter"},
    "output": {
        "filepath": "path",
        "partitionBy": "partition_by",
        "partition": "partition_by",
        "partition_col": "partition_by",
        "partition_columns": "partition_by",
        "write_mode": "mode",
        "batch_function": "foreach_batch",
        "outputMode": "output_mode",
        "checkpoint_location": "checkpoint",
        "checkpointLocation": "checkpoint",
        "queryName": "query_name",
    },
    "pipeline": {"spark_config": "spark_conf"},
    "streaming": {
        "checkpoint_location": "checkpoint",
        "checkpointLocation": "checkpoint",
        "outputMode": "output_mode",
        "queryName": "query_name",
    },
}

# Aliases that still work but should be written the canonical way (TG205, a warning).
DEPRECATED: dict[tuple[str, str], str] = {
    ("node", "inputs"): "a node's DataFrames are listed under 'input'",
    ("node", "outputs"): "a node's sinks are listed under 'output'",
}

# Keys of a node that decide its wiring: a node with one of them wrong is not wired.
WIRING_KEYS = frozenset({"function", "module", "input", "output", "dependencies", "streaming"})

# Keys written on the wrong kind of entry: where they belong.
_OUTPUT_KEYS = ("output_mode", "checkpoint", "query_name", "mode", "partition_by", "foreach_batch")
_IO_KEYS = ("format", "path", "table", "options", "schema", "trigger")
MISPLACED = {
    ("input", "trigger"): "'trigger' belongs on an output, or on the pipeline for all its outputs",
    **{("input", k): f"'{k}' belongs on an output" for k in _OUTPUT_KEYS},
    **{("output", k): f"'{k}' belongs on an input" for k in ("watermark", "value_format")},
    ("output", "schema"): "'schema' (columns) belongs on an input; for Tauro's output "
    "namespace, name the output <schema>.<sub_folder>.<table_name>",
    **{
        ("node", k): f"'{k}' belongs on an input or output entry, which the node names in "
        "input: / output:"
        for k in _IO_KEYS
    },
    **{("pipeline", k): f"'{k}' belongs on a node" for k in ("function", "input", "output")},
    ("pipeline", "streaming"): "Tauro drops a pipeline's streaming block; give the query "
    "settings in the nodes' streaming blocks or on the outputs (a pipeline's trigger: is the "
    "default of its outputs)",
    # Tauro's Delta time travel, written beside format: Spark's reader takes it as an option.
    **{
        ("input", k): f"Tauro's '{k}' is an option of Spark's Delta reader: write "
        f"options: {{{spark}: ...}}"
        for k, spark in (
            ("versionAsOf", "versionAsOf"),
            ("version", "versionAsOf"),
            ("timestampAsOf", "timestampAsOf"),
            ("timestamp", "timestampAsOf"),
        )
    },
}

EXAMPLE_KEY = {
    "pipeline": "nodes: [my_node]",
    "node": "function: pkg.module.function",
    "input": "format: csv",
    "output": "format: parquet",
    "streaming": "output_mode: append",
}

# Kinds of value that may hold `${env:...}` anywhere inside (the job reads them at run time);
# `secrets.check_env_placement` decides which of their keys may.
_ENV_READING_KINDS = ("node_io", "options", "map")


# --------------------------------------------------------------------------------------------
# One entry
# --------------------------------------------------------------------------------------------


def read_entry(
    ctx: Context, kind: str, name: str, data: Any, path: tuple | None = None
) -> dict | None:
    """The canonical keys of one entry, each value checked; None if it is not a mapping."""
    path = path or (SECTION_OF[kind], name)
    label = ctx.label(kind, name)
    if data is None or not isinstance(data, dict):
        ctx.report.error(
            "TG206",
            ctx.at(*path, value=data is not None),
            f"{label} must be a mapping of keys, got {describe(data)}",
            f"indent its keys under '{path[-1]}:', e.g. {EXAMPLE_KEY.get(kind, 'key: value')}",
        )
        return None
    table = KEY_TABLE[kind]
    aliases = ALIASES[kind]
    checked_values: dict[str, Any] = {}
    written = {aliases.get(str(k), str(k)) for k in data}
    meant: set[str] = set()  # keys the user misspelt: reported once, as TG201
    invalid = ctx.invalid.setdefault((kind, name), set())
    for key, value in data.items():
        key = str(key)
        canonical = aliases.get(key, key)
        if canonical != key:
            if canonical in data:
                invalid.add(canonical)
                ctx.report.error(
                    "TG207",
                    ctx.at(*path, key),
                    f"{label}: '{key}' and '{canonical}' mean the same thing",
                    f"keep only '{canonical}'",
                )
                continue
            _alias_written(ctx, kind, label, path, key, canonical)
        if canonical not in table:
            close = _closest(key, [k for k in [*table, *aliases] if k not in written])
            if close:
                meant.add(aliases.get(close, close))
                hint = f"did you mean '{close}'?"
            else:
                hint = MISPLACED.get((kind, key)) or "allowed keys: " + ", ".join(table)
            ctx.report.error("TG201", ctx.at(*path, key), f"{label}: unknown key '{key}'", hint)
            continue
        checked = read_value(ctx, label, path + (canonical,), canonical, table[canonical], value)
        if checked is INVALID:
            invalid.add(canonical)
        else:
            checked_values[canonical] = checked
    invalid |= meant
    for key, spec in table.items():
        if spec.required and key not in written and key not in meant:
            example = f" ({one_of(spec.choices)})" if spec.choices else ""
            ctx.report.error(
                "TG204",
                ctx.at(*path),
                f"{label}: missing required key '{key}'",
                f"add '{key}:'{example}",
            )
    return checked_values


def _alias_written(ctx: Context, kind: str, label: str, path: tuple, key: str, canonical: str):
    """An alias stands for its canonical key: diagnostics about the canonical key point where
    the alias was written, and a deprecated alias is said to be one (TG205)."""
    n = len(path) + 1
    for table in (ctx.raw.key_locs, ctx.raw.value_locs):
        for loc_path, loc in list(table.items()):
            if loc_path[: len(path)] == path and len(loc_path) >= n and loc_path[len(path)] == key:
                table.setdefault(path + (canonical,) + loc_path[n:], loc)
    if (kind, key) in DEPRECATED:
        ctx.report.warning(
            "TG205",
            ctx.at(*path, key),
            f"{label}: '{key}' is a deprecated spelling of '{canonical}'",
            f"write '{canonical}:' ({DEPRECATED[(kind, key)]})",
        )


def _closest(word: str, choices: Any) -> str | None:
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


# --------------------------------------------------------------------------------------------
# One value, by the kind of its key
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Written:
    """A value as written under one key of an entry."""

    ctx: Context
    what: str  # how messages name it: "input 'sales': 'format'"
    path: tuple
    key: str
    spec: Key
    value: Any

    def wrong(self, expected: str, hint: str) -> Any:
        self.ctx.report.error(
            "TG202",
            self.ctx.at(*self.path, value=True),
            f"{self.what} must be {expected}, got {describe(self.value)}",
            hint,
        )
        return INVALID


def read_value(ctx: Context, label: str, path: tuple, key: str, spec: Key, value: Any) -> Any:
    """The value of `key` as the model holds it, or INVALID when it was reported."""
    if spec.kind not in _ENV_READING_KINDS and key not in ENV_ALLOWED_KEYS and env_inside(value):
        return INVALID  # reported once, as TG112, by secrets.check_env_placement
    return _READERS[spec.kind](_Written(ctx, f"{label}: '{key}'", path, key, spec, value))


def _text(w: _Written) -> Any:
    if isinstance(w.value, str):
        if not w.value.strip() and w.key not in ("description",):
            return w.wrong("a non-empty string", f"write a value after '{w.key}:' or remove it")
        return w.value
    if isinstance(w.value, (int, float)) and not isinstance(w.value, bool):
        return str(w.value)
    scalar = isinstance(w.value, (str, int, float, bool))
    return w.wrong("a string", "quote the value" if scalar else f"write one value after '{w.key}:'")


def _function(w: _Written) -> Any:
    """`pkg.mod.func`, or Tauro's `{module: pkg.mod, function: func}` (kept as a mapping)."""
    if not isinstance(w.value, dict):
        return _text(w)
    if "key" in w.value:
        w.ctx.report.error(
            "TG202",
            w.ctx.at(*w.path, "key"),
            f"{w.what}: Tauro's registry form {{key: ...}} names no code tauro-gen can copy "
            "(Tauro's own validator refuses it too)",
            f"write {w.key}: {{module: pkg.module, function: name}}",
        )
        return INVALID
    ok = True
    for part in ("module", "function"):
        if not isinstance(w.value.get(part), str) or not w.value[part].strip():
            ok = False
            w.ctx.report.error(
                "TG202",
                w.ctx.at(*w.path, part, value=True) if part in w.value else w.ctx.at(*w.path),
                f"{w.what}: '{part}' must be a name, got {describe(w.value.get(part))}",
                f"write {w.key}: {{module: pkg.module, function: name}}",
            )
    for extra in sorted(set(map(str, w.value)) - {"module", "function"}):
        ok = False
        w.ctx.report.error(
            "TG201",
            w.ctx.at(*w.path, extra),
            f"{w.what}: unknown key '{extra}'",
            "a function is {module: pkg.module, function: name}",
        )
    return {"module": w.value["module"], "function": w.value["function"]} if ok else INVALID


def _flag(w: _Written) -> Any:
    if isinstance(w.value, bool):
        return w.value
    return w.wrong("true or false", "write true or false (without quotes)")


def _mapping(w: _Written) -> Any:
    if w.value is None:
        return {}
    if isinstance(w.value, dict):
        return w.value
    return w.wrong("a mapping of key: value", "indent 'name: value' lines under it")


def _options(w: _Written) -> Any:
    """Spark options and settings: a mapping of single values."""
    if w.value is None:
        return {}
    if not isinstance(w.value, dict):
        return w.wrong("a mapping of key: value", "e.g. {header: true}")
    ok = True
    empty = [k for k, v in w.value.items() if v is None and w.key == "options"]
    for k in empty:  # a reader's or writer's option written without a value
        w.ctx.report.warning(
            "TG213",
            w.ctx.at(*w.path, k),
            f"{w.what}: '{k}' has no value, so the option is left out (as Tauro leaves it out)",
            "give it a value, or remove it",
        )
    for k, v in w.value.items():
        if k in empty:
            continue
        if not isinstance(v, (str, int, float, bool)):
            ok = False
            w.ctx.report.error(
                "TG202",
                w.ctx.at(*w.path, k, value=True),
                f"{w.what}: '{k}' must be text, a number or true/false, got {describe(v)}",
                "Spark options and settings are single values; quote a list as text",
            )
    if not ok:
        return INVALID
    return {k: v for k, v in w.value.items() if k not in empty} if empty else w.value


def _names(w: _Written) -> Any:
    """A name or a list of names; for a node's input/output also a Tauro inline definition."""
    value = w.value
    if isinstance(value, str) and "," in value:
        # "day_of_week, date" means two names (Tauro's own str-or-list keys are written
        # so); taken as one, it named a column that does not exist.
        names = [part.strip() for part in value.split(",")]
        if all(names):
            return names
        return w.wrong("a name or a list of names, not an empty one between commas", "e.g. [a, b]")
    if isinstance(value, str) and value.strip():
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return list(value)
    if w.spec.kind == "node_io" and isinstance(value, dict):
        return value  # Tauro inline source/sink, read by entries.read_nodes
    if isinstance(value, list):
        for i, item in enumerate(value):
            if not (isinstance(item, str) and item.strip()):
                w.ctx.report.error(
                    "TG202",
                    w.ctx.at(*w.path, i, value=True),
                    f"{w.what}: item {i + 1} must be a name, got {describe(item)}",
                    "list names only, e.g. [orders, customers]",
                )
        return INVALID
    expected = "a name or a list of names"
    if w.spec.kind == "node_io":
        expected = "a name, a list of names, or an inline definition"
    return w.wrong(expected, "e.g. [orders, customers]")


def _dependencies(w: _Written) -> Any:
    """Names, or Tauro's forms of them: a mapping, or a list of single-key mappings, whose
    keys are the names (Tauro reads only the keys)."""
    value = w.value
    if isinstance(value, dict):
        value = list(value)
    elif isinstance(value, list):
        value = [
            next(iter(item)) if isinstance(item, dict) and len(item) == 1 else item
            for item in value
        ]
    return _names(replace(w, value=value))


# Values Tauro accepts that no generated job can mean: why, instead of a near miss.
REFUSED_CHOICES = {
    ("format", "file_stream"): "Tauro validates file_stream but has no reader for it; a "
    "folder read as a stream is format: csv, json or parquet with streaming: true",
    ("mode", "merge"): "Tauro warns and overwrites the whole output instead; write overwrite "
    "to say so, or append",
    ("format", "unity_catalog"): "Tauro's Unity Catalog writer needs Databricks; a catalog "
    "table is format: table with table: <catalog>.<schema>.<name>",
    ("type", "hybrid"): "a pipeline is batch or streaming; split a hybrid one in two",
    ("type", "ml"): "a pipeline is batch or streaming; Tauro's ML layer is not generated",
    ("type", "feature_store"): "Tauro's Feature Store operations are not generated; a node "
    "is a function",
}


def _choice(w: _Written) -> Any:
    choices = w.spec.choices
    if not isinstance(w.value, str):
        return w.wrong(one_of(choices), f"write e.g. {w.key}: {choices[0]}")
    lowered = w.value.strip().lower()
    if lowered not in choices and (w.key, lowered) in REFUSED_CHOICES:
        w.ctx.report.error(
            "TG203",
            w.ctx.at(*w.path, value=True),
            f"{w.what}: '{w.value}' is not allowed",
            REFUSED_CHOICES[(w.key, lowered)] + "; " + one_of(choices),
        )
        return INVALID
    if lowered not in choices:
        close = did_you_mean(lowered, choices)
        w.ctx.report.error(
            "TG203",
            w.ctx.at(*w.path, value=True),
            f"{w.what}: '{w.value}' is not allowed",
            (close + " " if close else "") + one_of(choices),
        )
        return INVALID
    return lowered


def _trigger(w: _Written) -> Any:
    trigger = values.read_trigger(w.ctx, w.what, w.path, w.value)
    return trigger if trigger is not None else INVALID


def _schema(w: _Written) -> Any:
    return values.read_schema(w.ctx, w.what, w.path, w.value)


def _watermark(w: _Written) -> Any:
    return values.read_watermark(w.ctx, w.what, w.path, w.value)


# How each kind of key (Key.kind) reads its value.
_READERS = {
    "str": _text,
    "function": _function,
    "bool": _flag,
    "map": _mapping,
    "options": _options,
    "names": _names,
    "dependencies": _dependencies,
    "node_io": _names,
    "enum": _choice,
    "trigger": _trigger,
    "schema": _schema,
    "watermark": _watermark,
}
