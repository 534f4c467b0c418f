"""The machine-readable manifest of a generated job: build/<pipeline>.manifest.json.

This module is the one definition of the manifest: the dataclasses below, how they are
written (`to_json`) and read (`from_json`), and how they are derived from a job's `JobPlan`
(`manifest_of`, never from the rendered text). It says what a reviewer and `tauro-gen diff`
need to judge whether a change keeps a streaming query's checkpoint usable: each query's
sources, sink, checkpoint, trigger, output mode, the stateful operators of the code that feeds
it, the session settings, and digests of everything else; and, in its fingerprint, what made
the job's text besides the plan, so that a build can reuse a job that nothing changed.

The JSON is deterministic: keys in the order of the dataclass fields, two-space indent, lists
of plain values on one line, a final newline. Values read from the environment at start-up
appear as their `${env:NAME}` reference, never a value. A manifest of an unknown version, or
one with a missing or mistyped key, is a `ManifestError` naming the file and the key.
"""

from __future__ import annotations

import hashlib
import json
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache
from pathlib import Path
from typing import Any

from . import __version__
from . import schema as schema_mod
from .model import Trigger as PlanTrigger
from .model import Watermark as PlanWatermark
from .nodecode import Operation
from .plan import EnvValue, JobPlan

# 2: `fingerprint` added. Version 1 manifests (the same without it) are still read, so
# `tauro-gen diff --against` an older build works.
MANIFEST_VERSION = 2
READABLE_VERSIONS = (1, 2)
SUFFIX = ".manifest.json"


class ManifestError(ValueError):
    """A manifest that cannot be read: not JSON, another format version, a key missing or of
    the wrong type. The message names the file and the key."""


# --------------------------------------------------------------------------------------------
# The manifest
# --------------------------------------------------------------------------------------------

# How a field is written (and read back): omitted when None; only in streaming (or batch)
# sinks; its own fields written into the enclosing object.
OPTIONAL = {"omit_none": True}
STREAMING_ONLY = {"only": True}
BATCH_ONLY = {"only": False}
FLATTENED = {"flatten": True}


@dataclass(frozen=True)
class Fingerprint:
    """What made the job's text besides its plan: a job in build/ is reused only when all of
    it, and the plan's digest, are what they would be now."""

    tauro_gen: str
    black: str
    templates_sha256: str
    runtime_sha256: str
    renderer_sha256: str  # the modules that turn a plan into text (see generate.py)


@dataclass(frozen=True)
class Digests:
    plan: str  # everything in the job's plan (JobPlan.digest)
    script_sha256: str | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class Watermark:
    column: str
    delay: str


@dataclass(frozen=True)
class Trigger:
    kind: str  # processing_time | continuous | available_now | once
    interval: str | None


@dataclass(frozen=True)
class Source:
    name: str
    format: str
    streaming: bool
    path: str | None
    table: str | None
    options: dict[str, Any]
    schema: str | None  # DDL (or the JSON form when DDL cannot say it)
    schema_pinned_at: str | None  # where a streaming file source keeps its inferred schema
    watermark: Watermark | None
    value_format: str | None = field(default=None, metadata=OPTIONAL)  # Kafka: "json"


@dataclass(frozen=True)
class Operator:
    """A stateful (or other) operator call in node code, with what defines its state."""

    kind: str  # aggregation | deduplication | join | arbitrary_state | limit | ...
    operation: str  # the method called
    keys: str | None = field(default=None, metadata=OPTIONAL)  # aggregations
    aggregates: str | None = field(default=None, metadata=OPTIONAL)
    join_type: str | None = field(default=None, metadata=OPTIONAL)  # joins
    on: str | None = field(default=None, metadata=OPTIONAL)
    arguments: str | None = field(default=None, metadata=OPTIONAL)  # the others


@dataclass(frozen=True)
class Node:
    name: str
    function: str | None  # None: a Tauro node without a function, its input passed on
    inputs: tuple[str, ...]
    streaming: bool
    params: dict[str, Any]
    code_sha256: str | None  # the function and every copied block it uses
    operations: tuple[str, ...]
    stateful: tuple[Operator, ...]


@dataclass(frozen=True)
class QueryOperator:
    """A stateful operator of the code that feeds a query, and the node it is in."""

    node: str
    operator: Operator = field(metadata=FLATTENED)


@dataclass(frozen=True)
class Lineage:
    streaming_sources: tuple[str, ...]
    static_sources: tuple[str, ...]
    nodes: tuple[str, ...]  # dependency order


@dataclass(frozen=True)
class ForeachBatch:
    function: str
    code_sha256: str | None


@dataclass(frozen=True)
class Sink:
    name: str
    streaming: bool
    format: str
    kind: str  # stream | jdbc_batches | foreach_batch | batch
    path: str | None
    table: str | None
    options: dict[str, Any]
    partition_by: tuple[str, ...]
    # A streaming sink is a query:
    query_name: str | None = field(default=None, metadata=STREAMING_ONLY)
    checkpoint: str | None = field(default=None, metadata=STREAMING_ONLY)
    output_mode: str | None = field(default=None, metadata=STREAMING_ONLY)
    trigger: Trigger | None = field(default=None, metadata=STREAMING_ONLY)
    kafka_key: str | None = field(default=None, metadata={**STREAMING_ONLY, **OPTIONAL})
    lineage: Lineage | None = field(default=None, metadata=STREAMING_ONLY)
    stateful_operators: tuple[QueryOperator, ...] = field(default=(), metadata=STREAMING_ONLY)
    foreach_batch: ForeachBatch | None = field(
        default=None, metadata={**STREAMING_ONLY, **OPTIONAL}
    )
    # A batch sink has a save mode:
    mode: str | None = field(default=None, metadata=BATCH_ONLY)


@dataclass(frozen=True)
class Manifest:
    manifest_version: int
    generator: str
    pipeline: str
    env: str
    kind: str  # streaming | batch
    script: str
    digests: Digests
    fingerprint: Fingerprint | None = field(metadata=OPTIONAL)  # None: a version 1 manifest
    spark_conf: dict[str, Any]
    sizes_shuffle_partitions: bool
    env_vars: tuple[str, ...]
    packages: tuple[str, ...]
    sources: tuple[Source, ...]
    nodes: tuple[Node, ...]
    sinks: tuple[Sink, ...]

    def queries(self) -> list[Sink]:
        """The streaming sinks: one query each."""
        return [sink for sink in self.sinks if sink.streaming]


def manifest_path(script_path: str) -> str:
    """build/x.py -> build/x.manifest.json."""
    return script_path[:-3] + SUFFIX if script_path.endswith(".py") else script_path + SUFFIX


def manifest_files(jobs, root: Path | None = None) -> dict[Path, str]:
    """{path: text} of the manifests of generated jobs (GeneratedJob objects), to write
    beside their scripts; `root` is the project root the job paths are relative to."""
    base = Path(root) if root is not None else Path(".")
    return {base / manifest_path(job.path): job.manifest for job in jobs}


# --------------------------------------------------------------------------------------------
# Writing and reading
# --------------------------------------------------------------------------------------------


def to_json(manifest: Manifest) -> str:
    """The manifest's bytes (see the module docstring)."""
    return _dump(to_plain(manifest), 0) + "\n"


def to_plain(value: Any) -> Any:
    """A manifest object as JSON values (dicts in field order, lists for tuples)."""
    if is_dataclass(value):
        plain: dict[str, Any] = {}
        for spec in fields(value):
            item = getattr(value, spec.name)
            if "only" in spec.metadata and spec.metadata["only"] != value.streaming:
                continue
            if spec.metadata.get("omit_none") and item is None:
                continue
            if spec.metadata.get("flatten"):
                plain.update(to_plain(item))
            else:
                plain[spec.name] = to_plain(item)
        return plain
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    return value


def _dump(value: Any, depth: int) -> str:
    if isinstance(value, dict) and value:
        pad = "  " * (depth + 1)
        items = [f"{pad}{json.dumps(str(k))}: {_dump(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        pad = "  " * (depth + 1)
        items = [f"{pad}{_dump(v, depth + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * depth + "]"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def from_json(text: str, where: str) -> Manifest:
    """The manifest in `text` (read from `where`, named in every error)."""
    return _checked(where, lambda data: _read(Manifest, data, ""), text)


def read_digests(text: str, where: str) -> tuple[Digests, Fingerprint | None]:
    """Only the digests and the fingerprint of the manifest in `text`, checked as
    `from_json` checks them: what a build compares to reuse a job."""

    def read(data: dict) -> tuple[Digests, Fingerprint | None]:
        if "digests" not in data:
            raise _Invalid("the manifest has no 'digests'")
        fingerprint = _value(Fingerprint | None, data.get("fingerprint"), "fingerprint")
        return _read(Digests, data["digests"], "digests"), fingerprint

    return _checked(where, read, text)


def _checked(where: str, read, text: str):
    """`read(data)` of the JSON in `text`, once its format version is one this reads."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ManifestError(f"{where}: not a tauro-gen manifest ({exc})") from None
    if not isinstance(data, dict) or "manifest_version" not in data:
        raise ManifestError(f"{where}: not a tauro-gen manifest (no manifest_version)")
    version = data["manifest_version"]
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise ManifestError(
            f"{where}: manifest version {version!r} is not supported by this tauro-gen "
            f"({MANIFEST_VERSION}); rebuild both sides with the same tauro-gen"
        )
    if version >= 2 and "fingerprint" not in data:
        raise ManifestError(f"{where}: no 'fingerprint'; rebuild it with tauro-gen build")
    try:
        return read(data)
    except _Invalid as exc:
        raise ManifestError(
            f"{where}: {exc}; not a manifest tauro-gen wrote: rebuild it with tauro-gen build"
        ) from None


class _Invalid(Exception):
    pass


_JSON_NAMES = {str: "a string", bool: "true or false", int: "an integer", dict: "an object"}


def _read(cls: type, data: Any, path: str, whole: bool = True) -> Any:
    """An instance of dataclass `cls` from JSON `data`, every key checked (`whole`: `data`
    holds nothing else)."""
    if not isinstance(data, dict):
        raise _Invalid(f"{path or 'the manifest'} is not an object")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    used: set[str] = set()
    for spec in fields(cls):
        where = f"{path}.{spec.name}" if path else spec.name
        if spec.metadata.get("flatten"):
            values[spec.name] = _read(hints[spec.name], data, path, whole=False)
            used |= {f.name for f in fields(hints[spec.name])}
            continue
        if "only" in spec.metadata and spec.metadata["only"] != data.get("streaming"):
            if spec.name in data:
                raise _Invalid(f"{where}: not expected here")
            continue
        if spec.name not in data:
            if spec.metadata.get("omit_none"):
                values[spec.name] = None
                continue
            raise _Invalid(f"{path or 'the manifest'} has no {spec.name!r}")
        values[spec.name] = _value(hints[spec.name], data[spec.name], where)
        used.add(spec.name)
    unknown = sorted(set(data) - used)
    if whole and unknown:
        raise _Invalid(f"{path or 'the manifest'} has an unknown key {unknown[0]!r}")
    return cls(**values)


def _value(hint: Any, value: Any, path: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # X | None
        (kind,) = [a for a in args if a is not type(None)]
        return None if value is None else _value(kind, value, path)
    if is_dataclass(hint):
        return _read(hint, value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise _Invalid(f"{path}: expected a list, got {_json_type(value)}")
        return tuple(_value(args[0], item, f"{path}[{n}]") for n, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise _Invalid(f"{path}: expected an object, got {_json_type(value)}")
        return value
    if hint is Any:
        return value
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise _Invalid(f"{path}: expected {_JSON_NAMES[hint]}, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", list: "a list", dict: "an object"}.get(type(value), "a value")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


# --------------------------------------------------------------------------------------------
# From a job's plan
# --------------------------------------------------------------------------------------------


def manifest_of(
    plan: JobPlan, source: str | None = None, fingerprint: Fingerprint | None = None
) -> Manifest:
    """The manifest of one job; `source` (the generated text) adds its digest, `fingerprint`
    what made the text besides the plan."""
    sources = {s.var: s for s in plan.sources}
    nodes = {n.result: n for n in plan.nodes}
    streaming_vars = {s.var for s in plan.sources if s.streaming}
    for node in plan.nodes:  # plan.nodes are in dependency order
        if any(arg in streaming_vars for arg in node.args):
            streaming_vars.add(node.result)

    node_entries = [_node_entry(n, sources, nodes, streaming_vars) for n in plan.nodes]
    by_name = {entry.name: entry for entry in node_entries}
    sinks = []
    for sink in plan.sinks:
        sinks.append(_sink_entry(sink, sources, nodes, by_name))
    script_sha256 = hashlib.sha256(source.encode()).hexdigest() if source is not None else None
    return Manifest(
        manifest_version=MANIFEST_VERSION,
        generator=f"tauro-gen {__version__}",
        pipeline=plan.pipeline,
        env=plan.env,
        kind=plan.kind,
        script=plan.script_path,
        digests=Digests(plan=plan.digest, script_sha256=script_sha256),
        fingerprint=fingerprint,
        spark_conf={setting.key: _json_value(setting.value) for setting in plan.spark_conf},
        sizes_shuffle_partitions=plan.sizes_state_partitions,
        env_vars=tuple(plan.env_names),
        packages=tuple(plan.packages),
        sources=tuple(_source_entry(s) for s in plan.sources),
        nodes=tuple(node_entries),
        sinks=tuple(sinks),
    )


def _json_value(value: Any) -> Any:
    """A plan value as JSON: `${env:...}` stays a reference, tuples become lists."""
    if isinstance(value, EnvValue):
        return value.template
    if isinstance(value, PlanTrigger):
        return to_plain(_trigger(value))
    if isinstance(value, PlanWatermark):
        return {"column": value.column, "delay": value.delay}
    if isinstance(value, schema_mod.StructType):
        return _ddl(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _ddl(struct: schema_mod.StructType) -> str:
    try:
        return schema_mod.to_ddl(struct)
    except (schema_mod.SchemaError, TypeError):  # DDL cannot say it: the JSON form can
        return json.dumps(schema_mod.to_json(struct), sort_keys=True)


def _trigger(trigger: PlanTrigger | None) -> Trigger | None:
    if trigger is None:
        return None
    return Trigger(trigger.kind, trigger.interval)


def _options(options) -> dict[str, Any]:
    return {str(k): _json_value(v) for k, v in options}


def _source_entry(source) -> Source:
    watermark = source.watermark
    return Source(
        name=source.name,
        format=source.format,
        streaming=source.streaming,
        path=_json_value(source.path),
        table=_json_value(source.table),
        options=_options(source.options),
        schema=_ddl(source.schema) if source.schema is not None else None,
        schema_pinned_at=source.schema_store if source.pin_schema else None,
        watermark=Watermark(watermark.column, watermark.delay) if watermark else None,
        value_format="json" if getattr(source, "kafka_json", False) else None,
    )


def _sink_entry(sink, sources, nodes, node_entries: dict[str, Node]) -> Sink:
    common = dict(
        name=sink.name,
        streaming=sink.streaming,
        format=sink.format,
        kind=getattr(sink, "kind", "stream" if sink.streaming else "batch"),
        path=_json_value(sink.path),
        table=_json_value(sink.table),
        options=_options(sink.options),
        partition_by=tuple(sink.partition_by),
    )
    if not sink.streaming:
        return Sink(**common, mode=sink.mode)
    lineage_nodes, lineage_sources = _lineage(sink.var, sources, nodes)
    foreach = getattr(sink, "foreach_function", None)
    return Sink(
        **common,
        query_name=sink.query_name,
        checkpoint=sink.checkpoint,
        output_mode=sink.output_mode,
        trigger=_trigger(sink.trigger),
        kafka_key=getattr(sink, "kafka_key", None) or None,
        lineage=Lineage(
            streaming_sources=tuple(s.name for s in lineage_sources if s.streaming),
            static_sources=tuple(s.name for s in lineage_sources if not s.streaming),
            nodes=tuple(n.name for n in lineage_nodes),
        ),
        stateful_operators=tuple(
            QueryOperator(n.name, op) for n in lineage_nodes for op in node_entries[n.name].stateful
        ),
        foreach_batch=(
            ForeachBatch(foreach, sink.foreach_code.code_sha256 if sink.foreach_code else None)
            if foreach
            else None
        ),
    )


def _node_entry(node, sources, nodes, streaming_vars) -> Node:
    streaming_args = sum(1 for arg in node.args if arg in streaming_vars)
    summary = node.summary
    operations = summary.operations if summary else ()
    stateful = []
    if node.result in streaming_vars:
        for op in operations:
            if not op.stateful:
                continue
            if op.kind == "join" and streaming_args < 2:
                continue  # a stream-static join keeps no state
            stateful.append(_operator(op))
    return Node(
        name=node.name,
        function=node.function,
        inputs=tuple(_entry_name(arg, sources, nodes) for arg in node.args),
        streaming=node.result in streaming_vars,
        params={k: _json_value(v) for k, v in node.params},
        code_sha256=summary.code_sha256 if summary else None,
        operations=tuple(sorted({op.kind for op in operations})),
        stateful=tuple(stateful),
    )


def _operator(op: Operation) -> Operator:
    return Operator(op.kind, op.method, op.keys, op.aggregates, op.join_type, op.on, op.arguments)


def _entry_name(var: str, sources, nodes) -> str:
    if var in sources:
        return sources[var].name
    if var in nodes:
        return nodes[var].name
    return var


def _lineage(var: str, sources, nodes) -> tuple[list, list]:
    """Nodes (dependency order) and sources (first-use order) a DataFrame is computed from."""
    seen_nodes: list = []
    seen_sources: list = []

    def visit(v: str) -> None:
        if v in sources:
            if sources[v] not in seen_sources:
                seen_sources.append(sources[v])
            return
        node = nodes.get(v)
        if node is None or node in seen_nodes:
            return
        for arg in node.args:
            visit(arg)
        seen_nodes.append(node)

    visit(var)
    return seen_nodes, seen_sources
