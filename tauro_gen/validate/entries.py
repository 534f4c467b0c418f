"""The typed entries: inputs, outputs, nodes (with Tauro's inline inputs, outputs and streaming
blocks), pipelines and the global settings, each read through the key table. An entry with a
mistake is reported and left out, so what refers to it is not reported a second time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..diagnostics import Location
from ..model import TAURO_MEMORY_QUERY, InputSpec, NodeSpec, OutputSpec, PipelineSpec
from .connectors import check_location
from .context import INVALID, SECTION_OF, Context, describe
from .keys import ALIASES, WIRING_KEYS, Key, read_entry, read_value


@dataclass(frozen=True)
class Settings:
    """The global settings with a meaning of their own."""

    checkpoint_root: str
    spark_conf: dict[str, Any]


@dataclass(frozen=True)
class Entries:
    """Every entry of the project that reads without a mistake."""

    inputs: dict[str, InputSpec]
    outputs: dict[str, OutputSpec]
    nodes: dict[str, NodeSpec]
    pipelines: dict[str, PipelineSpec]
    settings: Settings
    # Nodes with a wrong key that decides their wiring (WIRING_KEYS): reported, never wired.
    unwired: frozenset[str]
    # The inputs and outputs the project's files define, valid or not, without those written
    # inline in a node (they belong to it): implied wiring picks "the" input or output here.
    declared_inputs: tuple[str, ...]
    declared_outputs: tuple[str, ...]


def read_entries(ctx: Context) -> Entries:
    inline: set[str] = set()
    inputs = _read_all(ctx, "input", _input_spec)
    outputs = _read_all(ctx, "output", _output_spec)
    nodes = _read_nodes(ctx, inputs, outputs, inline)
    unwired = frozenset(
        name
        for name in nodes
        if ctx.invalid_keys("node", name) & WIRING_KEYS or ctx.invalid_keys("streaming", name)
    )
    pipelines = _read_pipelines(ctx)
    settings = _read_settings(ctx)
    sections = ctx.raw.sections
    return Entries(
        inputs=inputs,
        outputs=outputs,
        nodes=nodes,
        pipelines=pipelines,
        settings=settings,
        unwired=unwired,
        declared_inputs=tuple(sorted(n for n in sections["inputs"] if n not in inline)),
        declared_outputs=tuple(sorted(n for n in sections["outputs"] if n not in inline)),
    )


def _read_all(ctx: Context, kind: str, read_one) -> dict:
    specs = {}
    for name, data in ctx.raw.sections[SECTION_OF[kind]].items():
        spec = read_one(ctx, name, data)
        if spec is not None:
            specs[name] = spec
    return specs


def _input_spec(
    ctx: Context, name: str, data: Any, default_streaming: bool = False
) -> InputSpec | None:
    def build(entry: dict) -> InputSpec:
        fmt = entry["format"]
        streaming = entry.get("streaming", default_streaming)
        if fmt == "delta_stream":  # Tauro's name for a Delta table read as a stream
            fmt, streaming = "delta", entry.get("streaming", True)
        parse_json = entry.get("parse_json", False)
        return InputSpec(
            name=name,
            format=fmt,
            location=ctx.at("inputs", name),
            path=entry.get("path"),
            table=entry.get("table"),
            streaming=streaming,
            options=entry.get("options", {}),
            schema=entry.get("json_schema") if parse_json else entry.get("schema"),
            watermark=entry.get("watermark"),
            row_filter=entry.get("filter"),
            value_format="json" if parse_json else entry.get("value_format"),
            description=entry.get("description", ""),
            tauro_kafka_columns=parse_json,
        )

    if isinstance(data, dict) and not _tauro_json_parse_ok(ctx, name, data):
        return None

    return _source_or_sink(ctx, "input", name, data, build)


def _output_spec(ctx: Context, name: str, data: Any) -> OutputSpec | None:
    def build(entry: dict) -> OutputSpec:
        mode = entry.get("mode")
        fmt = "foreach_batch" if entry["format"] == "foreachbatch" else entry["format"]
        function = entry.get("foreach_batch")
        module = None
        if isinstance(function, dict):  # Tauro's batch_function: {module, function}
            module, function = function["module"], function["function"]
        options = entry.get("options", {})
        path = entry.get("path")
        layout = None if path or entry.get("table") else tauro_output_layout(ctx, name, entry)
        if layout is not None:  # Tauro: <output_path>/<env>/<schema>/<sub_folder>/<table>
            path = layout
            mode = mode or "overwrite"  # Tauro's write_mode default
        if "overwrite_schema" in entry:  # Tauro's key for Delta's option
            options = {"overwriteSchema": entry["overwrite_schema"], **options}
        return OutputSpec(
            name=name,
            format=fmt,
            location=ctx.at("outputs", name),
            path=path,
            table=entry.get("table"),
            streaming=entry.get("streaming"),
            mode="error" if mode == "errorifexists" else mode,
            output_mode=entry.get("output_mode"),
            partition_by=entry.get("partition_by", []),
            options=options,
            checkpoint=entry.get("checkpoint"),
            trigger=entry.get("trigger"),
            query_name=entry.get("query_name"),
            foreach_batch=function,
            foreach_module=module,
            key_column=entry.get("key_column"),
            tauro_layout=layout is not None,
            description=entry.get("description", ""),
        )

    return _source_or_sink(ctx, "output", name, data, build)


# Tauro's batch output key: [alias:]schema.sub_folder.table_name (or with slashes).
TAURO_OUTPUT_KEY = re.compile(
    r"(?:[A-Za-z0-9_-]+:)?([A-Za-z0-9_-]+)[./]([A-Za-z0-9_-]+)[./]([A-Za-z0-9_-]+)"
)


def tauro_output_layout(ctx: Context, name: str, entry: dict) -> str | None:
    """Where Tauro writes a batch output named schema.sub_folder.table_name that gives no
    path: <output_path>/<env>/<schema>/<sub_folder>/<table_name> (sub_folder and table_name
    may be overridden by keys of those names); None for any other output."""
    match = TAURO_OUTPUT_KEY.fullmatch(name)
    settings = ctx.settings
    root = settings.get("output_path")
    if match is None or not isinstance(root, str) or not root.strip():
        return None
    schema, sub_folder, table = match.groups()
    sub_folder = entry.get("sub_folder", sub_folder)
    table = entry.get("table_name", table)
    parts = [root.rstrip("/"), ctx.raw.env, schema, sub_folder, table]
    return "/".join(p for p in parts if p)


def _tauro_json_parse_ok(ctx: Context, name: str, data: dict) -> bool:
    """Tauro's `parse_json: true` + `json_schema:` on a Kafka input is tauro-gen's
    `value_format: json` + `schema:`, keeping Kafka's columns under Tauro's names; reported
    (False) where the two spellings meet or parse_json lacks what it needs."""
    label = ctx.label("input", name)
    path = ("inputs", name)
    ok = True
    if data.get("parse_json") is True:
        for ours in ("value_format", "schema"):
            if ours in data:
                ok = False
                ctx.report.error(
                    "TG207",
                    ctx.at(*path, ours),
                    f"{label}: '{ours}' beside Tauro's parse_json",
                    "write either parse_json: true + json_schema: (Tauro's columns), "
                    "or value_format: json + schema: (kafka_* columns)",
                )
        if "json_schema" not in data:
            ok = False
            ctx.report.error(
                "TG204",
                ctx.at(*path, "parse_json"),
                f"{label}: parse_json needs 'json_schema', the value's columns",
                'add json_schema: "id INT, amount DOUBLE" (a DDL string)',
            )
        if str(data.get("format", "")).strip().lower() != "kafka":
            ok = False
            ctx.report.error(
                "TG207",
                ctx.at(*path, "parse_json"),
                f"{label}: parse_json parses Kafka messages; this input's format is "
                f"'{data.get('format')}'",
                "remove parse_json (a file format's reader parses its rows itself)",
            )
    elif "json_schema" in data:
        ctx.report.warning(
            "TG213",
            ctx.at(*path, "json_schema"),
            f"{label}: json_schema has no effect without parse_json: true (in Tauro either)",
            "add parse_json: true to parse the Kafka value with it, or remove json_schema",
        )
    return ok


def _source_or_sink(ctx: Context, kind: str, name: str, data: Any, build):
    """An input or output read through the key table, built by `build(entry)` and its location
    checked; None when any of that was reported: it is left out, so that what reads or writes
    it is not reported again."""
    errors = ctx.report.error_count
    entry = read_entry(ctx, kind, name, data)
    if entry is None or "format" not in entry:
        return None
    spec = build(entry)
    check_location(ctx, kind, spec, (SECTION_OF[kind], name))
    if ctx.invalid_keys(kind, name) or ctx.report.error_count > errors:
        return None
    return spec


# --------------------------------------------------------------------------------------------
# Nodes, and Tauro's inline streaming nodes
# --------------------------------------------------------------------------------------------


def _read_nodes(ctx: Context, inputs: dict, outputs: dict, inline: set[str]) -> dict:
    """The nodes; an inline `input:`/`output:` becomes an entry of `inputs`/`outputs` (its name
    added to `inline`), and a `streaming:` block is applied to it."""
    nodes = {}
    for name, data in list(ctx.raw.sections["nodes"].items()):
        entry = read_entry(ctx, "node", name, data)
        if entry is None:
            continue
        streaming = None
        ctx.labels[("streaming", name)] = f"node '{name}': streaming"
        if "streaming" in entry:
            streaming = read_entry(
                ctx, "streaming", name, entry["streaming"], path=("nodes", name, "streaming")
            )
        function, module = _function_of(ctx, name, data, entry)
        if function is INVALID:
            continue
        node = NodeSpec(
            name=name,
            function=function,
            location=ctx.at("nodes", name),
            dependencies=entry.get("dependencies", []),
            params=entry.get("params", {}),
            description=entry.get("description", ""),
            module=module,
        )
        if isinstance(data.get("input"), dict):
            # Tauro calls a streaming node as fn(df, node_config), with its entry as loaded.
            node.tauro_config = {"name": name, **data}
        inline_of: dict[str, str | None] = {}  # "input"/"output" -> its inline entry's name
        for key in ("input", "output"):
            value = entry.get(key)
            if isinstance(value, dict):
                synthetic = _inline_entry(ctx, name, key, value, inputs, outputs, inline)
                value = [synthetic] if synthetic else None
                inline_of[key] = synthetic
                if synthetic is None:
                    ctx.mark_invalid("node", name, key)
            setattr(node, f"{key}s", value)
        if streaming:
            _apply_streaming_block(ctx, name, streaming, inline_of, inputs, outputs)
        if inline_of.get("output") in outputs:
            _tauro_memory_table(ctx, name, outputs[inline_of["output"]])
        nodes[name] = node
    return nodes


def _tauro_memory_table(ctx: Context, node: str, spec: OutputSpec) -> None:
    """Tauro's memory writer names the query (and so the table) by the option queryName,
    else the output's queryName, else "memory_query". The option becomes the query name
    here (given both, Spark would keep whichever it is told last); the streaming block's
    query_name, which Tauro's writer overrides, is kept as the user's choice."""
    if spec.format != "memory":
        return
    option = spec.options.get("queryName")
    if option is None:
        spec.query_name = spec.query_name or TAURO_MEMORY_QUERY
        return
    if spec.query_name is not None and spec.query_name != option:
        ctx.report.warning(
            "TG213",
            ctx.at("outputs", spec.name, "options", "queryName"),
            f"node '{node}': the query name '{spec.query_name}' has no effect: the memory "
            f"sink's option queryName '{option}' names it (as in Tauro)",
            "keep one of them",
        )
    spec.query_name = str(option)
    spec.options = {k: v for k, v in spec.options.items() if k != "queryName"}


def _function_of(ctx: Context, name: str, data: dict, entry: dict) -> tuple[Any, str | None]:
    """(function, module) of a node: `function: pkg.mod.func`, Tauro's `module:` + `function:`
    or `function: {module, function}`; (None, None) for a Tauro streaming node written without
    one, which passes its input on unchanged (Tauro's identity); INVALID when reported."""
    function = entry.get("function")
    if isinstance(function, dict):
        if "module" in entry:
            ctx.report.error(
                "TG207",
                ctx.at("nodes", name, "module"),
                f"node '{name}': 'module' is set twice, beside function: and inside it",
                "keep function: {module: pkg.module, function: name} alone",
            )
            return INVALID, None
        return function["function"], function["module"]
    if function is not None:
        return function, entry.get("module")
    if "function" in data or ctx.invalid_keys("node", name) & {"function", "input", "output"}:
        return INVALID, None  # written but wrong: reported where it was read
    if all(isinstance(data.get(key), dict) for key in ("input", "output")):
        if "module" in entry:
            ctx.report.error(
                "TG204",
                ctx.at("nodes", name, "module"),
                f"node '{name}': 'module' without 'function'",
                "add function: <the function's name>, or remove module: to pass the input "
                "on unchanged",
            )
            return INVALID, None
        if entry.get("params"):
            ctx.report.error(
                "TG207",
                ctx.at("nodes", name, "params"),
                f"node '{name}': params without a function to receive them",
                "add function: pkg.module.function, or remove params:",
            )
            return INVALID, None
        return None, None
    ctx.report.error(
        "TG204",
        ctx.at("nodes", name),
        f"node '{name}': missing required key 'function'",
        "add 'function: pkg.module.function' (only a Tauro streaming node, with inline "
        "input: and output: mappings, may leave it out to pass its input on unchanged)",
    )
    return INVALID, None


def _inline_entry(
    ctx: Context, node: str, key: str, data: dict, inputs, outputs, inline: set[str]
) -> str | None:
    """Tauro's inline streaming node: `input: {format: kafka, ...}` becomes a named entry."""
    kind = "input" if key == "input" else "output"
    synthetic = f"{node}_{kind}"
    section = SECTION_OF[kind]
    raw = ctx.raw
    if synthetic in raw.sections[section]:
        ctx.report.error(
            "TG409",
            ctx.at("nodes", node, key),
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
    ctx.labels[(kind, synthetic)] = f"node '{node}': inline {kind}"
    inline.add(synthetic)
    if kind == "input":
        # Tauro's inline nodes are streaming nodes: their source streams unless told not to.
        spec = _input_spec(ctx, synthetic, data, default_streaming=True)
        if spec is not None:
            inputs[synthetic] = spec
    else:
        spec = _output_spec(ctx, synthetic, data)
        if spec is not None:
            spec.tauro_node = node
            outputs[synthetic] = spec
    return synthetic


_OUTPUT_WINS = ("trigger", "output_mode", "checkpoint", "query_name")


def _apply_streaming_block(
    ctx: Context, node: str, block: dict, inline_of: dict, inputs, outputs
) -> None:
    """`streaming: {...}` settles the inline output's query settings and the input's
    watermark; it has nothing to apply to when they are not inline."""
    raw = ctx.raw
    for key, value in block.items():
        target_kind = "input" if key == "watermark" else "output"
        synthetic = inline_of.get(target_kind)
        where = ctx.at("nodes", node, "streaming", key)
        if synthetic is None:
            ctx.report.warning(
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
        if spelled and key in _OUTPUT_WINS:
            # Tauro's writer applies the output's own outputMode/trigger/checkpointLocation/
            # queryName after the node's streaming block: they win there, and here.
            ctx.report.warning(
                "TG213",
                where,
                f"node '{node}': streaming.{key} has no effect: the inline output sets "
                f"'{spelled[0]}', which wins (as in Tauro)",
                "keep one of them",
            )
            continue
        if spelled:
            ctx.report.error(
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


# --------------------------------------------------------------------------------------------
# Pipelines and global settings
# --------------------------------------------------------------------------------------------


def _read_pipelines(ctx: Context) -> dict[str, PipelineSpec]:
    raw = ctx.raw
    pipelines = {}
    for name, data in raw.sections["pipelines"].items():
        entry = read_entry(ctx, "pipeline", name, data)
        if entry is None or "nodes" not in entry:
            continue
        if not entry["nodes"]:
            ctx.report.error(
                "TG411",
                ctx.at("pipelines", name, "nodes", value=True),
                f"pipeline '{name}' has no nodes",
                "list at least one node: nodes: [my_node]",
            )
            continue
        pipelines[name] = PipelineSpec(
            name=name,
            nodes=entry["nodes"],
            location=ctx.at("pipelines", name),
            type=entry.get("type"),
            description=entry.get("description", ""),
            spark_conf=entry.get("spark_conf", {}),
            trigger=entry.get("trigger"),
            requires_dates=entry.get("requires_dates", True),
        )
    if not raw.sections["pipelines"] and "pipelines" in raw.section_files:
        ctx.report.warning(
            "TG415",
            Location(raw.section_files["pipelines"], 1, 1),
            "no pipelines are defined: there is nothing to build",
            "add one, e.g. `my_pipeline: {nodes: [my_node]}`",
        )
    return pipelines


def _read_settings(ctx: Context) -> Settings:
    settings = ctx.settings
    root = settings.get("checkpoint_root", "checkpoints")
    if not isinstance(root, str) or not root.strip():
        ctx.report.error(
            "TG202",
            ctx.at("global_settings", "checkpoint_root", value=True),
            f"global setting 'checkpoint_root' must be a folder path, got {describe(root)}",
            "e.g. checkpoint_root: checkpoints",
        )
        root = "checkpoints"
    checkpoint_root = root.rstrip("/") or "checkpoints"
    key = "spark_conf"
    if "spark_config" in settings:  # Tauro's spelling
        if "spark_conf" in settings:
            ctx.report.error(
                "TG207",
                ctx.at("global_settings", "spark_config"),
                "global settings: 'spark_config' (Tauro's spelling) and 'spark_conf' mean the "
                "same thing",
                "keep only 'spark_conf'",
            )
            return Settings(checkpoint_root, {})
        key = "spark_config"
    spark_conf = settings.get(key)
    if spark_conf is None:
        return Settings(checkpoint_root, {})
    checked = read_value(
        ctx, "global settings", ("global_settings", key), key, Key("options"), spark_conf
    )
    if checked is INVALID:
        return Settings(checkpoint_root, {})
    if key == "spark_config":
        checked = _without_tauro_protected(ctx, checked)
    return Settings(checkpoint_root, checked)


# Settings Tauro's session builder skips with a warning (config/session.py): they size or
# place the application, which is spark-submit's business.
TAURO_PROTECTED_SETTINGS = (
    "spark.sql.shuffle.partitions",
    "spark.executor.memory",
    "spark.driver.memory",
    "spark.master",
    "spark.submit.deployMode",
    "spark.dynamicAllocation.enabled",
    "spark.executor.instances",
)


def _without_tauro_protected(ctx: Context, conf: dict[str, Any]) -> dict[str, Any]:
    kept = {}
    for name, value in conf.items():
        if str(name) in TAURO_PROTECTED_SETTINGS:
            ctx.report.warning(
                "TG213",
                ctx.at("global_settings", "spark_config", name),
                f"global settings: spark_config '{name}' is skipped, as Tauro skips it",
                f"pass it to spark-submit (--conf {name}=...), or write it under spark_conf: "
                "to set it in the job's session",
            )
            continue
        kept[name] = value
    return kept
