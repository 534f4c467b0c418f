"""The structured values of the key table: intervals, triggers, watermarks and schemas, each
checked the way Spark will read it and turned into its model type (`Trigger`, `Watermark`,
`StructType`), or reported (TG202, TG204, TG208, TG209, TG210, TG211) and returned as
`INVALID`."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import schema as schema_mod
from ..diagnostics import Location, did_you_mean, one_of
from ..model import Trigger, Watermark
from .context import INVALID, Context, describe

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
TRIGGER_EXAMPLES = (
    "{processing_time: '5 seconds'}, {available_now: true} or {continuous: '1 second'}"
)
# Triggers that take `true` instead of an interval.
FLAG_TRIGGERS = ("available_now", "once")

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
INTERVAL_PART = re.compile(
    r"([+-]?)\s*(\d+(?:\.\d*)?|\.\d+)\s+(year|month|week|day|hour|minute|second|millisecond"
    r"|microsecond)s?(?=\s|$)",
    re.IGNORECASE,
)
INTERVAL_EXAMPLES = "e.g. '10 seconds', '1 minute', '500 milliseconds', '1 hour 30 minutes'"


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
    for match in INTERVAL_PART.finditer(body):
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


def check_interval(ctx: Context, what: str, path: tuple, value: Any, months: bool = False) -> bool:
    """Whether `value` is an interval Spark reads; reported (TG208) when it is not."""
    problem = interval_problem(value, months_allowed=months)
    if problem:
        shown = f"'{value}'" if isinstance(value, str) else describe(value)
        ctx.report.error(
            "TG208",
            ctx.at(*path, value=True),
            f"{what}: {shown} is not an interval Spark understands: {problem}",
            "write " + INTERVAL_EXAMPLES,
        )
    return problem is None


# --------------------------------------------------------------------------------------------
# Triggers: {processing_time: '5 seconds'}, Tauro's {type: ..., interval: ...}, a bare string
# --------------------------------------------------------------------------------------------


def read_trigger(ctx: Context, what: str, path: tuple, value: Any) -> Trigger | None:
    """The trigger `value` spells, or None when it was reported."""
    where = ctx.at(*path, value=True)
    if isinstance(value, str):
        spelled = TRIGGER_SPELLINGS.get(value.strip())
        if spelled in FLAG_TRIGGERS:
            return _trigger_of_kind(ctx, what, path, spelled, True, where)
        if spelled is not None:
            ctx.report.error(
                "TG211",
                where,
                f"{what}: '{value}' needs an interval",
                f"write {{{spelled}: '5 seconds'}}",
            )
            return None
        # A bare string is a processing-time interval.
        return _trigger_of_kind(ctx, what, path, "processing_time", value, where)
    if not isinstance(value, dict) or not value:
        ctx.report.error(
            "TG211",
            where,
            f"{what} must be a trigger, got {describe(value)}",
            "write " + TRIGGER_EXAMPLES,
        )
        return None
    if "type" in value:
        return _tauro_trigger(ctx, what, path, value, where)
    if len(value) != 1:
        ctx.report.error(
            "TG211",
            where,
            f"{what}: give exactly one trigger kind, got {', '.join(map(str, value))}",
            "e.g. " + TRIGGER_EXAMPLES,
        )
        return None
    ((spelled, setting),) = value.items()
    kind = TRIGGER_SPELLINGS.get(str(spelled))
    if kind is None:
        close = did_you_mean(str(spelled), TRIGGER_SPELLINGS)
        ctx.report.error(
            "TG211",
            ctx.at(*path, spelled),
            f"{what}: unknown trigger '{spelled}'",
            (close + " " if close else "") + one_of(TRIGGER_NAMES),
        )
        return None
    return _trigger_of_kind(ctx, what, path + (spelled,), kind, setting, where)


def _tauro_trigger(ctx: Context, what: str, path: tuple, value: dict, where) -> Trigger | None:
    """Tauro's spelling: {type: processing_time, interval: "10 seconds"}."""
    kind = TRIGGER_SPELLINGS.get(str(value["type"]).strip())
    ok = True
    for key in value:
        if key not in ("type", "interval"):
            ok = False
            ctx.report.error(
                "TG211",
                ctx.at(*path, key),
                f"{what}: unknown key '{key}' next to 'type'",
                "a Tauro trigger has only type and interval",
            )
    if kind is None:
        close = did_you_mean(str(value["type"]), TRIGGER_SPELLINGS)
        ctx.report.error(
            "TG211",
            ctx.at(*path, "type", value=True),
            f"{what}: unknown trigger type '{value['type']}'",
            (close + " " if close else "") + one_of(TRIGGER_NAMES),
        )
        return None
    if not ok:
        return None
    if kind in FLAG_TRIGGERS:
        if "interval" in value:
            ctx.report.error(
                "TG211",
                ctx.at(*path, "interval"),
                f"{what}: a {kind} trigger takes no interval",
                "remove 'interval:'",
            )
            return None
        if kind == "once":
            ctx.report.warning(
                "TG210",
                where,
                f"{what}: Spark deprecated the 'once' trigger; the job uses available_now",
                "write {type: available_now}: the same rows, split into batches",
            )
            return Trigger("available_now")
        return _trigger_of_kind(ctx, what, path, kind, True, where)
    if "interval" not in value:
        ctx.report.error(
            "TG211",
            where,
            f"{what}: a {kind} trigger needs an interval",
            "add interval: '5 seconds'",
        )
        return None
    return _trigger_of_kind(ctx, what, path + ("interval",), kind, value["interval"], where)


def _trigger_of_kind(
    ctx: Context, what: str, path: tuple, kind: str, setting: Any, where: Location
) -> Trigger | None:
    """A trigger of a known kind, from its setting (`true`, or an interval at `path`)."""
    if kind in FLAG_TRIGGERS:
        if setting is not True:
            ctx.report.error(
                "TG211",
                ctx.at(*path, value=True),
                f"{what}: {kind} takes 'true', got {describe(setting)}",
                f"write {{{kind}: true}}, or remove the trigger",
            )
            return None
        if kind == "once":
            ctx.report.warning(
                "TG210",
                where,
                f"{what}: the 'once' trigger is deprecated by Spark",
                "use {available_now: true}: same semantics, but it splits the backlog "
                "into batches",
            )
        return Trigger(kind)
    if not check_interval(ctx, what, path, setting):
        return None
    return Trigger(kind, setting.strip())


# --------------------------------------------------------------------------------------------
# Watermarks and schemas
# --------------------------------------------------------------------------------------------


def read_watermark(ctx: Context, what: str, path: tuple, value: Any) -> Any:
    """{column: event_time, delay: 10 minutes} as a `Watermark`, or INVALID."""
    if not isinstance(value, dict):
        ctx.report.error(
            "TG202",
            ctx.at(*path, value=True),
            f"{what} must be a mapping {{column: ..., delay: ...}}, got {describe(value)}",
            "e.g. {column: event_time, delay: 10 minutes}",
        )
        return INVALID
    ok = True
    for key in value:
        if key not in ("column", "delay"):
            ok = False
            ctx.report.error(
                "TG201",
                ctx.at(*path, key),
                f"{what}: unknown key '{key}'",
                did_you_mean(str(key), ("column", "delay")) or "a watermark has column and delay",
            )
    for key, example in (("column", "event_time"), ("delay", "10 minutes")):
        if key not in value:
            ok = False
            ctx.report.error(
                "TG204",
                ctx.at(*path),
                f"{what}: missing '{key}'",
                f"add {key}: {example}",
            )
    column = value.get("column")
    if "column" in value and not (isinstance(column, str) and column.strip()):
        ok = False
        ctx.report.error(
            "TG202",
            ctx.at(*path, "column", value=True),
            f"{what}: 'column' must be a column name, got {describe(column)}",
            "name the event-time column, e.g. column: event_time",
        )
    if "delay" in value and not check_interval(
        ctx, what + " delay", path + ("delay",), value["delay"], True
    ):
        ok = False
    if not ok:
        return INVALID
    return Watermark(str(column), str(value["delay"]).strip())


def read_schema(ctx: Context, what: str, path: tuple, value: Any) -> Any:
    """A DDL string, a list of {name, type, nullable} or a .json/.ddl file, as a `StructType`,
    or INVALID."""
    where = ctx.at(*path, value=True)
    try:
        if isinstance(value, str):
            stripped = value.strip()
            if stripped.endswith((".json", ".ddl")) and "\n" not in stripped:
                return _schema_file(ctx, what, where, stripped)
            return schema_mod.parse_ddl(value)
        if isinstance(value, list):
            return schema_mod.parse_field_list(value)
    except schema_mod.SchemaError as exc:
        if exc.index is not None:
            where = ctx.at(*path, exc.index, value=True)
            if exc.key is not None and isinstance(value, list):
                where = ctx.at(*path, exc.index, exc.key, value=True)
        ctx.report.error("TG209", where, f"{what}: {exc}", "fix the schema; see README 'Schemas'")
        return INVALID
    ctx.report.error(
        "TG202",
        where,
        f"{what} must be a DDL string, a list of fields or a .json/.ddl file, "
        f"got {describe(value)}",
        'e.g. schema: "id INT, date DATE, amount DOUBLE"',
    )
    return INVALID


def _schema_file(ctx: Context, what: str, where: Location, relpath: str) -> Any:
    path = ctx.raw.root / relpath
    if not path.is_file():
        ctx.report.error(
            "TG209",
            where,
            f"{what}: schema file '{relpath}' not found",
            "paths are relative to the project root",
        )
        return INVALID
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        ctx.report.error(
            "TG209", where, f"{what}: cannot read {relpath}: {exc}", "save it as UTF-8 text"
        )
        return INVALID
    if relpath.endswith(".ddl"):
        return schema_mod.parse_ddl(text)
    try:
        return schema_mod.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        ctx.report.error(
            "TG209",
            where,
            f"{what}: {relpath} is not a Spark JSON schema ({exc})",
            "save one with df.schema.json(), or write a DDL string instead",
        )
        return INVALID
