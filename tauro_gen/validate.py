"""Stage 2 — validate: turn the loaded, untyped config into the typed `Project`, or explain
precisely why not.

Each entry kind has one declarative table of keys (`ENTRY_KEYS`), the single place where keys,
types, allowed values and aliases are defined; the JSON Schema (`tauro-gen schema`) is derived
from the same table. After the per-entry checks come the cross-entry ones: references, wiring,
cycles, node code, and the streaming rules that only make sense across a whole pipeline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
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
    InputSpec,
    NodeSpec,
    NodeWiring,
    RESERVED_NAMES,
    SCAFFOLD_IMPORTS,
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
    kind: str  # str | bool | map | names | enum | trigger | schema | watermark | node_io | any
    required: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""


ENTRY_KEYS: dict[str, dict[str, Key]] = {
    "pipeline": {
        "nodes": Key("names", True, doc="nodes to run, in any order (wiring decides the order)"),
        "type": Key("enum", choices=("streaming", "batch"), doc="default: from the inputs"),
        "description": Key("str"),
        "spark_conf": Key("map", doc="Spark settings applied in the SparkSession builder"),
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
        "options": Key("map", doc="passed to the reader as written"),
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
        "options": Key("map", doc="passed to the writer as written"),
        "checkpoint": Key("str"),
        "trigger": Key("trigger"),
        "query_name": Key("str"),
        "foreach_batch": Key("str", doc="pkg.mod.func called as func(df, batch_id)"),
        "description": Key("str"),
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
}

TRIGGER_SPELLINGS = {
    "processing_time": "processing_time",
    "processingTime": "processing_time",
    "available_now": "available_now",
    "availableNow": "available_now",
    "continuous": "continuous",
    "once": "once",
}
INTERVAL = re.compile(
    r"^\s*(\d+(\.\d+)?\s*(weeks?|days?|hours?|minutes?|seconds?|milliseconds?|microseconds?)\s*)+$",
    re.IGNORECASE,
)
SECTION_OF = {"pipeline": "pipelines", "node": "nodes", "input": "inputs", "output": "outputs"}
SECRET_KEY = re.compile(r"(password|passwd|secret|token|api[_-]?key|private[_-]?key)", re.I)


class _Checker:
    """Per-entry checks; every finding goes to the shared report with its location."""

    def __init__(self, raw: RawProject, report: Report):
        self.raw = raw
        self.report = report

    def at(self, *path: Any, value: bool = False) -> Location:
        return self.raw.where(tuple(path), value=value)

    def entry(self, kind: str, name: str, data: Any) -> dict[str, Any] | None:
        section = SECTION_OF[kind]
        if not isinstance(data, dict):
            self.report.error(
                "TG206",
                self.at(section, name),
                f"{kind} '{name}' must be a mapping of keys",
                f"indent its keys under '{name}:'",
            )
            return None
        table = ENTRY_KEYS[kind]
        out: dict[str, Any] = {}
        for key, value in data.items():
            key = str(key)
            canonical = ALIASES[kind].get(key, key)
            if canonical != key:
                if canonical in data:
                    self.report.error(
                        "TG207",
                        self.at(section, name, key),
                        f"{kind} '{name}': '{key}' and '{canonical}' mean the same thing",
                        f"keep only '{canonical}'",
                    )
                    continue
            if canonical not in table:
                hint = did_you_mean(key, list(table) + list(ALIASES[kind])) or (
                    "allowed keys: " + ", ".join(table)
                )
                self.report.error(
                    "TG201",
                    self.at(section, name, key),
                    f"{kind} '{name}': unknown key '{key}'",
                    hint,
                )
                continue
            checked = self.value(kind, name, (section, name, key), canonical, table[canonical], value)
            if checked is not _INVALID:
                out[canonical] = checked
        for key, spec in table.items():
            if spec.required and key not in out and key not in _failed_keys(data, kind):
                self.report.error(
                    "TG204",
                    self.at(section, name),
                    f"{kind} '{name}': missing required key '{key}'",
                    f"add '{key}:'" + (f" ({one_of(spec.choices)})" if spec.choices else ""),
                )
        return out

    def value(self, kind, name, path, key, spec: Key, value) -> Any:
        where = self.at(*path, value=True)
        label = f"{kind} '{name}': '{key}'"

        def wrong(expected: str, hint: str = "") -> object:
            self.report.error(
                "TG202",
                where,
                f"{label} must be {expected}, got {_describe(value)}",
                hint,
            )
            return _INVALID

        if spec.kind == "str":
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                return str(value)
            return wrong("a string")
        if spec.kind == "bool":
            return value if isinstance(value, bool) else wrong("true or false")
        if spec.kind == "map":
            if value is None:
                return {}
            return value if isinstance(value, dict) else wrong("a mapping of key: value")
        if spec.kind == "names":
            if isinstance(value, str):
                return [value]
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return list(value)
            return wrong("a name or a list of names")
        if spec.kind == "node_io":
            if isinstance(value, str):
                return [value]
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return list(value)
            if isinstance(value, dict):
                return value  # Tauro inline source/sink, checked by the caller
            return wrong("a name, a list of names, or an inline definition")
        if spec.kind == "enum":
            if not isinstance(value, str):
                return wrong(one_of(spec.choices))
            lowered = value.lower() if key in ("format", "type", "mode", "output_mode") else value
            if lowered not in spec.choices:
                self.report.error(
                    "TG203",
                    where,
                    f"{label}: '{value}' is not allowed",
                    did_you_mean(lowered, spec.choices) or one_of(spec.choices),
                )
                return _INVALID
            return lowered
        if spec.kind == "trigger":
            trigger = self.trigger(label, path, value)
            return trigger if trigger is not None else _INVALID
        if spec.kind == "schema":
            return self.schema(label, path, value)
        if spec.kind == "watermark":
            if not isinstance(value, dict) or set(value) - {"column", "delay"} or len(value) != 2:
                return wrong("a mapping {column: ..., delay: ...}", "e.g. {column: ts, delay: 10 minutes}")
            if not INTERVAL.match(str(value["delay"])):
                self.report.error(
                    "TG208",
                    self.at(*path, "delay", value=True),
                    f"{label}: delay '{value['delay']}' is not an interval Spark understands",
                    "write e.g. '10 seconds', '5 minutes', '1 hour'",
                )
                return _INVALID
            return Watermark(str(value["column"]), str(value["delay"]))
        return value

    def trigger(self, label: str, path: tuple, value: Any) -> Trigger | None:
        where = self.at(*path, value=True)
        if isinstance(value, str):
            value = {"processing_time": value}
        if not isinstance(value, dict) or not value:
            self.report.error(
                "TG211",
                where,
                f"{label} must be a mapping such as {{processing_time: '5 seconds'}}",
                "or {available_now: true}, {continuous: '1 second'}",
            )
            return None
        if "type" in value:  # Tauro: {type: processing_time, interval: "10 seconds"}
            kind = TRIGGER_SPELLINGS.get(str(value["type"]))
            if kind is None or set(value) - {"type", "interval"}:
                self.report.error(
                    "TG211",
                    where,
                    f"{label}: unknown trigger type '{value['type']}'",
                    did_you_mean(str(value["type"]), TRIGGER_SPELLINGS)
                    or one_of(("processing_time", "available_now", "continuous", "once")),
                )
                return None
            setting = value.get("interval", True)
        else:
            if len(value) != 1:
                self.report.error(
                    "TG211", where, f"{label}: give exactly one trigger kind", "e.g. {processing_time: '5 seconds'}"
                )
                return None
            (spelled, setting), = value.items()
            kind = TRIGGER_SPELLINGS.get(str(spelled))
            if kind is None:
                self.report.error(
                    "TG211",
                    self.at(*path, spelled),
                    f"{label}: unknown trigger '{spelled}'",
                    did_you_mean(str(spelled), TRIGGER_SPELLINGS)
                    or one_of(("processing_time", "available_now", "continuous", "once")),
                )
                return None
        if kind in ("available_now", "once"):
            if setting is not True:
                self.report.error("TG211", where, f"{label}: {kind} takes 'true'", f"write {{{kind}: true}}")
                return None
            if kind == "once":
                self.report.warning(
                    "TG210",
                    where,
                    f"{label}: the 'once' trigger is deprecated by Spark",
                    "use {available_now: true}: same semantics, but it splits the backlog into batches",
                )
            return Trigger(kind)
        if not isinstance(setting, str) or not INTERVAL.match(setting):
            self.report.error(
                "TG208",
                where,
                f"{label}: '{setting}' is not an interval Spark understands",
                "write e.g. '5 seconds', '1 minute', '500 milliseconds'",
            )
            return None
        return Trigger(kind, setting.strip())

    def schema(self, label: str, path: tuple, value: Any) -> Any:
        where = self.at(*path, value=True)
        try:
            if isinstance(value, str):
                stripped = value.strip()
                if stripped.endswith((".json", ".ddl")) and "\n" not in stripped:
                    return self.schema_file(label, where, stripped)
                return schema_mod.parse_ddl(value)
            if isinstance(value, list):
                return schema_mod.parse_field_list(value)
        except schema_mod.SchemaError as exc:
            if getattr(exc, "index", None) is not None:
                where = self.at(*path, exc.index, value=True)
            self.report.error("TG209", where, f"{label}: {exc}", "fix the schema; see README 'Schemas'")
            return _INVALID
        self.report.error(
            "TG202",
            where,
            f"{label} must be a DDL string, a list of fields or a .json/.ddl file, got {_describe(value)}",
            "e.g. schema: \"id INT, date DATE, amount DOUBLE\"",
        )
        return _INVALID

    def schema_file(self, label: str, where: Location, relpath: str) -> Any:
        path = self.raw.root / relpath
        if not path.is_file():
            self.report.error("TG209", where, f"{label}: schema file '{relpath}' not found", "paths are relative to the project root")
            return _INVALID
        text = path.read_text(encoding="utf-8")
        if relpath.endswith(".ddl"):
            return schema_mod.parse_ddl(text)
        try:
            return schema_mod.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError) as exc:
            self.report.error("TG209", where, f"{label}: {relpath} is not a Spark JSON schema ({exc})", "")
            return _INVALID


_INVALID = object()


def _failed_keys(data: dict, kind: str) -> set[str]:
    """Canonical keys that were written (possibly wrongly); a wrong value is not 'missing'."""
    return {ALIASES[kind].get(str(k), str(k)) for k in data}


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
    return f"'{value}'"


# --------------------------------------------------------------------------------------------
# The whole project
# --------------------------------------------------------------------------------------------


def validate_project(raw: RawProject) -> tuple[Project | None, Report]:
    """Check everything that can be checked at build time; return the model when error-free."""
    report = Report()
    check = _Checker(raw, report)
    inputs = _build_inputs(check, raw)
    outputs = _build_outputs(check, raw)
    nodes = _build_nodes(check, raw, inputs, outputs)
    pipelines_specs = _build_pipelines(check, raw)
    _check_secrets(raw, report)
    settings = raw.global_settings if isinstance(raw.global_settings, dict) else {}
    checkpoint_root = str(settings.get("checkpoint_root", "checkpoints")).rstrip("/") or "checkpoints"
    spark_conf = settings.get("spark_conf") or {}
    if not isinstance(spark_conf, dict):
        report.error(
            "TG202",
            raw.where(("global_settings", "spark_conf"), value=True),
            "global setting 'spark_conf' must be a mapping",
            "write spark_conf: {key: value}",
        )
        spark_conf = {}

    sources = SourceIndex(raw.root)
    for node in nodes.values():
        _resolve_code(node, sources, raw, report)

    pipelines: dict[str, ResolvedPipeline] = {}
    for spec in pipelines_specs.values():
        resolved = _wire(spec, nodes, inputs, outputs, raw, report)
        if resolved is not None:
            pipelines[spec.name] = resolved
    _check_across_pipelines(pipelines, inputs, outputs, raw, report, checkpoint_root)
    for pipeline in pipelines.values():
        _check_code_names(pipeline, nodes, report)

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


def _build_inputs(check: _Checker, raw: RawProject) -> dict[str, InputSpec]:
    result = {}
    for name, data in raw.sections["inputs"].items():
        entry = check.entry("input", name, data)
        if entry is None or "format" not in entry:
            continue
        spec = InputSpec(
            name=name,
            format=entry["format"],
            location=check.at("inputs", name),
            path=entry.get("path"),
            table=entry.get("table"),
            streaming=entry.get("streaming", False),
            options=entry.get("options", {}),
            schema=entry.get("schema"),
            watermark=entry.get("watermark"),
            value_format=entry.get("value_format"),
            description=entry.get("description", ""),
        )
        _require_location(check, "input", spec, ("inputs", name))
        result[name] = spec
    return result


def _build_outputs(check: _Checker, raw: RawProject) -> dict[str, OutputSpec]:
    result = {}
    for name, data in raw.sections["outputs"].items():
        entry = check.entry("output", name, data)
        if entry is None or "format" not in entry:
            continue
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
            description=entry.get("description", ""),
        )
        if spec.mode == "errorifexists":
            spec.mode = "error"
        _require_location(check, "output", spec, ("outputs", name))
        result[name] = spec
    return result


def _require_location(check: _Checker, kind: str, spec, path: tuple) -> None:
    """File formats need a path; `table` needs a table; both at once is ambiguous."""
    if spec.path and spec.table:
        check.report.error(
            "TG207",
            check.at(*path, "table"),
            f"{kind} '{spec.name}': give either 'path' or 'table', not both",
            "remove one",
        )
    needs_path = spec.format in FILE_FORMATS
    if needs_path and not spec.path:
        check.report.error(
            "TG204",
            check.at(*path),
            f"{kind} '{spec.name}': format '{spec.format}' needs a 'path'",
            "add path: <folder>",
        )
    if spec.format == "table" and not spec.table:
        check.report.error(
            "TG204",
            check.at(*path),
            f"{kind} '{spec.name}': format 'table' needs 'table: <name>'",
            "add table: db.name",
        )


def _build_nodes(check: _Checker, raw, inputs, outputs) -> dict[str, NodeSpec]:
    result = {}
    for name, data in raw.sections["nodes"].items():
        entry = check.entry("node", name, data)
        if entry is None or "function" not in entry:
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
        for key, target in (("input", "inputs"), ("output", "outputs")):
            value = entry.get(key)
            if isinstance(value, dict):
                value = [_inline_entry(check, name, key, value, entry.get("streaming", {}), inputs, outputs)]
            setattr(node, target, value)
        result[name] = node
    return result


def _inline_entry(check: _Checker, node: str, key: str, data: dict, streaming: dict, inputs, outputs) -> str:
    """Tauro's inline streaming node: `input: {format: kafka, ...}` becomes a named entry."""
    kind = "input" if key == "input" else "output"
    synthetic = f"{node}_{kind}"
    section = SECTION_OF[kind]
    # Make the inline block addressable like a top-level entry, for located diagnostics.
    for table in (check.raw.key_locs, check.raw.value_locs):
        for path, loc in list(table.items()):
            if path[:3] == ("nodes", node, key):
                table[(section, synthetic) + path[3:]] = loc
    data = dict(data)
    if kind == "output" and isinstance(streaming, dict):
        for src, dst in (("trigger", "trigger"), ("output_mode", "output_mode"),
                         ("checkpoint_location", "checkpoint"), ("query_name", "query_name")):
            if src in streaming and dst not in data:
                data[dst] = streaming[src]
    check.raw.sections[section][synthetic] = data
    if kind == "input":
        built = _build_inputs(check, _Only(check.raw, "inputs", synthetic))
        inputs.update(built)
    else:
        built = _build_outputs(check, _Only(check.raw, "outputs", synthetic))
        outputs.update(built)
    return synthetic


class _Only:
    """A view of a RawProject with a single entry in one section."""

    def __init__(self, raw: RawProject, section: str, name: str):
        self.sections = {section: {name: raw.sections[section][name]}}


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
    return result


def _resolve_code(node: NodeSpec, sources: SourceIndex, raw: RawProject, report: Report) -> None:
    where = raw.where(("nodes", node.name, "function"), value=True)
    try:
        mod, func = sources.resolve_function(node.function, node.module, where)
        node.code = sources.collect(mod, func)
    except CodeError as exc:
        p = exc.problem
        report.error(p.code, p.location, f"node '{node.name}': {p.message}", p.hint)
        return
    code = node.code
    wired = None if node.inputs is None else len(node.inputs)
    for key in node.params:
        if key not in code.keyword_names and not code.takes_kwargs:
            report.error(
                "TG304",
                raw.where(("nodes", node.name, "params", key)),
                f"node '{node.name}': {code.function}() has no parameter '{key}'",
                did_you_mean(key, code.keyword_names) or f"see {code.source}:{code.line}",
            )
    if wired is not None:
        _check_arity(node, wired, raw, report)


def _check_arity(node: NodeSpec, wired: int, raw: RawProject, report: Report) -> None:
    code = node.code
    assert code is not None
    covered_by_params = sum(1 for p in node.params if p in code.keyword_names)
    too_few = wired + covered_by_params < code.required_positional
    too_many = code.max_positional is not None and wired > code.max_positional
    if too_few or too_many:
        report.error(
            "TG304",
            raw.where(("nodes", node.name, "input")) if node.inputs else node.location,
            f"node '{node.name}': {code.function}() takes {code.required_positional} DataFrame "
            f"argument(s) but is wired to {wired}",
            f"adjust 'input:' or the function signature at {code.source}:{code.line}",
        )


def _wire(spec: PipelineSpec, nodes, inputs, outputs, raw: RawProject, report: Report):
    """Make every edge of a pipeline explicit and order its nodes (SPEC 2.2 wiring)."""
    members: list[str] = []
    for index, name in enumerate(spec.nodes):
        where = raw.where(("pipelines", spec.name, "nodes", index), value=True)
        if name in members:
            report.error("TG412", where, f"pipeline '{spec.name}': node '{name}' is listed twice", "remove one")
        elif name not in nodes:
            if name not in raw.sections["nodes"]:
                report.error(
                    "TG401",
                    where,
                    f"pipeline '{spec.name}': unknown node '{name}'",
                    did_you_mean(name, nodes) or "define it in config/nodes.yaml",
                )
            return None
        else:
            members.append(name)
    if len(members) != len(spec.nodes):
        return None
    ok = True
    args: dict[str, tuple[str, ...]] = {}
    for name in members:
        node = nodes[name]
        for dep_index, dep in enumerate(node.dependencies):
            if dep not in members:
                report.error(
                    "TG404",
                    raw.where(("nodes", name, "dependencies", dep_index), value=True),
                    f"node '{name}' depends on '{dep}', which is not a node of pipeline '{spec.name}'",
                    did_you_mean(dep, members) or "add it to the pipeline's nodes or remove the dependency",
                )
                ok = False
        if node.inputs is not None:
            for i, ref in enumerate(node.inputs):
                where = raw.where(("nodes", name, "input", i), value=True)
                if ref in inputs and ref in members:
                    report.error("TG408", where, f"node '{name}': '{ref}' is both an input and a node", "rename one of them")
                    ok = False
                elif ref not in inputs and ref not in members:
                    report.error(
                        "TG402",
                        where,
                        f"node '{name}': unknown input '{ref}'",
                        did_you_mean(ref, list(inputs) + members)
                        or "inputs and nodes of this pipeline: " + ", ".join(sorted(list(inputs) + members)),
                    )
                    ok = False
            if not node.inputs:
                report.error("TG406", raw.where(("nodes", name, "input")), f"node '{name}' has an empty input list", "name at least one input or node")
                ok = False
            args[name] = tuple(node.inputs)
        elif len(node.dependencies) == 1:
            args[name] = (node.dependencies[0],)
        elif not node.dependencies and len(inputs) == 1:
            args[name] = (next(iter(inputs)),)
        else:
            candidates = node.dependencies or sorted(inputs)
            report.error(
                "TG406",
                node.location,
                f"node '{name}': which DataFrames it receives is ambiguous",
                "add 'input: [...]' naming one or more of: " + ", ".join(candidates),
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
        if node.outputs is not None:
            wired_outputs = tuple(node.outputs)
            for i, out in enumerate(wired_outputs):
                if out not in outputs:
                    report.error(
                        "TG403",
                        raw.where(("nodes", name, "output", i), value=True),
                        f"node '{name}': unknown output '{out}'",
                        did_you_mean(out, outputs) or "define it in config/outputs.yaml",
                    )
                    ok = False
        elif name not in consumers and len(outputs) == 1:
            wired_outputs = (next(iter(outputs)),)
        elif name not in consumers:
            report.error(
                "TG406",
                node.location,
                f"node '{name}': its result is used by no node and written to no output",
                "add 'output: <name>' naming one of: " + (", ".join(sorted(outputs)) or "(no outputs defined)"),
            )
            ok = False
            wired_outputs = ()
        else:
            wired_outputs = ()
        for out in wired_outputs:
            if out in writer_of:
                report.error(
                    "TG407",
                    raw.where(("nodes", name, "output")) if node.outputs else node.location,
                    f"output '{out}' is written by two nodes of pipeline '{spec.name}': '{writer_of[out]}' and '{name}'",
                    "give each node its own output, or union the DataFrames in one node",
                )
                ok = False
            writer_of[out] = name
        sinks[name] = wired_outputs
    if not ok:
        return None

    order = _topological(spec, members, nodes, args, raw, report)
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
    kind = spec.type or ("streaming" if any(inputs[i].streaming for i in read) else "batch")
    if kind == "batch" and any(inputs[i].streaming for i in read):
        report.error(
            "TG410",
            raw.where(("pipelines", spec.name, "type"), value=True),
            f"pipeline '{spec.name}' is declared batch but reads streaming input(s) "
            + ", ".join(i for i in read if inputs[i].streaming),
            "remove 'type: batch', or set streaming: false on those inputs",
        )
        return None
    written = [out for w in wiring for out in w.outputs]
    for w in wiring:
        for out in w.outputs:
            declared = outputs[out].streaming
            if declared is True and not w.streaming:
                report.error(
                    "TG410",
                    raw.where(("outputs", out, "streaming"), value=True),
                    f"output '{out}' is declared streaming but node '{w.node}' produces a batch DataFrame",
                    "set streaming: true on one of the node's inputs, or remove streaming: true here",
                )
            elif declared is False and w.streaming:
                report.error(
                    "TG410",
                    raw.where(("outputs", out, "streaming"), value=True),
                    f"output '{out}' is declared batch but node '{w.node}' produces a streaming DataFrame",
                    "remove streaming: false (a stream can only be written with writeStream)",
                )
    return ResolvedPipeline(spec=spec, kind=kind, order=wiring, inputs=read, outputs=written)


def _topological(spec, members, nodes, args, raw, report) -> list[str] | None:
    """Kahn's algorithm, ties broken by the order nodes are listed in the pipeline."""
    deps = {
        name: [r for r in args[name] if r in members] + [d for d in nodes[name].dependencies if d not in args[name]]
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
            return path[path.index(nxt):]
        path.append(nxt)


def _check_across_pipelines(pipelines, inputs, outputs, raw, report, checkpoint_root) -> None:
    used_checkpoints: dict[str, tuple[str, str]] = {}
    for pipeline in pipelines.values():
        if pipeline.kind != "streaming":
            continue
        for w in pipeline.order:
            if not w.streaming:
                continue
            for out in w.outputs:
                spec = outputs[out]
                checkpoint = _normal(checkpoint_of(pipeline.spec.name, spec, checkpoint_root))
                if checkpoint in used_checkpoints:
                    other_pipeline, other_out = used_checkpoints[checkpoint]
                    report.error(
                        "TG501",
                        raw.where(("outputs", out, "checkpoint"), value=True),
                        f"output '{out}' of pipeline '{pipeline.spec.name}' shares checkpoint "
                        f"'{checkpoint}' with output '{other_out}' of pipeline '{other_pipeline}'",
                        "every streaming query needs its own checkpoint folder",
                    )
                used_checkpoints[checkpoint] = (pipeline.spec.name, out)
                for ref in pipeline.inputs:
                    source = inputs[ref]
                    if source.streaming and source.path and spec.path and _overlaps(source.path, spec.path):
                        report.error(
                            "TG502",
                            raw.where(("outputs", out, "path"), value=True),
                            f"streaming output '{out}' writes into '{spec.path}', which input '{ref}' reads",
                            "write to a folder outside the input folder, or the job reads its own output",
                        )
        for ref in pipeline.inputs:
            source = inputs[ref]
            if source.streaming and source.format in FILE_FORMATS and source.schema is None:
                report.warning(
                    "TG503",
                    raw.where(("inputs", ref)),
                    f"input '{ref}' has no schema: the job infers it from the first files it "
                    "sees and pins it beside the checkpoint",
                    f"declare one to make the job's columns reviewable: tauro-gen infer-schema {ref}",
                )


def _normal(path: str) -> str:
    return str(Path(path.rstrip("/")))


def _overlaps(a: str, b: str) -> bool:
    pa, pb = Path(_normal(a)), Path(_normal(b))
    return pa == pb or pa in pb.parents or pb in pa.parents


def _check_code_names(pipeline: ResolvedPipeline, nodes: dict[str, NodeSpec], report: Report) -> None:
    """Two nodes may not bring different definitions under one name into the same job."""
    owner: dict[str, tuple[str, str]] = {}
    for w in pipeline.order:
        code = nodes[w.node].code
        if code is None:
            continue
        for block in code.blocks:
            if block.name in RESERVED_NAMES:
                report.error(
                    "TG308",
                    Location(block.source),
                    f"node '{w.node}': '{block.name}' is a name the generated job uses itself",
                    "rename it in your code",
                )
            previous = owner.get(block.name)
            if previous and previous != (block.source, block.text):
                report.error(
                    "TG308",
                    Location(block.source),
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
                    Location(code.source),
                    f"node '{w.node}': the name '{bound}' is imported from '{ref.target}' but "
                    + (f"the generated job binds it to '{target}'" if target else "also defined elsewhere"),
                    f"import it under another name: import {ref.target} as my_{bound}",
                )


def _check_secrets(raw: RawProject, report: Report) -> None:
    """A literal password in config ends up in a generated file that is committed: refuse."""

    def walk(value: Any, path: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, (str, int)) and not isinstance(item, bool) and SECRET_KEY.search(str(key)):
                    text = str(item)
                    if text and not _only_env_references(text):
                        report.error(
                            "TG601",
                            raw.where(path + (key,), value=True),
                            f"'{key}' holds a literal secret; it would be written into the generated job",
                            f"read it when the job starts: {key}: ${{env:{_env_name(key)}}}",
                        )
                walk(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,))

    for section in ("inputs", "outputs", "nodes"):
        for name, entry in raw.sections[section].items():
            walk(entry, (section, name))


def _only_env_references(text: str) -> bool:
    stripped = REFERENCE.sub(lambda m: "" if ENV_REFERENCE.match(m.group(1).strip()) else m.group(0), text)
    return stripped.strip() == ""


def _env_name(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", str(key)).upper()

