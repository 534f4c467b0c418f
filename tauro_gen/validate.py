"""Stage 2 — validate: turn the loaded, untyped config into the typed `Project`, or explain
precisely why not.

Each entry kind has one declarative table of keys (`ENTRY_KEYS`), the single place where keys,
types, allowed values and aliases are defined; the JSON Schema (`tauro-gen schema`) is derived
from the same table. After the per-entry checks come the cross-entry ones: references, wiring,
cycles, node code, and the streaming rules that only make sense across a whole pipeline.

Every finding is a located `Diagnostic` with a stable code (docs/diagnostics.md lists them all);
nothing here raises on a user's mistake, so one run reports every problem at once.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from . import schema as schema_mod
from .diagnostics import Location, Report, did_you_mean, one_of
from .load import ENV_REFERENCE, REFERENCE, RawProject
from .model import (
    BATCH_MODES,
    FILE_FORMATS,
    INPUT_FORMATS,
    OUTPUT_FORMATS,
    OUTPUT_MODES,
    RESERVED_NAMES,
    SCAFFOLD_IMPORTS,
    InputSpec,
    NodeSpec,
    NodeWiring,
    OutputSpec,
    PipelineSpec,
    Project,
    ResolvedPipeline,
    Trigger,
    Watermark,
    checkpoint_of,
)
from .nodecode import CodeError, SourceIndex

# --------------------------------------------------------------------------------------------
# Key tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    kind: str  # str | bool | map | options | names | enum | trigger | schema | watermark | node_io
    required: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""


ENTRY_KEYS: dict[str, dict[str, Key]] = {
    "pipeline": {
        "nodes": Key("names", True, doc="nodes to run, in any order (wiring decides the order)"),
        "type": Key("enum", choices=("streaming", "batch"), doc="default: from the inputs"),
        "description": Key("str"),
        "spark_conf": Key("options", doc="Spark settings applied in the SparkSession builder"),
        "trigger": Key("trigger", doc="default trigger of the pipeline's streaming outputs"),
    },
    "node": {
        "function": Key("str", True, doc="pkg.mod.func, or a module file named like its function"),
        "module": Key("str", doc="Tauro spelling: module + function"),
        "input": Key("node_io", doc="inputs or nodes whose DataFrames are passed, in order"),
        "output": Key("node_io", doc="outputs the result is written to"),
        "dependencies": Key("names", doc="nodes that must run first"),
        "params": Key("map", doc="keyword arguments for the function"),
        "description": Key("str"),
        "streaming": Key("map", doc="Tauro inline streaming block"),
    },
    "input": {
        "format": Key("enum", True, INPUT_FORMATS),
        "path": Key("str"),
        "table": Key("str"),
        "streaming": Key("bool"),
        "options": Key("options", doc="passed to the reader as written"),
        "schema": Key("schema", doc="DDL string, list of {name, type, nullable}, or a file"),
        "watermark": Key("watermark"),
        "value_format": Key("enum", choices=("json",)),
        "description": Key("str"),
    },
    "output": {
        "format": Key("enum", True, OUTPUT_FORMATS),
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
        "foreach_batch": Key("str", doc="pkg.mod.func called as func(df, batch_id)"),
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
    "input": {"filepath": "path"},
    "output": {
        "filepath": "path",
        "partitionBy": "partition_by",
        "partition": "partition_by",
        "outputMode": "output_mode",
        "checkpoint_location": "checkpoint",
        "checkpointLocation": "checkpoint",
        "queryName": "query_name",
    },
    "pipeline": {},
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

TRIGGER_SPELLINGS = {
    "processing_time": "processing_time",
    "processingTime": "processing_time",
    "processingtime": "processing_time",
    "available_now": "available_now",
    "availableNow": "available_now",
    "availablenow": "available_now",
    "continuous": "continuous",
    "once": "once",
}
TRIGGER_NAMES = ("processing_time", "available_now", "continuous", "once")

# Spark's interval grammar (IntervalUtils.stringToInterval), checked against pyspark 4.3:
# "[interval] <number> <unit> [<number> <unit> ...]"; only seconds take a fraction.
_UNITS_MICROS = {
    "year": None,
    "month": None,
    "week": 7 * 86_400_000_000,
    "day": 86_400_000_000,
    "hour": 3_600_000_000,
    "minute": 60_000_000,
    "second": 1_000_000,
    "millisecond": 1_000,
    "microsecond": 1,
}
_INTERVAL_PART = re.compile(
    r"([+-]?)\s*(\d+(?:\.\d*)?|\.\d+)\s+(year|month|week|day|hour|minute|second|millisecond"
    r"|microsecond)s?(?=\s|$)",
    re.IGNORECASE,
)
INTERVAL_EXAMPLES = "e.g. '10 seconds', '1 minute', '500 milliseconds', '1 hour 30 minutes'"

SECTION_OF = {
    "pipeline": "pipelines",
    "node": "nodes",
    "input": "inputs",
    "output": "outputs",
}

# Names become file names (build/<pipeline>.py), query names and Python identifiers.
SAFE_NAME = re.compile(r"^\w[\w.\-]*$")
MAX_NAME = 100

# Keys whose values the generated job may read from the environment when it starts
# (`${env:NAME}`); everything else must be known when the job is generated.
ENV_ALLOWED_KEYS = frozenset({"path", "filepath", "table", "description"})
ENV_ALLOWED_MAPS = frozenset({"options", "params", "spark_conf"})

# A key names a secret when its last word (or last two) is one of these.
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "passphrase",
        "credential",
        "credentials",
    }
)
SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("account", "key"),
        ("access", "token"),
        ("auth", "token"),
        ("client", "secret"),
        ("sas", "token"),
    }
)
URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]+:([^/\s@]+)@")
INLINE_PASSWORD = re.compile(r"""password\s*=\s*(["'])(.*?)\1""", re.IGNORECASE)

# Streaming sinks and the output modes Spark accepts for them (pyspark 4.3, measured).
SINK_OUTPUT_MODES = {
    **{fmt: ("append",) for fmt in FILE_FORMATS},
    "delta": ("append", "complete"),
}
CONTINUOUS_SOURCES = ("kafka", "rate")
CONTINUOUS_SINKS = ("kafka", "console", "memory")
CONTINUOUS_UNSUPPORTED_OPS = (
    "aggregation",
    "window",
    "join",
    "deduplication",
    "sort",
    "limit",
    "arbitrary_state",
)
STREAM_ONLY_SOURCES = ("rate",)
STREAM_ONLY_SINKS = ("memory",)
# Kafka client settings the Spark Kafka source/sink manages itself and refuses.
KAFKA_FORBIDDEN = {
    "auto.offset.reset": "use the option startingOffsets (earliest, latest or a JSON offset map)",
    "key.deserializer": "keys arrive as binary: cast with CAST(key AS STRING) or from_json",
    "value.deserializer": "values arrive as binary: use value_format: json with a schema",
    "key.serializer": "write a 'key' column (string or binary) instead",
    "value.serializer": "write a 'value' column (string or binary) instead",
    "enable.auto.commit": "Spark tracks offsets in the checkpoint; remove it",
    "interceptor.classes": "Spark reads keys and values as bytes; remove it",
}
FILE_SOURCE_FORMATS = FILE_FORMATS


class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


_INVALID: Any = _Invalid()


def interval_problem(text: Any, months_allowed: bool = False) -> str | None:
    """Why Spark would refuse `text` as an interval, or None when it parses."""
    if not isinstance(text, str) or not text.strip():
        return "it is empty" if isinstance(text, str) else "it is not text"
    body = text.strip()
    if body[:8].lower() == "interval" and body[8:9].isspace():
        body = body[8:].strip()
    total = 0
    position = 0
    parts = 0
    for match in _INTERVAL_PART.finditer(body):
        if body[position : match.start()].strip():
            break
        sign, number, unit = match.group(1), match.group(2), match.group(3).lower()
        if "." in number and unit != "second":
            return f"only seconds can have a fraction ('{number} {unit}')"
        micros = _UNITS_MICROS[unit]
        if micros is None:
            if not months_allowed:
                return "a trigger interval cannot be given in months or years"
            micros = 30 * 86_400_000_000
        try:
            value = int(Decimal(number) * micros)
        except InvalidOperation:
            return f"'{number}' is not a number"
        total += -value if sign == "-" else value
        position = match.end()
        parts += 1
    if not parts or body[position:].strip():
        return "Spark reads '<number> <unit>' with a unit spelled out in full"
    if total < 0:
        return "it is negative"
    if total >= 2**63:
        return "it is too large"
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}' (a boolean)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"'{value}'"
    return f"'{value}' (a {type(value).__name__}; quote it to keep it as text)"


def _env_inside(value: Any) -> bool:
    if isinstance(value, str):
        return any(ENV_REFERENCE.match(m.group(1).strip()) for m in REFERENCE.finditer(value))
    if isinstance(value, dict):
        return any(_env_inside(v) for v in value.values())
    if isinstance(value, list):
        return any(_env_inside(v) for v in value)
    return False


def _closest(word: str, choices: Any) -> str | None:
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _name_words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(key))
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def is_secret_key(key: Any) -> bool:
    """`password`, `db_password`, `kafka.sasl.token`, `spark...secret.key`: yes; `max_tokens`,
    `token_column`: no."""
    words = _name_words(str(key))
    if not words:
        return False
    return words[-1] in SECRET_WORDS or tuple(words[-2:]) in SECRET_PAIRS


def _only_env_references(text: str) -> bool:
    stripped = REFERENCE.sub(
        lambda m: "" if ENV_REFERENCE.match(m.group(1).strip()) else m.group(0), text
    )
    return stripped.strip() == ""


def _env_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", str(key)).strip("_").upper() or "SECRET"


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", name).strip("_.-") or "my_name"


# Keys written on the wrong kind of entry: where they belong.
_OUTPUT_KEYS = ("output_mode", "checkpoint", "query_name", "mode", "partition_by", "foreach_batch")
_IO_KEYS = ("format", "path", "table", "options", "schema", "trigger")
MISPLACED = {
    ("input", "trigger"): "'trigger' belongs on an output, or on the pipeline for all its outputs",
    **{("input", k): f"'{k}' belongs on an output" for k in _OUTPUT_KEYS},
    **{
        ("output", k): f"'{k}' belongs on an input" for k in ("schema", "watermark", "value_format")
    },
    **{
        ("node", k): f"'{k}' belongs on an input or output entry, which the node names in "
        "input: / output:"
        for k in _IO_KEYS
    },
    **{("pipeline", k): f"'{k}' belongs on a node" for k in ("function", "input", "output")},
    ("pipeline", "inputs"): "a pipeline lists nodes; the nodes name their inputs",
    ("pipeline", "outputs"): "a pipeline lists nodes; the nodes name their outputs",
}

EXAMPLE_KEY = {
    "pipeline": "nodes: [my_node]",
    "node": "function: pkg.module.function",
    "input": "format: csv",
    "output": "format: parquet",
    "streaming": "output_mode: append",
}


class _Checker:
    """Per-entry checks; every finding goes to the shared report with its location."""

    def __init__(self, raw: RawProject, report: Report):
        self.raw = raw
        self.report = report
        # How an entry is named in messages; inline entries are named after their node.
        self.labels: dict[tuple[str, str], str] = {}
        # Keys of an entry that were written wrongly (or misspelt): the entry is reported,
        # and left out of what depends on those keys, so one mistake makes one error.
        self.invalid: dict[tuple[str, str], set[str]] = {}

    def at(self, *path: Any, value: bool = False) -> Location:
        return self.raw.where(tuple(path), value=value)

    def label(self, kind: str, name: str) -> str:
        return self.labels.get((kind, name), f"{kind} '{name}'")

    def name(self, kind: str, name: str, where: Location) -> None:
        """Names become file names, query names and Python identifiers: keep them plain."""
        problem = None
        if not name.strip():
            problem = "is empty"
        elif len(name) > MAX_NAME:
            problem = f"is longer than {MAX_NAME} characters"
        elif not SAFE_NAME.match(name):
            bad = sorted({c for c in name if not (c.isalnum() or c in "_.-")})
            shown = ", ".join(repr(c) for c in bad[:5])
            problem = f"contains {shown}" if bad else "must start with a letter, digit or '_'"
        if problem:
            self.report.error(
                "TG212",
                where,
                f"{kind} name {name!r} {problem}",
                f"use letters, digits, '_', '-' and '.', e.g. '{_safe_name(name)[:MAX_NAME]}'"
                f" (the name becomes a file name and a Python identifier)",
            )

    def entry(self, kind: str, name: str, data: Any, path: tuple | None = None) -> dict | None:
        """The canonical keys of one entry, each value checked; None if it is not a mapping."""
        path = path or (SECTION_OF[kind], name)
        label = self.label(kind, name)
        if data is None or not isinstance(data, dict):
            self.report.error(
                "TG206",
                self.at(*path, value=data is not None),
                f"{label} must be a mapping of keys, got {_describe(data)}",
                f"indent its keys under '{path[-1]}:', e.g. {EXAMPLE_KEY.get(kind, 'key: value')}",
            )
            return None
        table = ENTRY_KEYS[kind]
        aliases = ALIASES[kind]
        out: dict[str, Any] = {}
        written = {aliases.get(str(k), str(k)) for k in data}
        meant: set[str] = set()  # keys the user misspelt: reported once, as TG201
        invalid = self.invalid.setdefault((kind, name), set())
        for key, value in data.items():
            key = str(key)
            canonical = aliases.get(key, key)
            where_key = self.at(*path, key)
            if canonical != key:
                if canonical in data:
                    invalid.add(canonical)
                    self.report.error(
                        "TG207",
                        where_key,
                        f"{label}: '{key}' and '{canonical}' mean the same thing",
                        f"keep only '{canonical}'",
                    )
                    continue
                self._alias_locations(path, key, canonical)
                if (kind, key) in DEPRECATED:
                    self.report.warning(
                        "TG205",
                        where_key,
                        f"{label}: '{key}' is a deprecated spelling of '{canonical}'",
                        f"write '{canonical}:' ({DEPRECATED[(kind, key)]})",
                    )
            if canonical not in table:
                close = _closest(key, [k for k in [*table, *aliases] if k not in written])
                if close:
                    meant.add(aliases.get(close, close))
                    hint = f"did you mean '{close}'?"
                else:
                    hint = MISPLACED.get((kind, key)) or "allowed keys: " + ", ".join(table)
                self.report.error("TG201", where_key, f"{label}: unknown key '{key}'", hint)
                continue
            checked = self.value(label, path + (canonical,), canonical, table[canonical], value)
            if checked is _INVALID:
                invalid.add(canonical)
            else:
                out[canonical] = checked
        invalid |= meant
        for key, spec in table.items():
            if spec.required and key not in written and key not in meant:
                example = f" ({one_of(spec.choices)})" if spec.choices else ""
                self.report.error(
                    "TG204",
                    self.at(*path),
                    f"{label}: missing required key '{key}'",
                    f"add '{key}:'{example}",
                )
        return out

    def _alias_locations(self, path: tuple, key: str, canonical: str) -> None:
        """Locate diagnostics about a canonical key where the user wrote its alias."""
        n = len(path) + 1
        for table in (self.raw.key_locs, self.raw.value_locs):
            for loc_path, loc in list(table.items()):
                if (
                    loc_path[: len(path)] == path
                    and len(loc_path) >= n
                    and loc_path[len(path)] == key
                ):
                    table.setdefault(path + (canonical,) + loc_path[n:], loc)

    def value(self, label: str, path: tuple, key: str, spec: Key, value: Any) -> Any:
        where = self.at(*path, value=True)
        what = f"{label}: '{key}'"
        if (
            spec.kind not in ("node_io", "options", "map")
            and key not in ENV_ALLOWED_KEYS
            and _env_inside(value)
        ):
            return _INVALID  # reported once, as TG112, by _check_env_placement

        def wrong(expected: str, hint: str) -> Any:
            self.report.error(
                "TG202",
                where,
                f"{what} must be {expected}, got {_describe(value)}",
                hint,
            )
            return _INVALID

        if spec.kind == "str":
            if isinstance(value, str):
                if not value.strip() and key not in ("description",):
                    return wrong(
                        "a non-empty string",
                        f"write a value after '{key}:' or remove it",
                    )
                return value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            return wrong(
                "a string",
                "quote the value" if _scalar(value) else f"write one value after '{key}:'",
            )
        if spec.kind == "bool":
            if isinstance(value, bool):
                return value
            hint = "write true or false (without quotes)"
            return wrong("true or false", hint)
        if spec.kind == "map":
            if value is None:
                return {}
            if isinstance(value, dict):
                return value
            return wrong("a mapping of key: value", "indent 'name: value' lines under it")
        if spec.kind == "options":
            if value is None:
                return {}
            if not isinstance(value, dict):
                return wrong("a mapping of key: value", "e.g. {header: true}")
            ok = True
            for k, v in value.items():
                if not _scalar(v):
                    ok = False
                    self.report.error(
                        "TG202",
                        self.at(*path, k, value=True),
                        f"{what}: '{k}' must be text, a number or true/false, got {_describe(v)}",
                        "Spark options and settings are single values; quote a list as text",
                    )
            return value if ok else _INVALID
        if spec.kind in ("names", "node_io"):
            if isinstance(value, str) and value.strip():
                return [value]
            if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
                return list(value)
            if spec.kind == "node_io" and isinstance(value, dict):
                return value  # Tauro inline source/sink, checked by the caller
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if not (isinstance(item, str) and item.strip()):
                        self.report.error(
                            "TG202",
                            self.at(*path, i, value=True),
                            f"{what}: item {i + 1} must be a name, got {_describe(item)}",
                            "list names only, e.g. [orders, customers]",
                        )
                return _INVALID
            expected = "a name or a list of names"
            if spec.kind == "node_io":
                expected = "a name, a list of names, or an inline definition"
            return wrong(expected, "e.g. [orders, customers]")
        if spec.kind == "enum":
            if not isinstance(value, str):
                return wrong(one_of(spec.choices), f"write e.g. {key}: {spec.choices[0]}")
            lowered = value.strip().lower()
            if lowered not in spec.choices:
                close = did_you_mean(lowered, spec.choices)
                self.report.error(
                    "TG203",
                    where,
                    f"{what}: '{value}' is not allowed",
                    (close + " " if close else "") + one_of(spec.choices),
                )
                return _INVALID
            return lowered
        if spec.kind == "trigger":
            trigger = self.trigger(what, path, value)
            return trigger if trigger is not None else _INVALID
        if spec.kind == "schema":
            return self.schema(what, path, value)
        if spec.kind == "watermark":
            return self.watermark(what, path, value)
        return value

    def interval(self, what: str, path: tuple, value: Any, months: bool = False) -> bool:
        problem = interval_problem(value, months_allowed=months)
        if problem:
            shown = f"'{value}'" if isinstance(value, str) else _describe(value)
            self.report.error(
                "TG208",
                self.at(*path, value=True),
                f"{what}: {shown} is not an interval Spark understands: {problem}",
                "write " + INTERVAL_EXAMPLES,
            )
        return problem is None

    def watermark(self, what: str, path: tuple, value: Any) -> Any:
        if not isinstance(value, dict):
            self.report.error(
                "TG202",
                self.at(*path, value=True),
                f"{what} must be a mapping {{column: ..., delay: ...}}, got {_describe(value)}",
                "e.g. {column: event_time, delay: 10 minutes}",
            )
            return _INVALID
        ok = True
        for key in value:
            if key not in ("column", "delay"):
                ok = False
                self.report.error(
                    "TG201",
                    self.at(*path, key),
                    f"{what}: unknown key '{key}'",
                    did_you_mean(str(key), ("column", "delay"))
                    or "a watermark has column and delay",
                )
        for key, example in (("column", "event_time"), ("delay", "10 minutes")):
            if key not in value:
                ok = False
                self.report.error(
                    "TG204",
                    self.at(*path),
                    f"{what}: missing '{key}'",
                    f"add {key}: {example}",
                )
        column = value.get("column")
        if "column" in value and not (isinstance(column, str) and column.strip()):
            ok = False
            self.report.error(
                "TG202",
                self.at(*path, "column", value=True),
                f"{what}: 'column' must be a column name, got {_describe(column)}",
                "name the event-time column, e.g. column: event_time",
            )
        if "delay" in value and not self.interval(
            what + " delay", path + ("delay",), value["delay"], True
        ):
            ok = False
        if not ok:
            return _INVALID
        return Watermark(str(column), str(value["delay"]).strip())

    def trigger(self, what: str, path: tuple, value: Any) -> Trigger | None:
        where = self.at(*path, value=True)
        examples = (
            "{processing_time: '5 seconds'}, {available_now: true} or {continuous: '1 second'}"
        )
        if isinstance(value, str):
            spelled = TRIGGER_SPELLINGS.get(value.strip())
            if spelled in ("available_now", "once"):
                return self._trigger_kind(what, path, spelled, True, where)
            if spelled is not None:
                self.report.error(
                    "TG211",
                    where,
                    f"{what}: '{value}' needs an interval",
                    f"write {{{spelled}: '5 seconds'}}",
                )
                return None
            value = {"processing_time": value}
            path_setting = path
        else:
            path_setting = None
        if not isinstance(value, dict) or not value:
            self.report.error(
                "TG211",
                where,
                f"{what} must be a trigger, got {_describe(value)}",
                "write " + examples,
            )
            return None
        if "type" in value:  # Tauro: {type: processing_time, interval: "10 seconds"}
            kind = TRIGGER_SPELLINGS.get(str(value["type"]).strip())
            ok = True
            for key in value:
                if key not in ("type", "interval"):
                    ok = False
                    self.report.error(
                        "TG211",
                        self.at(*path, key),
                        f"{what}: unknown key '{key}' next to 'type'",
                        "a Tauro trigger has only type and interval",
                    )
            if kind is None:
                close = did_you_mean(str(value["type"]), TRIGGER_SPELLINGS)
                self.report.error(
                    "TG211",
                    self.at(*path, "type", value=True),
                    f"{what}: unknown trigger type '{value['type']}'",
                    (close + " " if close else "") + one_of(TRIGGER_NAMES),
                )
                return None
            if not ok:
                return None
            if kind in ("available_now", "once"):
                if "interval" in value:
                    self.report.error(
                        "TG211",
                        self.at(*path, "interval"),
                        f"{what}: a {kind} trigger takes no interval",
                        "remove 'interval:'",
                    )
                    return None
                return self._trigger_kind(what, path, kind, True, where)
            if "interval" not in value:
                self.report.error(
                    "TG211",
                    where,
                    f"{what}: a {kind} trigger needs an interval",
                    "add interval: '5 seconds'",
                )
                return None
            return self._trigger_kind(what, path + ("interval",), kind, value["interval"], where)
        if len(value) != 1:
            self.report.error(
                "TG211",
                where,
                f"{what}: give exactly one trigger kind, got {', '.join(map(str, value))}",
                "e.g. " + examples,
            )
            return None
        ((spelled, setting),) = value.items()
        kind = TRIGGER_SPELLINGS.get(str(spelled))
        if kind is None:
            close = did_you_mean(str(spelled), TRIGGER_SPELLINGS)
            self.report.error(
                "TG211",
                self.at(*path, spelled),
                f"{what}: unknown trigger '{spelled}'",
                (close + " " if close else "") + one_of(TRIGGER_NAMES),
            )
            return None
        setting_path = path_setting or path + (spelled,)
        return self._trigger_kind(what, setting_path, kind, setting, where)

    def _trigger_kind(self, what, path, kind, setting, where) -> Trigger | None:
        if kind in ("available_now", "once"):
            if setting is not True:
                self.report.error(
                    "TG211",
                    self.at(*path, value=True),
                    f"{what}: {kind} takes 'true', got {_describe(setting)}",
                    f"write {{{kind}: true}}, or remove the trigger",
                )
                return None
            if kind == "once":
                self.report.warning(
                    "TG210",
                    where,
                    f"{what}: the 'once' trigger is deprecated by Spark",
                    "use {available_now: true}: same semantics, but it splits the backlog "
                    "into batches",
                )
            return Trigger(kind)
        if not self.interval(what, path, setting):
            return None
        return Trigger(kind, setting.strip())

    def schema(self, what: str, path: tuple, value: Any) -> Any:
        where = self.at(*path, value=True)
        try:
            if isinstance(value, str):
                stripped = value.strip()
                if stripped.endswith((".json", ".ddl")) and "\n" not in stripped:
                    return self.schema_file(what, where, stripped)
                return schema_mod.parse_ddl(value)
            if isinstance(value, list):
                return schema_mod.parse_field_list(value)
        except schema_mod.SchemaError as exc:
            if exc.index is not None:
                where = self.at(*path, exc.index, value=True)
                if exc.key is not None and isinstance(value, list):
                    where = self.at(*path, exc.index, exc.key, value=True)
            self.report.error(
                "TG209", where, f"{what}: {exc}", "fix the schema; see README 'Schemas'"
            )
            return _INVALID
        self.report.error(
            "TG202",
            where,
            f"{what} must be a DDL string, a list of fields or a .json/.ddl file, "
            f"got {_describe(value)}",
            'e.g. schema: "id INT, date DATE, amount DOUBLE"',
        )
        return _INVALID

    def schema_file(self, what: str, where: Location, relpath: str) -> Any:
        path = self.raw.root / relpath
        if not path.is_file():
            self.report.error(
                "TG209",
                where,
                f"{what}: schema file '{relpath}' not found",
                "paths are relative to the project root",
            )
            return _INVALID
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.report.error(
                "TG209", where, f"{what}: cannot read {relpath}: {exc}", "save it as UTF-8 text"
            )
            return _INVALID
        if relpath.endswith(".ddl"):
            return schema_mod.parse_ddl(text)
        try:
            return schema_mod.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            self.report.error(
                "TG209",
                where,
                f"{what}: {relpath} is not a Spark JSON schema ({exc})",
                "save one with df.schema.json(), or write a DDL string instead",
            )
            return _INVALID


# --------------------------------------------------------------------------------------------
# The whole project
# --------------------------------------------------------------------------------------------


def validate_project(raw: RawProject) -> tuple[Project | None, Report]:
    """Check everything that can be checked at build time; return the model when error-free."""
    report = Report()
    check = _Checker(raw, report)
    _check_names(check, raw)
    _check_env_placement(raw, report)
    _check_secrets(raw, report)
    inline: set[str] = set()
    inputs = _build_inputs(check, raw.sections["inputs"])
    outputs = _build_outputs(check, raw.sections["outputs"])
    nodes = _build_nodes(check, raw, inputs, outputs, inline)
    unwired = {
        name
        for name in nodes
        if check.invalid.get(("node", name), set()) & WIRING_KEYS
        or check.invalid.get(("streaming", name))
    }
    pipeline_specs = _build_pipelines(check, raw)
    checkpoint_root, spark_conf = _check_settings(check, raw)
    _check_entries(check, inputs, outputs)

    sources = SourceIndex(raw.root)
    for node in nodes.values():
        _resolve_code(node, sources, raw, report)
    for output in outputs.values():
        _resolve_foreach_batch(output, sources, raw, report)

    # Implicit wiring picks "the" input/output of the project: inline ones belong to their node.
    declared = (
        sorted(n for n in raw.sections["inputs"] if n not in inline),
        sorted(n for n in raw.sections["outputs"] if n not in inline),
    )
    pipelines: dict[str, ResolvedPipeline] = {}
    for spec in pipeline_specs.values():
        resolved = _wire(spec, nodes, unwired, inputs, outputs, raw, report, declared)
        if resolved is not None:
            pipelines[spec.name] = resolved
    _check_across_pipelines(pipelines, inputs, outputs, raw, report, checkpoint_root)
    for pipeline in pipelines.values():
        _check_sinks(pipeline, nodes, inputs, outputs, raw, report)
        _check_code_names(pipeline, nodes, outputs, report)
    _check_unused(raw, report, nodes, pipeline_specs)

    project = Project(
        root=raw.root,
        env=raw.env,
        inputs=inputs,
        outputs=outputs,
        nodes=nodes,
        pipelines=pipelines,
        checkpoint_root=checkpoint_root,
        spark_conf=spark_conf,
    )
    return (None if report.has_errors else project), report


def _check_names(check: _Checker, raw: RawProject) -> None:
    for kind, section in SECTION_OF.items():
        for name in raw.sections[section]:
            check.name(kind, str(name), check.at(section, name))
    seen: dict[str, str] = {}
    for name in raw.sections["pipelines"]:
        other = seen.setdefault(str(name).lower(), str(name))
        if other != name:
            check.report.error(
                "TG212",
                check.at("pipelines", name),
                f"pipeline names '{other}' and '{name}' differ only in case",
                "their jobs build/<name>.py would be one file on macOS and Windows; rename one",
            )


def _check_settings(check: _Checker, raw: RawProject) -> tuple[str, dict]:
    settings = raw.global_settings if isinstance(raw.global_settings, dict) else {}
    root = settings.get("checkpoint_root", "checkpoints")
    if not isinstance(root, str) or not root.strip():
        check.report.error(
            "TG202",
            check.at("global_settings", "checkpoint_root", value=True),
            f"global setting 'checkpoint_root' must be a folder path, got {_describe(root)}",
            "e.g. checkpoint_root: checkpoints",
        )
        root = "checkpoints"
    checkpoint_root = root.rstrip("/") or "checkpoints"
    spark_conf = settings.get("spark_conf")
    if spark_conf is None:
        return checkpoint_root, {}
    checked = check.value(
        "global settings",
        ("global_settings", "spark_conf"),
        "spark_conf",
        Key("options"),
        spark_conf,
    )
    return checkpoint_root, ({} if checked is _INVALID else checked)


def _build_inputs(check: _Checker, entries: dict) -> dict[str, InputSpec]:
    result = {}
    for name, data in entries.items():
        spec = _input_spec(check, name, data)
        if spec is not None:
            result[name] = spec
    return result


def _input_spec(check: _Checker, name: str, data: Any, default_streaming: bool = False):
    errors = check.report.error_count
    entry = check.entry("input", name, data)
    if entry is None or "format" not in entry:
        return None
    spec = InputSpec(
        name=name,
        format=entry["format"],
        location=check.at("inputs", name),
        path=entry.get("path"),
        table=entry.get("table"),
        streaming=entry.get("streaming", default_streaming),
        options=entry.get("options", {}),
        schema=entry.get("schema"),
        watermark=entry.get("watermark"),
        value_format=entry.get("value_format"),
        description=entry.get("description", ""),
    )
    _require_location(check, "input", spec, ("inputs", name))
    if check.invalid.get(("input", name)) or check.report.error_count > errors:
        return None  # reported; left out so that what reads it is not reported again
    return spec


def _build_outputs(check: _Checker, entries: dict) -> dict[str, OutputSpec]:
    result = {}
    for name, data in entries.items():
        spec = _output_spec(check, name, data)
        if spec is not None:
            result[name] = spec
    return result


def _output_spec(check: _Checker, name: str, data: Any) -> OutputSpec | None:
    errors = check.report.error_count
    entry = check.entry("output", name, data)
    if entry is None or "format" not in entry:
        return None
    spec = OutputSpec(
        name=name,
        format=entry["format"],
        location=check.at("outputs", name),
        path=entry.get("path"),
        table=entry.get("table"),
        streaming=entry.get("streaming"),
        mode=entry.get("mode"),
        output_mode=entry.get("output_mode"),
        partition_by=entry.get("partition_by", []),
        options=entry.get("options", {}),
        checkpoint=entry.get("checkpoint"),
        trigger=entry.get("trigger"),
        query_name=entry.get("query_name"),
        foreach_batch=entry.get("foreach_batch"),
        key_column=entry.get("key_column"),
        description=entry.get("description", ""),
    )
    if spec.mode == "errorifexists":
        spec.mode = "error"
    _require_location(check, "output", spec, ("outputs", name))
    if check.invalid.get(("output", name)) or check.report.error_count > errors:
        return None  # reported; left out so that what writes it is not reported again
    return spec


# Where each format reads or writes, for the location checks below.
PATH_FORMATS = (*FILE_FORMATS, "delta")
NO_LOCATION_FORMATS = ("kafka", "rate", "console", "memory", "jdbc", "foreach_batch")


def _require_location(check: _Checker, kind: str, spec, path: tuple) -> None:
    """File formats need a path; `table` needs a table; both at once is ambiguous."""
    label = check.label(kind, spec.name)
    if spec.path and spec.table:
        check.report.error(
            "TG207",
            check.at(*path, "table"),
            f"{label}: give either 'path' or 'table', not both",
            "remove one",
        )
    if spec.format in FILE_FORMATS and not spec.path:
        check.report.error(
            "TG204",
            check.at(*path),
            f"{label}: format '{spec.format}' needs a 'path'",
            "add path: <folder>",
        )
    if spec.format == "delta" and not spec.path and not spec.table:
        check.report.error(
            "TG204",
            check.at(*path),
            f"{label}: format 'delta' needs a 'path' or a 'table'",
            "add path: <folder> or table: db.name",
        )
    if spec.format == "table" and not spec.table:
        check.report.error(
            "TG204",
            check.at(*path),
            f"{label}: format 'table' needs 'table: <name>'",
            "add table: db.name",
        )
    for key in ("path", "table"):
        if getattr(spec, key) and spec.format in NO_LOCATION_FORMATS:
            check.report.warning(
                "TG213",
                check.at(*path, key),
                f"{label}: '{key}' has no effect for format '{spec.format}'",
                _where_format_writes(spec.format),
            )
    if kind == "output" and spec.format == "foreach_batch" and not spec.foreach_batch:
        check.report.error(
            "TG204",
            check.at(*path),
            f"{label}: format 'foreach_batch' needs 'foreach_batch: pkg.module.function'",
            "name the function called as function(df, batch_id)",
        )
    if kind == "output" and spec.format == "jdbc":
        missing = [o for o in ("url", "dbtable") if o not in spec.options]
        if missing:
            check.report.error(
                "TG204",
                check.at(*path, "options") if spec.options else check.at(*path),
                f"{label}: a jdbc output needs options {' and '.join(missing)}",
                "e.g. options: {url: 'jdbc:postgresql://host/db', dbtable: public.sales, "
                "user: ${env:DB_USER}, password: ${env:DB_PASSWORD}}",
            )


def _where_format_writes(fmt: str) -> str:
    return {
        "kafka": "Kafka reads and writes topics: set options subscribe / topic instead",
        "rate": "the rate source generates rows; remove it",
        "console": "the console sink prints; remove it",
        "memory": "the memory sink keeps rows in an in-memory table named by query_name",
        "jdbc": "set options url and dbtable instead",
        "foreach_batch": "the foreach_batch function decides where rows go",
    }.get(fmt, "remove it")


def _build_nodes(check: _Checker, raw, inputs, outputs, inline: set[str]) -> dict[str, NodeSpec]:
    result = {}
    for name, data in list(raw.sections["nodes"].items()):
        entry = check.entry("node", name, data)
        if entry is None:
            continue
        streaming = None
        check.labels[("streaming", name)] = f"node '{name}': streaming"
        if "streaming" in entry:
            streaming = check.entry(
                "streaming", name, entry["streaming"], path=("nodes", name, "streaming")
            )

        if "function" not in entry:
            continue
        node = NodeSpec(
            name=name,
            function=entry["function"],
            location=check.at("nodes", name),
            dependencies=entry.get("dependencies", []),
            params=entry.get("params", {}),
            description=entry.get("description", ""),
        )
        node.module = entry.get("module")
        io = {}
        for key in ("input", "output"):
            value = entry.get(key)
            if isinstance(value, dict):
                synthetic = _inline_entry(check, name, key, value, inputs, outputs, inline)
                value = [synthetic] if synthetic else None
                io[key] = synthetic
                if synthetic is None:
                    check.invalid.setdefault(("node", name), set()).add(key)
            setattr(node, f"{key}s", value)
        if streaming:
            _apply_streaming_block(check, name, streaming, io, inputs, outputs)
        result[name] = node
    return result


def _inline_entry(check, node: str, key: str, data: dict, inputs, outputs, inline) -> str | None:
    """Tauro's inline streaming node: `input: {format: kafka, ...}` becomes a named entry."""
    kind = "input" if key == "input" else "output"
    synthetic = f"{node}_{kind}"
    section = SECTION_OF[kind]
    raw = check.raw
    if synthetic in raw.sections[section]:
        check.report.error(
            "TG409",
            check.at("nodes", node, key),
            f"node '{node}': its inline {kind} would be named '{synthetic}', "
            f"but {kind} '{synthetic}' is already defined",
            f"rename {kind} '{synthetic}', or define this {kind} in the {section} file",
        )
        return None
    # Make the inline block addressable like a top-level entry, for located diagnostics.
    for table in (raw.key_locs, raw.value_locs):
        for path, loc in list(table.items()):
            if path[:3] == ("nodes", node, key):
                table[(section, synthetic) + path[3:]] = loc
    raw.sections[section][synthetic] = data
    check.labels[(kind, synthetic)] = f"node '{node}': inline {kind}"
    inline.add(synthetic)
    if kind == "input":
        # Tauro's inline nodes are streaming nodes: their source streams unless told not to.
        spec = _input_spec(check, synthetic, data, default_streaming=True)
        if spec is not None:
            inputs[synthetic] = spec
    else:
        spec = _output_spec(check, synthetic, data)
        if spec is not None:
            outputs[synthetic] = spec
    return synthetic


def _apply_streaming_block(check, node: str, block: dict, io: dict, inputs, outputs) -> None:
    """`streaming: {...}` settles the inline output's query settings and the input's
    watermark; it has nothing to apply to when they are not inline."""
    raw = check.raw
    for key, value in block.items():
        target_kind = "input" if key == "watermark" else "output"
        synthetic = io.get(target_kind)
        where = check.at("nodes", node, "streaming", key)
        if synthetic is None:
            check.report.warning(
                "TG213",
                where,
                f"node '{node}': streaming.{key} has no effect: the node's {target_kind} "
                "is not defined inline",
                f"set '{key}' on the {target_kind} entry itself",
            )
            continue
        section = SECTION_OF[target_kind]
        spec = (inputs if target_kind == "input" else outputs).get(synthetic)
        written = raw.sections[section][synthetic]
        spelled = [k for k in written if ALIASES[target_kind].get(str(k), str(k)) == key]
        if key == "options" and spelled and isinstance(written[spelled[0]], dict):
            # Writer options merge; only the same option in both places is ambiguous.
            spelled = sorted(set(map(str, value)) & set(map(str, written[spelled[0]])))
        if spelled:
            check.report.error(
                "TG207",
                where,
                f"node '{node}': "
                + (f"option(s) {', '.join(spelled)}" if key == "options" else f"'{key}'")
                + f" set both in streaming: and in the inline {target_kind}",
                "keep one of them",
            )
            continue
        for table in (raw.key_locs, raw.value_locs):
            for path, loc in list(table.items()):
                if path[:4] == ("nodes", node, "streaming", key):
                    table[(section, synthetic, key) + path[4:]] = loc
        if spec is None:
            continue
        if key == "options":
            spec.options = {**spec.options, **value}
        else:
            setattr(spec, key, value)


def _build_pipelines(check: _Checker, raw) -> dict[str, PipelineSpec]:
    result = {}
    for name, data in raw.sections["pipelines"].items():
        entry = check.entry("pipeline", name, data)
        if entry is None or "nodes" not in entry:
            continue
        if not entry["nodes"]:
            check.report.error(
                "TG411",
                check.at("pipelines", name, "nodes", value=True),
                f"pipeline '{name}' has no nodes",
                "list at least one node: nodes: [my_node]",
            )
            continue
        result[name] = PipelineSpec(
            name=name,
            nodes=entry["nodes"],
            location=check.at("pipelines", name),
            type=entry.get("type"),
            description=entry.get("description", ""),
            spark_conf=entry.get("spark_conf", {}),
            trigger=entry.get("trigger"),
        )
    if not raw.sections["pipelines"] and "pipelines" in raw.section_files:
        check.report.warning(
            "TG415",
            Location(raw.section_files["pipelines"], 1, 1),
            "no pipelines are defined: there is nothing to build",
            "add one, e.g. `my_pipeline: {nodes: [my_node]}`",
        )
    return result


def _check_entries(check: _Checker, inputs: dict, outputs: dict) -> None:
    """Per-entry rules that need the whole entry: Kafka options, file-source options."""
    for name, spec in inputs.items():
        path = ("inputs", name)
        label = check.label("input", name)
        _check_option_spelling(check, label, path, spec.format, spec.options, spec.streaming)
        if spec.watermark is not None:
            _check_watermark_column(check, label, path, spec)
        if spec.format == "kafka":
            _check_kafka(check, label, path, spec.options, source=True)
        if spec.value_format and spec.format != "kafka":
            check.report.warning(
                "TG213",
                check.at(*path, "value_format"),
                f"{label}: 'value_format' has no effect for format '{spec.format}'",
                "value_format parses a Kafka message value; remove it",
            )
        if spec.schema is not None and spec.format in ("kafka", "rate") and not spec.value_format:
            check.report.warning(
                "TG213",
                check.at(*path, "schema"),
                f"{label}: 'schema' has no effect: Spark fixes the columns of a {spec.format} "
                "source",
                (
                    "for Kafka, add value_format: json to parse the message value with this schema"
                    if spec.format == "kafka"
                    else "remove it"
                ),
            )
        if spec.value_format and spec.format == "kafka" and spec.schema is None:
            check.report.error(
                "TG204",
                check.at(*path, "value_format"),
                f"{label}: value_format: {spec.value_format} needs a 'schema' for the value",
                'add schema: "id INT, amount DOUBLE, ts TIMESTAMP"',
            )
        if spec.watermark and not spec.streaming:
            check.report.warning(
                "TG213",
                check.at(*path, "watermark"),
                f"{label}: 'watermark' has no effect on a batch input",
                "add streaming: true, or remove the watermark",
            )
        if spec.format in FILE_SOURCE_FORMATS or spec.format == "delta":
            keys = {str(k).lower(): k for k in spec.options}
            if "maxfilespertrigger" in keys and "maxbytespertrigger" in keys:
                check.report.error(
                    "TG509",
                    check.at(*path, "options", keys["maxbytespertrigger"]),
                    f"{label}: Spark refuses maxFilesPerTrigger together with maxBytesPerTrigger",
                    "keep one of the two limits",
                )
        if spec.format in STREAM_ONLY_SOURCES and not spec.streaming:
            check.report.error(
                "TG512",
                check.at(*path, "streaming", value=True),
                f"{label}: the '{spec.format}' source can only be read as a stream",
                "set streaming: true",
            )
    for name, spec in outputs.items():
        label, path = check.label("output", name), ("outputs", name)
        _check_option_spelling(check, label, path, spec.format, spec.options, False)
        if spec.partition_by and spec.format not in (*PATH_FORMATS, "table"):
            check.report.warning(
                "TG213",
                check.at(*path, "partition_by"),
                f"{label}: 'partition_by' has no effect for format '{spec.format}'",
                "partitioning applies to file, delta and table outputs; remove it",
            )
        if spec.format == "kafka":
            _check_kafka(
                check,
                check.label("output", name),
                ("outputs", name),
                spec.options,
                False,
            )


# Columns of sources whose schema Spark fixes, for the watermark check.
FIXED_COLUMNS = {
    "rate": {"timestamp": "timestamp", "value": "long"},
    "kafka": {"timestamp": "timestamp", "key": "binary", "value": "binary", "topic": "string"},
}


def _check_watermark_column(check: _Checker, label: str, path: tuple, spec: InputSpec) -> None:
    """The watermark column must exist and hold timestamps — certain when the source's columns
    are declared (a schema) or fixed by Spark (rate, Kafka without value_format)."""
    if spec.schema is not None and spec.format != "kafka":
        columns = {f.name.lower(): (f.name, f.type) for f in spec.schema.fields}
    elif spec.format in FIXED_COLUMNS and not spec.value_format:
        columns = {
            k: (k, schema_mod.PrimitiveType(t)) for k, t in FIXED_COLUMNS[spec.format].items()
        }
    else:
        return
    column = spec.watermark.column
    where = check.at(*path, "watermark", "column", value=True)
    if column.lower() not in columns:
        check.report.error(
            "TG214",
            where,
            f"{label}: watermark column '{column}' is not a column of this input",
            did_you_mean(column, [n for n, _ in columns.values()])
            or "columns: " + ", ".join(n for n, _ in columns.values()),
        )
        return
    name, data_type = columns[column.lower()]
    type_name = getattr(data_type, "name", None)
    if type_name not in ("timestamp", "timestamp_ntz"):
        check.report.error(
            "TG214",
            where,
            f"{label}: watermark column '{name}' is {schema_mod.type_to_ddl(data_type)}, "
            "but a watermark needs a TIMESTAMP",
            f"declare {name} TIMESTAMP in the schema, or put the watermark in the node: "
            f"df.withColumn('{name}', F.to_timestamp('{name}')).withWatermark(...)",
        )


# Options Spark's built-in file sources and sinks know (case-insensitive), for spotting typos:
# Spark ignores an option it does not know, so `heder: true` would silently do nothing.
_COMMON_FILE_OPTIONS = (
    "compression codec pathGlobFilter recursiveFileLookup ignoreCorruptFiles ignoreMissingFiles "
    "modifiedBefore modifiedAfter basePath mergeSchema maxFilesPerTrigger maxBytesPerTrigger "
    "latestFirst fileNameOnly maxFileAge cleanSource sourceArchiveDir maxCachedFiles "
    "discardCachedInputRatio timeZone"
)
_TEXTUAL_OPTIONS = (
    "encoding charset lineSep mode columnNameOfCorruptRecord dateFormat timestampFormat "
    "timestampNTZFormat enableDateTimeParsingFallback multiLine samplingRatio locale"
)
KNOWN_OPTIONS = {
    "csv": f"{_COMMON_FILE_OPTIONS} {_TEXTUAL_OPTIONS} sep delimiter quote quoteAll escape "
    "escapeQuotes comment header inferSchema preferDate enforceSchema ignoreLeadingWhiteSpace "
    "ignoreTrailingWhiteSpace nullValue nanValue positiveInf negativeInf maxColumns "
    "maxCharsPerColumn charToEscapeQuoteEscaping emptyValue unescapedQuoteHandling",
    "json": f"{_COMMON_FILE_OPTIONS} {_TEXTUAL_OPTIONS} primitivesAsString prefersDecimal "
    "allowComments allowUnquotedFieldNames allowSingleQuotes allowNumericLeadingZeros "
    "allowBackslashEscapingAnyCharacter allowUnquotedControlChars dropFieldIfAllNull "
    "allowNonNumericNumbers ignoreNullFields",
    "parquet": f"{_COMMON_FILE_OPTIONS} datetimeRebaseMode int96RebaseMode",
    "orc": _COMMON_FILE_OPTIONS,
    "text": f"{_COMMON_FILE_OPTIONS} wholetext lineSep",
    "avro": f"{_COMMON_FILE_OPTIONS} avroSchema recordName recordNamespace ignoreExtension "
    "mode datetimeRebaseMode positionalFieldMatching enableStableIdentifiersForUnionType",
}


def _check_option_spelling(check, label, path, fmt, options, streaming) -> None:
    known = KNOWN_OPTIONS.get(fmt)
    if not known:
        return
    names = known.split()
    lowered = {n.lower() for n in names}
    for key in options:
        text = str(key)
        if text.lower() in lowered:
            continue
        close = difflib.get_close_matches(text.lower(), sorted(lowered), n=1, cutoff=0.75)
        if close:
            spelled = next(n for n in names if n.lower() == close[0])
            check.report.warning(
                "TG215",
                check.at(*path, "options", key),
                f"{label}: '{text}' is not a {fmt} option Spark knows; Spark ignores it",
                f"did you mean '{spelled}'?",
            )


def _check_kafka(check: _Checker, label: str, path: tuple, options: dict, source: bool) -> None:
    keys = {str(k): k for k in options}
    for key, original in keys.items():
        bare = key.removeprefix("kafka.")
        where = check.at(*path, "options", original)
        if bare in KAFKA_FORBIDDEN:
            if key.startswith("kafka."):
                check.report.error(
                    "TG508",
                    where,
                    f"{label}: Spark's Kafka connector refuses the option '{key}'",
                    KAFKA_FORBIDDEN[bare],
                )
            else:
                check.report.error(
                    "TG508",
                    where,
                    f"{label}: option '{key}' is not a Spark Kafka option (and Spark refuses "
                    f"kafka.{key})",
                    KAFKA_FORBIDDEN[bare],
                )
        elif bare == "group.id":
            if key.startswith("kafka."):
                check.report.warning(
                    "TG516",
                    where,
                    f"{label}: with '{key}' every query (and a restart that overlaps the old "
                    "run) shares one consumer group and they steal each other's partitions",
                    "prefer the option groupIdPrefix, unless an ACL requires this exact id",
                )
            else:
                check.report.error(
                    "TG508",
                    where,
                    f"{label}: option 'group.id' is not passed to Kafka (Spark creates a "
                    "unique group per query)",
                    "use groupIdPrefix, or kafka.group.id if an ACL requires a fixed id",
                )
        elif key == "bootstrap.servers":
            check.report.error(
                "TG508",
                where,
                f"{label}: option 'bootstrap.servers' must be spelled 'kafka.bootstrap.servers'",
                "Kafka client settings take the prefix 'kafka.'",
            )
    if "kafka.bootstrap.servers" not in keys and "bootstrap.servers" not in keys:
        check.report.error(
            "TG510",
            check.at(*path, "options") if options else check.at(*path),
            f"{label}: a Kafka {'source' if source else 'sink'} needs the option "
            "kafka.bootstrap.servers",
            "e.g. options: {kafka.bootstrap.servers: 'broker:9092', "
            + ("subscribe: sales}" if source else "topic: sales}"),
        )
    if source:
        chosen = [k for k in ("subscribe", "subscribePattern", "assign") if k in keys]
        if len(chosen) != 1:
            check.report.error(
                "TG510",
                (
                    check.at(*path, "options", chosen[1])
                    if len(chosen) > 1
                    else (check.at(*path, "options") if options else check.at(*path))
                ),
                f"{label}: a Kafka source needs exactly one of subscribe, subscribePattern, "
                f"assign" + (f" (got {', '.join(chosen)})" if chosen else ""),
                "e.g. subscribe: sales",
            )
    elif "topic" not in keys:
        check.report.warning(
            "TG517",
            check.at(*path, "options") if options else check.at(*path),
            f"{label}: no 'topic' option: every row must then carry a 'topic' column",
            "add options: {topic: <name>}, or select a topic column in the node",
        )


# --------------------------------------------------------------------------------------------
# Node code
# --------------------------------------------------------------------------------------------

WIRING_KEYS = frozenset({"function", "module", "input", "output", "dependencies", "streaming"})
DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")


def _function_problem(node: NodeSpec) -> tuple[str, str] | None:
    """A `function:` (or `module:`) that cannot name Python code at all: (message, hint)."""
    spelled = node.function.strip()
    if node.module is not None:
        module = node.module.strip()
        if not DOTTED.match(module):
            return f"module '{node.module}' is not a dotted module name", _dotted_hint(module)
        if not IDENTIFIER.match(spelled):
            hint = "with module:, function: names only the function"
            if DOTTED.match(spelled):
                hint += f", e.g. function: {spelled.rsplit('.', 1)[-1]}"
            return f"function '{node.function}' is not a function name", hint
        return None
    if not DOTTED.match(spelled):
        return f"function '{node.function}' is not a dotted Python name", _dotted_hint(spelled)
    return None


def _dotted_hint(text: str) -> str:
    dotted = re.sub(r"\.py$", "", text.strip()).replace("/", ".").replace("\\", ".").strip(".")
    if DOTTED.match(dotted):
        return f"write it with dots and without .py: {dotted}"
    return "write pkg.module.function, e.g. src.nodes.sales.clean_sales"


def _resolve_code(node: NodeSpec, sources: SourceIndex, raw: RawProject, report: Report) -> None:
    key = "module" if node.module is not None else "function"
    where = raw.where(("nodes", node.name, "function"), value=True)
    problem = _function_problem(node)
    if problem:
        bad_key = key
        if node.module is not None and not problem[0].startswith("module"):
            bad_key = "function"
        report.error(
            "TG309",
            raw.where(("nodes", node.name, bad_key), value=True),
            f"node '{node.name}': {problem[0]}",
            problem[1],
        )
        return
    try:
        mod, func = sources.resolve_function(node.function.strip(), node.module, where)
        node.code = sources.collect(mod, func)
    except CodeError as exc:
        p = exc.problem
        hint = p.hint or "keep node code and the modules it imports inside the project"
        report.error(p.code, p.location, f"node '{node.name}': {p.message}", hint)
        return
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        _unreadable_code(
            f"node '{node.name}'", node.function, node.module, exc, sources, where, report
        )
        return
    code = node.code
    for key in node.params:
        if key not in code.keyword_names and not code.takes_kwargs:
            report.error(
                "TG304",
                raw.where(("nodes", node.name, "params", key)),
                f"node '{node.name}': {code.function}() has no parameter '{key}'",
                did_you_mean(str(key), code.keyword_names)
                or f"{code.function}() at {code.source}:{code.line} accepts: "
                + (", ".join(sorted(code.keyword_names)) or "no keyword arguments"),
            )
    if node.inputs:
        _check_arity(node, len(node.inputs), raw, report)


def _unreadable_code(who, function, module, exc, sources: SourceIndex, where, report) -> None:
    """Node code that exists but cannot be read as Python text (TG310), located in the file
    when we can tell which one."""
    dotted = module or ".".join(function.strip().split(".")[:-1]) or function
    path = sources.module_file(dotted) or sources.module_file(function.strip())
    if path is not None and isinstance(exc, UnicodeDecodeError):
        data = path.read_bytes()
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        display = (
            path.relative_to(sources.root).as_posix()
            if path.is_relative_to(sources.root)
            else str(path)
        )
        report.error(
            "TG310",
            Location(display, line, column),
            f"{who}: {display} is not UTF-8 text (byte 0x{data[exc.start]:02x})",
            "save the file as UTF-8; tauro-gen copies node code into the job as text",
        )
        return
    report.error(
        "TG310",
        where,
        f"{who}: cannot read its code: {exc}",
        "node code must be UTF-8 Python source that parses",
    )


def _resolve_foreach_batch(
    out: OutputSpec, sources: SourceIndex, raw: RawProject, report: Report
) -> None:
    """`foreach_batch: pkg.mod.func` is user code like a node's: found, parsed and copied."""
    if out.format != "foreach_batch" and not out.foreach_batch:
        return
    if not out.foreach_batch:
        report.error(
            "TG204",
            out.location,
            f"output '{out.name}': format 'foreach_batch' needs 'foreach_batch: pkg.mod.func'",
            "name the function called as func(df, batch_id) for every micro-batch",
        )
        return
    if out.format != "foreach_batch":
        report.error(
            "TG207",
            raw.where(("outputs", out.name, "foreach_batch")),
            f"output '{out.name}': 'foreach_batch' goes with format 'foreach_batch', not '{out.format}'",
            "set format: foreach_batch, or remove foreach_batch",
        )
        return
    where = raw.where(("outputs", out.name, "foreach_batch"), value=True)
    if not DOTTED.match(out.foreach_batch.strip()):
        report.error(
            "TG309",
            where,
            f"output '{out.name}': foreach_batch '{out.foreach_batch}' is not a dotted Python name",
            _dotted_hint(out.foreach_batch),
        )
        return
    try:
        mod, func = sources.resolve_function(out.foreach_batch.strip(), None, where)
        out.foreach_code = sources.collect(mod, func)
    except CodeError as exc:
        p = exc.problem
        hint = p.hint or "keep the function and the modules it imports inside the project"
        report.error(p.code, p.location, f"output '{out.name}': {p.message}", hint)
        return
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        who = f"output '{out.name}'"
        _unreadable_code(who, out.foreach_batch, None, exc, sources, where, report)
        return
    code = out.foreach_code
    if code.required_positional > 2 or (
        code.max_positional is not None and code.max_positional < 2
    ):
        report.error(
            "TG304",
            where,
            f"output '{out.name}': {code.function}() must take (df, batch_id)",
            f"see {code.source}:{code.line}",
        )


def _check_arity(node: NodeSpec, wired: int, raw: RawProject, report: Report) -> None:
    code = node.code
    if code is None:
        return
    covered_by_params = sum(1 for p in node.params if p in code.keyword_names)
    too_few = wired + covered_by_params < code.required_positional
    too_many = code.max_positional is not None and wired > code.max_positional
    if too_few or too_many:
        if code.max_positional is None:
            takes = f"at least {code.required_positional}"
        elif code.max_positional == code.required_positional:
            takes = str(code.required_positional)
        else:
            takes = f"{code.required_positional} to {code.max_positional}"
        report.error(
            "TG304",
            raw.where(("nodes", node.name, "input")) if node.inputs else node.location,
            f"node '{node.name}': {code.function}() takes {takes} DataFrame argument(s) but is "
            f"wired to {wired}",
            f"adjust 'input:' or the function signature at {code.source}:{code.line}",
        )


# --------------------------------------------------------------------------------------------
# Wiring
# --------------------------------------------------------------------------------------------


def _wire(spec: PipelineSpec, nodes, unwired, inputs, outputs, raw: RawProject, report, declared):
    """Make every edge of a pipeline explicit and order its nodes (SPEC 2.2 wiring)."""
    members: list[str] = []
    complete = True
    for index, name in enumerate(spec.nodes):
        where = raw.where(("pipelines", spec.name, "nodes", index), value=True)
        if name in members:
            report.error(
                "TG412",
                where,
                f"pipeline '{spec.name}': node '{name}' is listed twice",
                "remove one",
            )
        elif name not in nodes or name in unwired:
            complete = False  # a broken node is reported where it is defined
            if name not in raw.sections["nodes"] and "nodes" not in raw.broken:
                report.error(
                    "TG401",
                    where,
                    f"pipeline '{spec.name}': unknown node '{name}'",
                    did_you_mean(name, raw.sections["nodes"]) or "define it in config/nodes.yaml",
                )
        else:
            members.append(name)
    if not complete:
        return None
    declared_inputs, declared_outputs = declared
    ok = True
    args: dict[str, tuple[str, ...]] = {}
    for name in members:
        node = nodes[name]
        for dep_index, dep in enumerate(node.dependencies):
            if dep not in members:
                report.error(
                    "TG404",
                    raw.where(("nodes", name, "dependencies", dep_index), value=True),
                    f"node '{name}' depends on '{dep}', which is not a node of pipeline "
                    f"'{spec.name}'",
                    did_you_mean(dep, members)
                    or f"add '{dep}' to the pipeline's nodes, or remove the dependency",
                )
                ok = False
        if node.inputs is not None:
            if not node.inputs:
                ok = False
                report.error(
                    "TG406",
                    raw.where(("nodes", name, "input"), value=True),
                    f"node '{name}' has an empty input list",
                    "name at least one input or node",
                )
                ok = False
            for i, ref in enumerate(node.inputs):
                where = raw.where(("nodes", name, "input", i), value=True)
                if ref in inputs and ref in members:
                    report.error(
                        "TG408",
                        where,
                        f"node '{name}': '{ref}' is both an input and a node",
                        "rename one of them",
                    )
                    ok = False
                elif (ref in raw.sections["inputs"] and ref not in inputs) or (
                    ref not in members and "inputs" in raw.broken
                ):
                    ok = False  # the input itself is broken and reported
                elif ref not in inputs and ref not in members:
                    hint = did_you_mean(ref, [*inputs, *members])
                    if not hint and ref in raw.sections["nodes"]:
                        hint = f"node '{ref}' is not in pipeline '{spec.name}': add it to its nodes"
                    report.error(
                        "TG402",
                        where,
                        f"node '{name}': unknown input '{ref}'",
                        hint
                        or "inputs and nodes of this pipeline: "
                        + ", ".join(sorted([*declared_inputs, *members])),
                    )
                    ok = False
            args[name] = tuple(node.inputs)
        elif len(node.dependencies) == 1:
            args[name] = (node.dependencies[0],)
        elif not node.dependencies and "inputs" in raw.broken:
            ok = False  # which inputs exist is unknown: the inputs file is reported
        elif not node.dependencies and len(declared_inputs) == 1:
            if declared_inputs[0] in inputs:
                args[name] = (declared_inputs[0],)
            else:
                ok = False
        else:
            if node.dependencies:
                candidates, why = node.dependencies, "depends on several nodes"
            else:
                candidates = declared_inputs
                why = (
                    "the project defines several inputs"
                    if declared_inputs
                    else "the project defines no input"
                )
            report.error(
                "TG406",
                node.location,
                f"node '{name}' has no 'input:' and {why}, so which DataFrames it receives is "
                "ambiguous",
                (
                    "add 'input: [...]' naming one or more of: "
                    + (", ".join(candidates) or "(none)")
                    if candidates
                    else "define an input in config/inputs.yaml and name it in 'input:'"
                ),
            )
            ok = False
        if node.inputs is None and name in args and node.code is not None:
            _check_arity(node, len(args[name]), raw, report)
    if not ok:
        return None

    consumers = {ref for name in members for ref in args[name]}
    sinks: dict[str, tuple[str, ...]] = {}
    writer_of: dict[str, str] = {}
    for name in members:
        node = nodes[name]
        wired_outputs: tuple[str, ...] = ()
        if node.outputs is not None:
            wired_outputs = tuple(node.outputs)
            if not wired_outputs and name not in consumers:
                report.error(
                    "TG406",
                    raw.where(("nodes", name, "output"), value=True),
                    f"node '{name}' has an empty output list and no node uses its result",
                    "name an output, e.g. output: ["
                    + (declared_outputs[0] if declared_outputs else "my_output")
                    + "]",
                )
                ok = False
            for i, out in enumerate(wired_outputs):
                if (out in raw.sections["outputs"] and out not in outputs) or (
                    "outputs" in raw.broken
                ):
                    ok = False  # the output itself is broken and reported
                elif out not in outputs:
                    report.error(
                        "TG403",
                        raw.where(("nodes", name, "output", i), value=True),
                        f"node '{name}': unknown output '{out}'",
                        did_you_mean(out, outputs)
                        or "outputs: " + (", ".join(declared_outputs) or "(none defined)"),
                    )
                    ok = False
        elif name not in consumers and "outputs" in raw.broken:
            ok = False
        elif name not in consumers and len(declared_outputs) == 1:
            wired_outputs = tuple(declared_outputs)
            if declared_outputs[0] not in outputs:
                ok = False
        elif name not in consumers:
            report.error(
                "TG406",
                node.location,
                f"node '{name}': its result is used by no node and written to no output",
                "add 'output: <name>' naming one of: "
                + (", ".join(declared_outputs) or "(no outputs defined)"),
            )
            ok = False
        for i, out in enumerate(wired_outputs):
            if out in writer_of and writer_of[out] != name:
                report.error(
                    "TG407",
                    (
                        raw.where(("nodes", name, "output", i), value=True)
                        if node.outputs
                        else node.location
                    ),
                    f"output '{out}' is written by two nodes of pipeline '{spec.name}': "
                    f"'{writer_of[out]}' and '{name}'",
                    "give each node its own output, or union the DataFrames in one node",
                )
                ok = False
            elif out in writer_of:
                report.error(
                    "TG412",
                    raw.where(("nodes", name, "output", i), value=True),
                    f"node '{name}': output '{out}' is listed twice",
                    "remove one",
                )
                ok = False
            writer_of[out] = name
        sinks[name] = wired_outputs
    if not ok:
        return None

    order = _topological(spec, members, nodes, args, report)
    if order is None:
        return None
    streaming_of: dict[str, bool] = {}
    read: list[str] = []
    wiring = []
    for name in order:
        refs = args[name]
        for ref in refs:
            if ref in inputs and ref not in read:
                read.append(ref)
        streaming = any(inputs[r].streaming if r in inputs else streaming_of[r] for r in refs)
        streaming_of[name] = streaming
        wiring.append(NodeWiring(name, refs, sinks[name], streaming))
    streams = [i for i in read if inputs[i].streaming]
    kind = spec.type or ("streaming" if streams else "batch")
    if kind == "batch" and streams:
        report.error(
            "TG410",
            raw.where(("pipelines", spec.name, "type"), value=True),
            f"pipeline '{spec.name}' is declared batch but reads streaming input(s) "
            + ", ".join(streams),
            "remove 'type: batch', or set streaming: false on those inputs",
        )
        return None
    if kind == "streaming" and not streams:
        report.warning(
            "TG414",
            raw.where(("pipelines", spec.name, "type"), value=True),
            f"pipeline '{spec.name}' is declared streaming but reads no streaming input: "
            "every query in it is a batch query",
            "set streaming: true on its source input(s), or write type: batch",
        )
    if kind == "batch" and spec.trigger is not None:
        report.warning(
            "TG213",
            raw.where(("pipelines", spec.name, "trigger")),
            f"pipeline '{spec.name}': 'trigger' has no effect on a batch pipeline",
            "remove it, or read a streaming input",
        )
    written = [out for w in wiring for out in w.outputs]
    for w in wiring:
        for out in w.outputs:
            declared = outputs[out].streaming
            if declared is True and not w.streaming:
                report.error(
                    "TG410",
                    raw.where(("outputs", out, "streaming"), value=True),
                    f"output '{out}' is declared streaming but node '{w.node}' produces a "
                    "batch DataFrame",
                    "set streaming: true on one of the node's inputs, or remove streaming: true",
                )
            elif declared is False and w.streaming:
                report.error(
                    "TG410",
                    raw.where(("outputs", out, "streaming"), value=True),
                    f"output '{out}' is declared batch but node '{w.node}' produces a streaming "
                    "DataFrame",
                    "remove streaming: false (a stream can only be written with writeStream)",
                )
    return ResolvedPipeline(spec=spec, kind=kind, order=wiring, inputs=read, outputs=written)


def _topological(spec, members, nodes, args, report) -> list[str] | None:
    """Kahn's algorithm, ties broken by the order nodes are listed in the pipeline."""
    deps = {
        name: [r for r in args[name] if r in members]
        + [d for d in nodes[name].dependencies if d not in args[name]]
        for name in members
    }
    order: list[str] = []
    remaining = list(members)
    while remaining:
        ready = [n for n in remaining if all(d in order for d in deps[n])]
        if not ready:
            cycle = _find_cycle(remaining, deps)
            report.error(
                "TG405",
                nodes[cycle[0]].location,
                f"pipeline '{spec.name}': dependency cycle " + " -> ".join(cycle + [cycle[0]]),
                "break the cycle: a node cannot (indirectly) depend on itself",
            )
            return None
        order.append(ready[0])
        remaining.remove(ready[0])
    return order


def _find_cycle(remaining: list[str], deps: dict[str, list[str]]) -> list[str]:
    start = remaining[0]
    path = [start]
    while True:
        nxt = next(d for d in deps[path[-1]] if d in remaining)
        if nxt in path:
            return path[path.index(nxt) :]
        path.append(nxt)


# --------------------------------------------------------------------------------------------
# Streaming rules
# --------------------------------------------------------------------------------------------


def _check_across_pipelines(pipelines, inputs, outputs, raw, report, checkpoint_root) -> None:
    used_checkpoints: dict[str, tuple[str, str]] = {}
    stream_sinks: dict[str, tuple[str, str]] = {}
    for pipeline in pipelines.values():
        name = pipeline.spec.name
        streamed = [i for i in pipeline.inputs if inputs[i].streaming]
        for w in pipeline.order:
            for out in w.outputs:
                spec = outputs[out]
                if not w.streaming:
                    if spec.mode == "overwrite" and spec.path:
                        for ref in pipeline.inputs:
                            source = inputs[ref]
                            if source.path and _overlaps(source.path, spec.path):
                                report.error(
                                    "TG502",
                                    raw.where(("outputs", out, "path"), value=True),
                                    f"output '{out}' overwrites '{spec.path}', which input "
                                    f"'{ref}' of pipeline '{name}' reads",
                                    "Spark refuses to overwrite a folder it reads from; "
                                    "write somewhere else",
                                )
                    continue
                checkpoint = _normal(checkpoint_of(name, spec, checkpoint_root))
                if checkpoint in used_checkpoints:
                    other_pipeline, other_out = used_checkpoints[checkpoint]
                    report.error(
                        "TG501",
                        raw.where(("outputs", out, "checkpoint"), value=True),
                        f"output '{out}' of pipeline '{name}' shares checkpoint "
                        f"'{checkpoint}' with output '{other_out}' of pipeline '{other_pipeline}'",
                        "every streaming query needs its own checkpoint folder",
                    )
                used_checkpoints.setdefault(checkpoint, (name, out))
                if spec.path and spec.format in PATH_FORMATS:
                    target = _normal(spec.path)
                    other = stream_sinks.get(target)
                    if other and other != (name, out):
                        report.error(
                            "TG513",
                            raw.where(("outputs", out, "path"), value=True),
                            f"streaming output '{out}' of pipeline '{name}' writes into "
                            f"'{spec.path}', like output '{other[1]}' of pipeline '{other[0]}'",
                            "a streaming file sink has one writer (its _spark_metadata log); "
                            "give each query its own folder",
                        )
                    stream_sinks.setdefault(target, (name, out))
                    if _overlaps_inside(checkpoint, spec.path):
                        report.warning(
                            "TG518",
                            raw.where(("outputs", out, "checkpoint"), value=True),
                            f"output '{out}': checkpoint '{checkpoint}' is inside the folder "
                            "the query writes, so readers of that folder see checkpoint files",
                            "keep checkpoints outside data folders",
                        )
                for ref in streamed:
                    source = inputs[ref]
                    if source.path and spec.path and _overlaps(source.path, spec.path):
                        report.error(
                            "TG502",
                            raw.where(("outputs", out, "path"), value=True),
                            f"streaming output '{out}' writes into '{spec.path}', which input "
                            f"'{ref}' reads",
                            "write to a folder outside the input folder, or the job reads its "
                            "own output",
                        )
                    if (
                        source.path
                        and source.format in PATH_FORMATS
                        and _overlaps_inside(checkpoint, source.path)
                    ):
                        report.error(
                            "TG514",
                            raw.where(("outputs", out, "checkpoint"), value=True),
                            f"output '{out}': checkpoint '{checkpoint}' is inside the folder "
                            f"'{source.path}' that input '{ref}' reads",
                            "keep checkpoints outside the folders a stream reads",
                        )
        for ref in pipeline.inputs:
            source = inputs[ref]
            if (
                source.streaming
                and source.format in FILE_FORMATS
                and source.format != "text"
                and source.schema is None
            ):
                report.warning(
                    "TG503",
                    raw.where(("inputs", ref)),
                    f"input '{ref}' has no schema: the job infers it from the first files it "
                    "sees and pins it beside the checkpoint",
                    "declare one to make the job's columns reviewable: "
                    f"tauro-gen infer-schema {ref}",
                )


def _normal(path: str) -> str:
    text = str(path)
    text = text.removeprefix("file://")
    return str(Path(text.rstrip("/") or "/"))


def _overlaps(a: str, b: str) -> bool:
    pa, pb = Path(_normal(a)), Path(_normal(b))
    return pa == pb or pa in pb.parents or pb in pa.parents


def _overlaps_inside(inner: str, outer: str) -> bool:
    pi, po = Path(_normal(inner)), Path(_normal(outer))
    return pi == po or po in pi.parents


def _check_sinks(pipeline, nodes, inputs, outputs, raw, report) -> None:
    """What Spark would refuse (errors) or probably refuse (warnings, where we infer from the
    node code what it does) when a sink's query starts."""
    name = pipeline.spec.name
    ops: dict[str, frozenset[str]] = {}
    sources: dict[str, set[str]] = {}
    for w in pipeline.order:
        code = nodes[w.node].code
        own = set(code.operations) if code else set()
        reads: set[str] = set()
        for ref in w.args:
            if ref in ops:
                own |= ops[ref]
                reads |= sources[ref]
            else:
                reads.add(ref)
        ops[w.node] = frozenset(own)
        sources[w.node] = reads
    query_names: dict[str, str] = {}
    for w in pipeline.order:
        for out in w.outputs:
            spec = outputs[out]
            label = f"output '{out}'"
            if w.streaming:
                query = spec.query_name or f"{name}.{out}"
                if query in query_names:
                    report.error(
                        "TG519",
                        raw.where(("outputs", out, "query_name"), value=True),
                        f"{label}: query name '{query}' is also the name of output "
                        f"'{query_names[query]}' in pipeline '{name}'",
                        "Spark refuses to start a second active query with the same name; "
                        "give each its own query_name",
                    )
                query_names.setdefault(query, out)
            if not w.streaming:
                for key in ("output_mode", "trigger", "checkpoint", "query_name"):
                    if getattr(spec, key) is not None:
                        report.warning(
                            "TG213",
                            raw.where(("outputs", out, key)),
                            f"{label}: '{key}' has no effect: node '{w.node}' produces a batch "
                            f"DataFrame in pipeline '{name}'",
                            "remove it, or read a streaming input",
                        )
                if spec.format in STREAM_ONLY_SINKS:
                    report.error(
                        "TG512",
                        raw.where(("outputs", out, "format"), value=True),
                        f"{label}: the '{spec.format}' sink can only be written by a stream, "
                        f"but node '{w.node}' produces a batch DataFrame",
                        "use format console to look at a batch result, or read a stream",
                    )
                continue
            _check_stream_sink(pipeline, w, spec, ops[w.node], sources[w.node], inputs, raw, report)


def _check_stream_sink(pipeline, w, spec: OutputSpec, ops, reads, inputs, raw, report) -> None:
    out = spec.name
    label = f"output '{out}'"
    node = w.node
    mode = spec.output_mode or "append"
    mode_where = raw.where(("outputs", out, "output_mode"), value=True)
    trigger = spec.trigger or pipeline.spec.trigger
    if trigger is spec.trigger:
        trigger_where = raw.where(("outputs", out, "trigger"), value=True)
    else:
        trigger_where = raw.where(("pipelines", pipeline.spec.name, "trigger"), value=True)
    if spec.mode is not None:
        report.warning(
            "TG213",
            raw.where(("outputs", out, "mode")),
            f"{label}: 'mode' has no effect on a streaming output",
            "a stream's writer takes output_mode: append, update or complete",
        )
    allowed = SINK_OUTPUT_MODES.get(spec.format)
    if allowed and mode not in allowed:
        report.error(
            "TG505",
            mode_where,
            f"{label}: a streaming {spec.format} sink does not support output_mode {mode}",
            f"use {' or '.join(allowed)}"
            + (
                "; to keep a running total in files, write to delta or foreach_batch"
                if mode != "append"
                else ""
            ),
        )
        return
    aggregates = "aggregation" in ops
    watermarked = "watermark" in ops or any(
        inputs[r].watermark is not None for r in reads if r in inputs
    )
    if mode == "append" and aggregates and not watermarked:
        report.warning(
            "TG504",
            raw.where(("outputs", out)),
            f"{label}: node '{node}' seems to aggregate a stream, which Spark refuses in "
            "append mode without a watermark",
            "add watermark: {column: <event time>, delay: 10 minutes} to the input, or use "
            "output_mode: update / complete",
        )
    if mode == "complete" and not aggregates:
        report.warning(
            "TG506",
            mode_where,
            f"{label}: output_mode complete needs an aggregation, and node '{node}' does not "
            "seem to aggregate",
            "use output_mode: append, or aggregate (groupBy(...).agg(...)) in the node",
        )
    if "sort" in ops and not (aggregates and mode == "complete"):
        report.warning(
            "TG511",
            raw.where(("outputs", out)),
            f"{label}: node '{node}' seems to sort a stream; Spark sorts a stream only after an "
            "aggregation in complete mode",
            "sort when reading the output instead, or in foreach_batch",
        )
    if trigger is not None and trigger.kind == "continuous":
        problems = []
        if spec.format not in CONTINUOUS_SINKS:
            problems.append(f"the {spec.format} sink")
        for ref in sorted(r for r in reads if r in inputs):
            source = inputs[ref]
            if not source.streaming:
                problems.append(f"a batch input ('{ref}')")
            elif source.format not in CONTINUOUS_SOURCES:
                problems.append(f"the {source.format} source ('{ref}')")
        if mode != "append":
            problems.append(f"output_mode {mode}")
        if problems:
            report.error(
                "TG507",
                trigger_where,
                f"{label}: a continuous trigger does not support " + ", ".join(problems),
                f"continuous processing reads {' and '.join(CONTINUOUS_SOURCES)}, writes "
                f"{', '.join(CONTINUOUS_SINKS)} in append mode; use processing_time otherwise",
            )
        unsupported = sorted(set(ops) & set(CONTINUOUS_UNSUPPORTED_OPS))
        if unsupported:
            report.warning(
                "TG515",
                trigger_where,
                f"{label}: node '{node}' seems to use {', '.join(unsupported)}, which a "
                "continuous trigger does not support",
                "continuous processing runs map-like operations only (select, filter, ...); "
                "use processing_time",
            )


# --------------------------------------------------------------------------------------------
# Code names, secrets, environment references, unused entries
# --------------------------------------------------------------------------------------------


def _check_code_names(pipeline: ResolvedPipeline, nodes, outputs, report: Report) -> None:
    """Two nodes may not bring different definitions under one name into the same job."""
    owner: dict[str, tuple[str, str]] = {}
    users = [(f"node '{w.node}'", nodes[w.node].code) for w in pipeline.order]
    users += [(f"output '{o}'", outputs[o].foreach_code) for o in pipeline.outputs]
    for user, code in users:
        if code is None:
            continue
        for block in code.blocks:
            where = Location(block.source, block.line, 1)
            if block.name in RESERVED_NAMES:
                report.error(
                    "TG308",
                    where,
                    f"{user}: '{block.name}' is a name the generated job uses itself",
                    "rename it in your code",
                )
            previous = owner.get(block.name)
            if previous and previous != (block.source, block.text):
                report.error(
                    "TG308",
                    where,
                    f"pipeline '{pipeline.spec.name}': two different definitions named "
                    f"'{block.name}' ({previous[0]} and {block.source})",
                    "rename one of them; both are copied into the same job",
                )
            owner[block.name] = (block.source, block.text)
        for ref in code.imports:
            bound = ref.bound
            target = SCAFFOLD_IMPORTS.get(bound)
            if bound in owner or (target is not None and target != ref.target):
                report.error(
                    "TG308",
                    Location(code.source, code.line, 1),
                    f"{user}: the name '{bound}' is imported from '{ref.target}' but "
                    + (
                        f"the generated job binds it to '{target}'"
                        if target
                        else "also defined elsewhere"
                    ),
                    f"import it under another name: import {ref.target} as my_{bound}",
                )


def _check_secrets(raw: RawProject, report: Report) -> None:
    """A literal password in config ends up in a generated file that is committed: refuse."""

    def walk(value: Any, path: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                literal = isinstance(item, (str, int, float)) and not isinstance(item, bool)
                if literal and is_secret_key(key):
                    text = str(item)
                    if text.strip() and not _only_env_references(text):
                        report.error(
                            "TG601",
                            raw.where(path + (key,), value=True),
                            f"{_owner(path)}'{key}' holds a literal secret; it would be written "
                            "into the generated job",
                            f"read it when the job starts: {key}: ${{env:{_env_name(key)}}}",
                        )
                walk(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,))
        elif isinstance(value, str):
            _check_embedded_secret(value, path, raw, report)

    for section in ("inputs", "outputs", "nodes", "pipelines"):
        for name, entry in raw.sections[section].items():
            walk(entry, (section, name))
    walk(raw.global_settings, ("global_settings",))


def _check_embedded_secret(text: str, path: tuple, raw: RawProject, report: Report) -> None:
    for pattern, what in (
        (URL_PASSWORD, "a URL"),
        (INLINE_PASSWORD, "a login setting"),
    ):
        match = pattern.search(text)
        if match is None:
            continue
        secret = match.group(match.lastindex or 0)
        if secret and not _only_env_references(secret):
            report.error(
                "TG602",
                raw.where(path, value=True),
                f"{_owner(path)}{what} with a literal password; it would be written into the "
                "generated job",
                "put the password in an environment variable and write ${env:NAME} in its "
                f"place, e.g. ${{env:{'DB' if what == 'a URL' else 'SASL'}_PASSWORD}}",
            )
            return


def _owner(path: tuple) -> str:
    kinds = {
        "inputs": "input",
        "outputs": "output",
        "nodes": "node",
        "pipelines": "pipeline",
    }
    if len(path) >= 2 and path[0] in kinds:
        return f"{kinds[path[0]]} '{path[1]}': "
    if path and path[0] == "global_settings":
        return "global settings: "
    return ""


def _check_env_placement(raw: RawProject, report: Report) -> None:
    """`${env:NAME}` is read when the job starts, so it can only stand where the job reads a
    value at run time: paths, tables, options, params and Spark settings."""

    def walk(value: Any, path: tuple, rel: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,), rel + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,), rel + (i,))
        elif isinstance(value, str) and not _env_allowed(path[0], rel):
            for match in REFERENCE.finditer(value):
                ref = match.group(1).strip()
                if ENV_REFERENCE.match(ref):
                    key = next((str(r) for r in reversed(rel) if isinstance(r, str)), "value")
                    report.error(
                        "TG112",
                        raw.where(path, value=True),
                        f"{_owner(path)}'{key}' must be known when the job is generated, so it "
                        f"cannot read '${{{ref}}}' at start-up",
                        "${env:...} works in path, table, options, params and spark_conf; "
                        "use a ${name} from global settings or an environment overlay here",
                    )
                    break

    for section in ("inputs", "outputs", "nodes", "pipelines"):
        for name, entry in raw.sections[section].items():
            walk(entry, (section, name), ())
    settings = raw.global_settings if isinstance(raw.global_settings, dict) else {}
    if "checkpoint_root" in settings:
        walk(
            settings["checkpoint_root"],
            ("global_settings", "checkpoint_root"),
            ("checkpoint_root",),
        )


def _env_allowed(section: str, rel: tuple) -> bool:
    if section == "global_settings":
        return False
    if (
        section == "nodes"
        and len(rel) > 1
        and rel[0] in ("input", "output", "inputs", "outputs", "streaming")
        and isinstance(rel[1], str)
    ):
        rel = rel[1:]
    if not rel:
        return False
    head = rel[0]
    if head in ENV_ALLOWED_MAPS:
        return len(rel) >= 2
    return head in ENV_ALLOWED_KEYS and len(rel) == 1


def _check_unused(raw: RawProject, report: Report, nodes, pipeline_specs) -> None:
    """A node no pipeline runs is usually a typo in a pipeline's node list."""
    listed = {n for spec in pipeline_specs.values() for n in spec.nodes}
    listed |= {
        n
        for data in raw.sections["pipelines"].values()
        if isinstance(data, dict)
        for n in (data.get("nodes") if isinstance(data.get("nodes"), list) else [])
        if isinstance(n, str)
    }
    if "pipelines" not in raw.section_files or len(pipeline_specs) != len(
        raw.sections["pipelines"]
    ):
        return  # a broken pipeline's node list is unknown: stay quiet rather than guess
    for name in nodes:
        if name not in listed:
            report.warning(
                "TG413",
                raw.where(("nodes", name)),
                f"node '{name}' is not used by any pipeline",
                (
                    did_you_mean(name, listed)
                    and f"a pipeline lists a similar name: " f"{did_you_mean(name, listed)}"
                )
                or "add it to a pipeline's nodes, or remove it",
            )
