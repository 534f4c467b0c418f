"""What each format (connector) needs and accepts, entry by entry: the location it reads or
writes (a path, a table), the options Spark knows for it, and Kafka's own rules."""

from __future__ import annotations

import difflib
import json

from ..model import FILE_FORMATS, InputSpec, OutputSpec
from .context import Context

# Where each format reads or writes.
PATH_FORMATS = (*FILE_FORMATS, "delta")
NO_LOCATION_FORMATS = ("kafka", "rate", "console", "memory", "jdbc", "foreach_batch")

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


def check_location(ctx: Context, kind: str, spec: InputSpec | OutputSpec, path: tuple) -> None:
    """File formats need a path; `table` needs a table; both at once is ambiguous."""
    label = ctx.label(kind, spec.name)
    if spec.path and spec.table:
        ctx.report.error(
            "TG207",
            ctx.at(*path, "table"),
            f"{label}: give either 'path' or 'table', not both",
            "remove one",
        )
    if spec.format in FILE_FORMATS and not spec.path:
        ctx.report.error(
            "TG204",
            ctx.at(*path),
            f"{label}: format '{spec.format}' needs a 'path'",
            "add path: <folder>",
        )
    if spec.format == "delta" and not spec.path and not spec.table:
        ctx.report.error(
            "TG204",
            ctx.at(*path),
            f"{label}: format 'delta' needs a 'path' or a 'table'",
            "add path: <folder> or table: db.name",
        )
    if spec.format == "table" and not spec.table:
        ctx.report.error(
            "TG204",
            ctx.at(*path),
            f"{label}: format 'table' needs 'table: <name>'",
            "add table: db.name",
        )
    for key in ("path", "table"):
        if getattr(spec, key) and spec.format in NO_LOCATION_FORMATS:
            ctx.report.warning(
                "TG213",
                ctx.at(*path, key),
                f"{label}: '{key}' has no effect for format '{spec.format}'",
                _where_format_writes(spec.format),
            )
    if kind == "output" and spec.format == "foreach_batch" and not spec.foreach_batch:
        ctx.report.error(
            "TG204",
            ctx.at(*path),
            f"{label}: format 'foreach_batch' needs 'foreach_batch: pkg.module.function'",
            "name the function called as function(df, batch_id)",
        )
    if kind == "output" and spec.format == "jdbc":
        missing = [o for o in ("url", "dbtable") if o not in spec.options]
        if missing:
            ctx.report.error(
                "TG204",
                ctx.at(*path, "options") if spec.options else ctx.at(*path),
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


def check_connector_settings(
    ctx: Context, inputs: dict[str, InputSpec], outputs: dict[str, OutputSpec]
) -> None:
    """The rules that need a whole entry: options and keys that depend on the format."""
    for name, spec in inputs.items():
        _check_input(ctx, ctx.label("input", name), ("inputs", name), spec)
    for name, spec in outputs.items():
        label, path = ctx.label("output", name), ("outputs", name)
        _check_option_spelling(ctx, label, path, spec.format, spec.options)
        if spec.partition_by and spec.format not in (*PATH_FORMATS, "table"):
            ctx.report.warning(
                "TG213",
                ctx.at(*path, "partition_by"),
                f"{label}: 'partition_by' has no effect for format '{spec.format}'",
                "partitioning applies to file, delta and table outputs; remove it",
            )
        if spec.format == "kafka":
            _check_kafka(ctx, label, path, spec.options, source=False)


def _check_input(ctx: Context, label: str, path: tuple, spec: InputSpec) -> None:
    _check_option_spelling(ctx, label, path, spec.format, spec.options)
    if spec.format == "kafka":
        _check_kafka(ctx, label, path, spec.options, source=True)
    if spec.value_format and spec.format != "kafka":
        ctx.report.warning(
            "TG213",
            ctx.at(*path, "value_format"),
            f"{label}: 'value_format' has no effect for format '{spec.format}'",
            "value_format parses a Kafka message value; remove it",
        )
    if spec.schema is not None and spec.format in ("kafka", "rate") and not spec.value_format:
        ctx.report.warning(
            "TG213",
            ctx.at(*path, "schema"),
            f"{label}: 'schema' has no effect: Spark fixes the columns of a {spec.format} source",
            (
                "for Kafka, add value_format: json to parse the message value with this schema"
                if spec.format == "kafka"
                else "remove it"
            ),
        )
    if spec.value_format and spec.format == "kafka" and spec.schema is None:
        ctx.report.error(
            "TG204",
            ctx.at(*path, "value_format"),
            f"{label}: value_format: {spec.value_format} needs a 'schema' for the value",
            'add schema: "id INT, amount DOUBLE, ts TIMESTAMP"',
        )
    if spec.format in PATH_FORMATS:
        keys = {str(k).lower(): k for k in spec.options}
        if "maxfilespertrigger" in keys and "maxbytespertrigger" in keys:
            ctx.report.error(
                "TG509",
                ctx.at(*path, "options", keys["maxbytespertrigger"]),
                f"{label}: Spark refuses maxFilesPerTrigger together with maxBytesPerTrigger",
                "keep one of the two limits",
            )


def _check_option_spelling(ctx: Context, label: str, path: tuple, fmt: str, options) -> None:
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
            ctx.report.warning(
                "TG215",
                ctx.at(*path, "options", key),
                f"{label}: '{text}' is not a {fmt} option Spark knows; Spark ignores it",
                f"did you mean '{spelled}'?",
            )


def _check_kafka(ctx: Context, label: str, path: tuple, options: dict, source: bool) -> None:
    keys = {str(k): k for k in options}
    for key, original in keys.items():
        _check_kafka_option(ctx, label, key, ctx.at(*path, "options", original))
    if "kafka.bootstrap.servers" not in keys and "bootstrap.servers" not in keys:
        ctx.report.error(
            "TG510",
            ctx.at(*path, "options") if options else ctx.at(*path),
            f"{label}: a Kafka {'source' if source else 'sink'} needs the option "
            "kafka.bootstrap.servers",
            "e.g. options: {kafka.bootstrap.servers: 'broker:9092', "
            + ("subscribe: sales}" if source else "topic: sales}"),
        )
    if source:
        for key, words in (
            ("startingOffsets", ("earliest", "latest")),
            ("endingOffsets", ("latest",)),
        ):
            if key in keys:
                _check_offsets(
                    ctx,
                    label,
                    key,
                    options[keys[key]],
                    words,
                    ctx.at(*path, "options", keys[key], value=True),
                )
        chosen = [k for k in ("subscribe", "subscribePattern", "assign") if k in keys]
        if len(chosen) != 1:
            ctx.report.error(
                "TG510",
                (
                    ctx.at(*path, "options", chosen[1])
                    if len(chosen) > 1
                    else (ctx.at(*path, "options") if options else ctx.at(*path))
                ),
                f"{label}: a Kafka source needs exactly one of subscribe, subscribePattern, "
                f"assign" + (f" (got {', '.join(chosen)})" if chosen else ""),
                "e.g. subscribe: sales",
            )
    elif "topic" not in keys:
        ctx.report.warning(
            "TG517",
            ctx.at(*path, "options") if options else ctx.at(*path),
            f"{label}: no 'topic' option: every row must then carry a 'topic' column",
            "add options: {topic: <name>}, or select a topic column in the node",
        )


def _check_offsets(ctx: Context, label: str, key: str, value, words: tuple, where) -> None:
    """Spark's Kafka source takes the words or a JSON map of topic -> partition -> offset
    for these, and refuses anything else only when the query starts."""
    text = str(value).strip()
    if text in words or "${" in text:
        return
    try:
        offsets = json.loads(text)
    except ValueError:
        offsets = None
    if isinstance(offsets, dict) and all(isinstance(v, dict) for v in offsets.values()):
        return
    ctx.report.error(
        "TG510",
        where,
        f"{label}: option '{key}' must be {' or '.join(repr(w) for w in words)} or a JSON "
        f"map of offsets, got {text!r}",
        f'e.g. {key}: {words[0]}, or {key}: \'{{"sales": {{"0": 42}}}}\''
        + (" (-2 is earliest, -1 latest)" if key == "startingOffsets" else " (-1 is latest)"),
    )


def _check_kafka_option(ctx: Context, label: str, key: str, where) -> None:
    """Kafka client settings Spark refuses, or passes on under another spelling."""
    bare = key.removeprefix("kafka.")
    if bare in KAFKA_FORBIDDEN:
        if key.startswith("kafka."):
            ctx.report.error(
                "TG508",
                where,
                f"{label}: Spark's Kafka connector refuses the option '{key}'",
                KAFKA_FORBIDDEN[bare],
            )
        else:
            ctx.report.error(
                "TG508",
                where,
                f"{label}: option '{key}' is not a Spark Kafka option (and Spark refuses "
                f"kafka.{key})",
                KAFKA_FORBIDDEN[bare],
            )
    elif bare == "group.id":
        if key.startswith("kafka."):
            ctx.report.warning(
                "TG516",
                where,
                f"{label}: with '{key}' every query (and a restart that overlaps the old "
                "run) shares one consumer group and they steal each other's partitions",
                "prefer the option groupIdPrefix, unless an ACL requires this exact id",
            )
        else:
            ctx.report.error(
                "TG508",
                where,
                f"{label}: option 'group.id' is not passed to Kafka (Spark creates a "
                "unique group per query)",
                "use groupIdPrefix, or kafka.group.id if an ACL requires a fixed id",
            )
    elif key == "bootstrap.servers":
        ctx.report.error(
            "TG508",
            where,
            f"{label}: option 'bootstrap.servers' must be spelled 'kafka.bootstrap.servers'",
            "Kafka client settings take the prefix 'kafka.'",
        )
