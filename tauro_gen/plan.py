"""Stage 3 — plan: decide everything about one generated job, as plain data.

A `JobPlan` is what the template lays out: which sources to read and how, which node functions
to call with which DataFrames, which sinks to start with which checkpoint and trigger, which
code is copied in (the user's, and the runtime pieces of tauro_gen/runtime/ the job calls).
All naming, defaults and feature decisions are made here, as flags and lists, so the template
stays a layout: loops over plan lists, ifs over plan flags. Imports are not planned: render
derives them from the names the laid-out code uses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, is_dataclass, replace
from typing import Any

from . import __version__, jobcode, packages
from . import schema as schema_mod
from .identifiers import identifier_for
from .load import ENV_REFERENCE, REFERENCE
from .model import (
    RESERVED_NAMES,
    SCAFFOLD_IMPORTS,
    TAURO_BATCH_SINK_OPTIONS,
    TAURO_SINK_OPTIONS,
    InputSpec,
    OutputSpec,
    Project,
    ResolvedPipeline,
    Trigger,
    Watermark,
    checkpoint_of,
    is_local_path,
    query_name_of,
    trigger_of,
)
from .nodecode import SHUFFLE_KINDS, CodeBlock, CodeSummary, ImportRef, summarize


@dataclass(frozen=True)
class EnvValue:
    """A string with `${env:NAME}` references, filled in by the job when it starts."""

    template: str
    names: tuple[str, ...]
    required: tuple[str, ...]  # the names that have no `:-default`


@dataclass(frozen=True)
class Name:
    """A name of the job's own code (a local variable, a constant) where a value could be:
    rendered as the identifier, never as a literal."""

    identifier: str


Value = Any  # a plain Python literal value, EnvValue, or Name


@dataclass(frozen=True)
class Source:
    name: str
    var: str  # its DataFrame: a parameter of transform()
    reader: str  # function that returns the DataFrame
    const: str  # prefix of its module-level constants
    format: str
    streaming: bool
    path: Value | None
    table: Value | None
    options: tuple[tuple[str, Value], ...]
    schema: schema_mod.StructType | None
    pin_schema: bool  # streaming file source without a declared schema
    schema_store: str | None
    create_dir: bool  # a local folder the job may create before watching it
    watermark: Watermark | None
    row_filter: str | None  # `.filter()` on the rows read (after a Kafka value's parsing)
    kafka_json: bool  # Kafka value parsed from JSON into the schema's columns
    # ...beside Kafka's own columns: (column, the name it keeps, cast to a string)
    kafka_columns: tuple[tuple[str, str, bool], ...]
    summary: str
    reader_format: str | None  # `.format()` of the reader (None: a table, read by name)
    schema_const: str | None  # the module constant holding the declared schema
    reader_schema: Name | None  # what `.schema()` gets (None: the source's own schema)
    pin_options: Value  # the options pinned_schema infers with: Name("options") or {}
    load_method: str  # "load" | "table"
    load_args: tuple[Value, ...]
    post_read: bool  # the DataFrame read is parsed (Kafka JSON) or watermarked, then returned


@dataclass(frozen=True)
class NodeCall:
    name: str
    function: str | None  # None: a Tauro node without a function, its input passed on
    result: str  # variable holding its DataFrame
    args: tuple[str, ...]  # variables passed positionally
    params: tuple[tuple[str, Value], ...]
    node_config: Value | None  # Tauro's fn(df, node_config): the node's config, positional
    description: str
    # What its code does (nodecode's one analysis, with these params), for the manifest.
    # Derived from the code and params above: left out of the plan's digest.
    summary: CodeSummary | None = None


@dataclass(frozen=True)
class Sink:
    name: str
    var: str  # DataFrame variable written
    writer: str
    const: str
    format: str
    streaming: bool
    path: Value | None
    table: Value | None
    options: tuple[tuple[str, Value], ...]
    mode: str | None  # batch save mode
    output_mode: str | None  # streaming output mode
    partition_by: tuple[str, ...]
    checkpoint: str | None
    trigger: Trigger | None
    query_name: str | None
    counts_rows: bool  # observe a row count per batch (not supported by continuous triggers)
    kind: str  # "stream" | "jdbc_batches" | "foreach_batch" | "batch"
    kafka_key: str | None  # Kafka sinks: the column sent as the message key
    foreach_function: str | None  # foreach_batch sinks: the user's function
    summary: str
    to_kafka: bool  # rows sent as JSON messages (and an optional key)
    writer_format: str | None  # `.format()` of the writer (None: a table, or foreachBatch)
    writer_options: tuple[tuple[str, Value], ...]  # `.option()`s of the writer itself
    jdbc_batches: bool  # each micro-batch appended by append_jdbc_batch(options)
    batch_function: str | None  # what `.foreachBatch()` calls
    save_method: str  # "start" | "toTable" (streaming), "save" | "saveAsTable" (batch)
    save_args: tuple[Value, ...]
    # foreach_batch sinks: what the function's code does (as NodeCall.summary; not digested)
    foreach_code: CodeSummary | None = None


@dataclass(frozen=True)
class CodeSection:
    source: str
    texts: tuple[str, ...]
    # Where each text starts in `source`: for the job's source map, not part of the job
    # (left out of the plan's digest: moving code down a file changes no job).
    lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class RuntimeCode:
    """The pieces of tauro_gen/runtime/ a job calls, with what they need."""

    entries: tuple[str, ...]  # what the template's code calls
    sections: tuple[CodeSection, ...]  # copied, grouped by runtime module
    names: tuple[str, ...]  # every top-level name the copied blocks define
    imports: tuple[ImportRef, ...]
    job_names: tuple[str, ...]  # what the pieces take from the job (PIPELINE, log...)


@dataclass(frozen=True)
class SchemaConstant:
    name: str
    schema: schema_mod.StructType


@dataclass(frozen=True)
class SessionSetting:
    key: str
    value: Value
    why: str | None  # set for a default tauro-gen adds, printed above it; None: the user's


@dataclass(frozen=True)
class JobPlan:
    pipeline: str
    env: str
    version: str
    digest: str
    kind: str  # streaming | batch
    streaming: bool
    description: str
    app_name: str
    script_path: str  # where the job is written, relative to the project
    build_command: str  # the tauro-gen command that rewrites it
    spark_conf: tuple[SessionSetting, ...]
    session_notes: tuple[str, ...]  # why the job's session has the defaults tauro-gen added
    schemas: tuple[SchemaConstant, ...]  # declared schemas, as module constants
    sources: tuple[Source, ...]
    nodes: tuple[NodeCall, ...]
    sinks: tuple[Sink, ...]
    stream_sinks: tuple[Sink, ...]  # the sinks started as queries
    batch_sinks: tuple[Sink, ...]  # the sinks written once
    code: tuple[CodeSection, ...]  # the user's code, copied in
    code_names: tuple[str, ...]  # top-level names the user's code defines
    code_imports: tuple[ImportRef, ...]  # the imports it needs
    runtime: RuntimeCode
    # The job's own module-level names (template, runtime, imports) that the user's code
    # binds too: (name, the job's new name). The user's code keeps its names.
    job_renames: tuple[tuple[str, str], ...]
    env_names: tuple[str, ...]  # environment variables read at start-up
    required_env: tuple[str, ...]  # those without a default: the job refuses to start without
    pins_schema: bool
    sizes_state_partitions: bool  # see _sizes_state_partitions
    packages: tuple[str, ...]  # Maven coordinates for --packages
    run_command: str

    @property
    def defined_names(self) -> tuple[str, ...]:
        """The top-level names of the job that the plan makes up per pipeline."""
        return (
            *(s.reader for s in self.sources),
            *(s.writer for s in self.sinks),
            *(c.name for c in self.schemas),
        )


# Spark's CSV reader and writer default to no header; Tauro projects (and the tutorial) write
# CSV with a header row, so we default to one. `options: {header: false}` turns it off.
FORMAT_DEFAULT_OPTIONS = {"csv": {"header": "true"}}
# Kafka's columns kept beside a JSON value's: prefixed, so that no column of the value hides
# one; Tauro's parse_json keeps four under their own names.
KAFKA_COLUMNS = (
    ("key", "kafka_key", True),
    ("topic", "kafka_topic", False),
    ("partition", "kafka_partition", False),
    ("offset", "kafka_offset", False),
    ("timestamp", "kafka_timestamp", False),
)
TAURO_KAFKA_COLUMNS = tuple((c, c, False) for c in ("timestamp", "topic", "partition", "offset"))


def plan_job(project: Project, pipeline_name: str, script_path: str) -> JobPlan:
    """The complete plan of one pipeline's job."""
    pipeline = project.pipelines[pipeline_name]
    namer = _Namer(project, pipeline)
    sources = tuple(_source(project, pipeline, project.inputs[n], namer) for n in pipeline.inputs)
    nodes = tuple(_node_call(project, w, namer) for w in pipeline.order)
    sinks = []
    for w in pipeline.order:
        for out in w.outputs:
            sinks.append(
                _sink(
                    project, pipeline, project.outputs[out], namer.var(w.node), w.streaming, namer
                )
            )
    sinks_t = tuple(sinks)
    user_codes = _user_code(project, pipeline)
    user_blocks = [block for code in user_codes for block in code.blocks]
    user_conf = {str(k): v for k, v in {**project.spark_conf, **pipeline.spec.spark_conf}.items()}
    settings = {
        **_session_defaults(sources, sinks, pipeline.kind == "streaming"),
        **{key: (value, None) for key, value in user_conf.items()},
    }
    spark_conf_t = tuple(
        SessionSetting(key, _value(value), why) for key, (value, why) in settings.items()
    )
    env_values = list(_walk_values((sources, nodes, sinks_t, spark_conf_t)))
    env_names = sorted({n for item in env_values for n in item.names})
    required_env = sorted({n for item in env_values for n in item.required})
    pins = any(s.pin_schema for s in sources)
    sizes = _sizes_state_partitions(project, pipeline, user_conf)
    streaming = pipeline.kind == "streaming"
    packages = _packages(project, pipeline)
    command = (
        "spark-submit " + (f"--packages {','.join(packages)} " if packages else "") + script_path
    )
    entries = _runtime_entries(
        streaming, pins, sizes, any(s.jdbc_batches for s in sinks_t), bool(env_names)
    )
    plan = JobPlan(
        pipeline=pipeline_name,
        env=project.env,
        version=__version__,
        digest="",
        kind=pipeline.kind,
        streaming=streaming,
        description=pipeline.spec.description,
        app_name=f"tauro-gen:{pipeline_name}",
        script_path=script_path,
        build_command=f"tauro-gen build --pipeline {pipeline_name}"
        + ("" if project.env == "base" else f" --env {project.env}"),
        spark_conf=spark_conf_t,
        session_notes=tuple(dict.fromkeys(s.why for s in spark_conf_t if s.why)),
        schemas=tuple(SchemaConstant(s.schema_const, s.schema) for s in sources if s.schema_const),
        sources=sources,
        nodes=nodes,
        sinks=sinks_t,
        stream_sinks=tuple(s for s in sinks_t if s.streaming),
        batch_sinks=tuple(s for s in sinks_t if not s.streaming),
        code=_code_sections(user_blocks),
        code_names=tuple(dict.fromkeys(b.name for b in user_blocks)),
        code_imports=tuple(dict.fromkeys(i for code in user_codes for i in code.imports)),
        runtime=_runtime(entries),
        job_renames=(),
        env_names=tuple(env_names),
        required_env=tuple(required_env),
        pins_schema=pins,
        sizes_state_partitions=sizes,
        packages=packages,
        run_command=command,
    )
    plan = replace(plan, job_renames=_job_renames(user_codes, plan.defined_names))
    return _with_digest(plan)


def _runtime_entries(
    streaming: bool, pins: bool, sizes: bool, jdbc_batches: bool, uses_env: bool
) -> tuple[str, ...]:
    """The runtime pieces the template's code calls for these flags (render checks that it
    calls exactly these); what they use themselves comes along."""
    entries = ["StopRequest", "run_until_stopped"] if streaming else []
    if pins:
        entries += ["NoInputYet", "pinned_schema"]
    if sizes:
        entries.append("size_shuffle_partitions")
    if jdbc_batches:
        entries.append("append_jdbc_batch")
    if uses_env:
        entries += ["env", "require_env"]
    return tuple(entries)


def _runtime(entries: tuple[str, ...]) -> RuntimeCode:
    copied = jobcode.collect_runtime(entries)
    return RuntimeCode(
        entries=entries,
        sections=_code_sections(copied.blocks),
        names=tuple(b.name for b in copied.blocks),
        imports=copied.imports,
        job_names=copied.job_names,
    )


def _with_digest(plan: JobPlan) -> JobPlan:
    """Digest of everything that shapes the job, except tauro-gen's own code (the version
    says which: the runtime it copies in, the template) and the digest itself."""
    data = _plain(plan)
    data.pop("digest")
    data.pop("version")
    data.pop("runtime")
    if not data["job_renames"]:  # the usual case: the digests of jobs without any stay
        data.pop("job_renames")
    for section in data["code"]:
        section.pop("lines")
    for node in data["nodes"]:
        node.pop("summary")
    for sink in (*data["sinks"], *data["stream_sinks"], *data["batch_sinks"]):
        sink.pop("foreach_code")
    text = json.dumps(data, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return JobPlan(**{**{f: getattr(plan, f) for f in plan.__dataclass_fields__}, "digest": digest})


def _plain(value: Any) -> Any:
    if is_dataclass(value):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


class _Namer:
    """Python names for a job: readable, valid, unique, and clear of the user's own names."""

    def __init__(self, project: Project, pipeline: ResolvedPipeline):
        taken = set(RESERVED_NAMES) | set(SCAFFOLD_IMPORTS)
        for code in _user_code(project, pipeline):
            taken |= {b.name for b in code.blocks} | {i.bound for i in code.imports}
        self.module_names = taken
        self.vars: dict[str, str] = {}
        self.used_vars: set[str] = set()
        self.funcs: set[str] = set()
        self.consts: set[str] = set()

    def func(self, prefix: str, name: str) -> str:
        base = f"{prefix}_{identifier_for(name)}"
        candidate, n = base, 2
        while candidate in self.module_names or candidate in self.funcs:
            candidate, n = f"{base}_{n}", n + 1
        self.funcs.add(candidate)
        return candidate

    def const(self, name: str) -> str:
        base = identifier_for(identifier_for(name).upper()).lstrip("_") or "VALUE"
        candidate, n = base, 2
        # Its schema constant is <CONST>_SCHEMA: that name must be free too.
        while {candidate, f"{candidate}_SCHEMA"} & (self.consts | self.module_names):
            candidate, n = f"{base}_{n}", n + 1
        self.consts.add(candidate)
        return candidate

    def var(self, entry: str) -> str:
        if entry not in self.vars:
            base = identifier_for(entry)
            candidate = base
            if candidate in self.module_names or candidate in self.funcs or candidate == "spark":
                candidate = f"{base}_df"
            n = 2
            while candidate in self.used_vars:
                candidate, n = f"{base}_{n}", n + 1
            self.used_vars.add(candidate)
            self.vars[entry] = candidate
        return self.vars[entry]


def _job_renames(user_codes: list, plan_names: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """The job's module-level names that yield to the user's: each name the job defines or
    imports that the user's copied code binds too (unless both import the same thing) gets
    the first of `name_`, `name_2`, ... that nothing in the job uses."""
    user_names = {b.name for code in user_codes for b in code.blocks}
    user_imports = {i.bound: i.target for code in user_codes for i in code.imports}
    job_names = set(RESERVED_NAMES) | set(SCAFFOLD_IMPORTS)
    clashes = (job_names & user_names) | {
        name
        for name, target in user_imports.items()
        if name in job_names and SCAFFOLD_IMPORTS.get(name) != target
    }
    taken = set(jobcode.JOB_WORDS) | user_names | set(user_imports) | set(plan_names)
    renames = []
    for name in sorted(clashes):
        candidate, n = f"{name}_", 2
        while candidate in taken:
            candidate, n = f"{name}_{n}", n + 1
        taken.add(candidate)
        renames.append((name, candidate))
    return tuple(renames)


def _user_code(project: Project, pipeline: ResolvedPipeline) -> list:
    """The parsed user code a job copies in: node functions, then foreach_batch functions."""
    codes = [project.nodes[w.node].code for w in pipeline.order]
    codes += [project.outputs[o].foreach_code for o in pipeline.outputs]
    return [c for c in codes if c is not None]


def _packages(project: Project, pipeline: ResolvedPipeline) -> tuple[str, ...]:
    """Connector jars for `spark-submit --packages`, from the formats the job uses."""
    formats = {project.inputs[i].format for i in pipeline.inputs}
    formats |= {project.outputs[o].format for o in pipeline.outputs}
    found = set()
    if "kafka" in formats:
        found.add(packages.kafka())
    if "avro" in formats:
        found.add(packages.avro())
    if "delta" in formats:
        found.add(packages.delta())
    for out in pipeline.outputs:
        spec = project.outputs[out]
        driver = (
            packages.jdbc_driver(str(spec.options.get("url", "")))
            if spec.format == "jdbc"
            else None
        )
        if driver:
            found.add(driver[0])
    return tuple(sorted(found))


# Parquet's INT96 timestamps (Spark's default) are deprecated in the format; other readers
# (pyarrow, DuckDB, Trino...) expect the standard TIMESTAMP(MICROS) logical type, which Spark
# reads back identically. bench/RESULTS.md, section b, shows what each reader sees.
PARQUET_TIMESTAMPS = {"spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS"}
PARQUET_TIMESTAMPS_WHY = (
    "Parquet timestamps as TIMESTAMP(MICROS), the type other readers expect (Spark's default,"
    " INT96, is deprecated)."
)
PARQUET_WRITERS = ("parquet", "delta")


# Under spark-submit Spark logs ~190 INFO lines for a small job, and draws progress bars, around
# the job's own few lines (bench/RESULTS.md, section e). WARN still shows every problem.
QUIET_LOGS = {"spark.log.level": "WARN", "spark.ui.showConsoleProgress": "false"}
QUIET_LOGS_WHY = "Spark's log at WARN and no progress bars: the job's own lines stand out."
# Spark runs streaming queries without adaptive query execution, warning at each start
# unless it is off in the session. A foreachBatch function's micro-batch, though, is planned
# with the session's setting (measured on 4.2: AdaptiveSparkPlan in foreachBatch), so a job
# with a foreachBatch sink keeps it.
NO_STREAMING_AQE = {"spark.sql.adaptive.enabled": "false"}
NO_STREAMING_AQE_WHY = (
    "Adaptive query execution off: Spark runs streaming queries without it anyway, and"
    " warns at each start when it is on."
)


def _session_defaults(sources, sinks, streaming: bool) -> dict[str, tuple[Any, str]]:
    """The settings tauro-gen adds to a job's session, each with why (a user's spark_conf
    still wins, key by key). Batch jobs, and streaming jobs whose foreachBatch micro-batches
    run batch work, keep adaptive query execution."""
    groups = [(QUIET_LOGS, QUIET_LOGS_WHY)]
    if streaming and not any(s.batch_function for s in sinks):
        groups.append((NO_STREAMING_AQE, NO_STREAMING_AQE_WHY))
    if any(s.format == "delta" for s in (*sources, *sinks)):
        groups.append((dict(packages.DELTA_CONF), "Delta Lake's SQL extension and catalog."))
    if any(s.format in PARQUET_WRITERS for s in sinks):
        groups.append((PARQUET_TIMESTAMPS, PARQUET_TIMESTAMPS_WHY))
    return {key: (value, why) for settings, why in groups for key, value in settings.items()}


def _sizes_state_partitions(project, pipeline, user_conf) -> bool:
    """A streaming job whose nodes shuffle (aggregate, deduplicate, join) sizes
    spark.sql.shuffle.partitions to its cores at start-up, unless the project sets it."""
    if pipeline.kind != "streaming" or "spark.sql.shuffle.partitions" in user_conf:
        return False
    codes = [project.nodes[w.node].code for w in pipeline.order]
    return any(SHUFFLE_KINDS & c.operations for c in codes if c is not None)


def _value(value: Any) -> Value:
    """Config value → what the job holds: a literal, or an EnvValue filled in at start-up."""
    if isinstance(value, str):
        refs = [
            m
            for ref in REFERENCE.finditer(value)
            if (m := ENV_REFERENCE.match(ref.group(1).strip()))
        ]
        if refs:
            names = tuple(m.group(1) for m in refs)
            return EnvValue(value, names, tuple(m.group(1) for m in refs if m.group(2) is None))
        return value.replace("$${", "${")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, list):  # node params may be lists and mappings, kept as such
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    return str(value)  # e.g. a YAML date: the job receives the text as written


def _option_value(value: Any) -> Value:
    """Reader/writer options as Spark sees them: strings (true → "true", 10 → "10")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return _value(value)


def _options(fmt: str, options: dict[str, Any]) -> tuple[tuple[str, Value], ...]:
    merged = {**FORMAT_DEFAULT_OPTIONS.get(fmt, {}), **{str(k): v for k, v in options.items()}}
    if fmt == "jdbc" and "driver" not in merged:
        # Spark finds a driver for a write by URL but not always for a read (as the JDBC
        # sink's replay check does); naming it is what a careful engineer does anyway.
        driver = packages.jdbc_driver(str(merged.get("url", "")))
        if driver:
            merged["driver"] = driver[1]
    return tuple((k, _option_value(v)) for k, v in merged.items())


def _source(project: Project, pipeline: ResolvedPipeline, spec: InputSpec, namer: _Namer) -> Source:
    file_based = spec.format in ("csv", "json", "parquet", "orc", "text", "avro")
    pin = spec.streaming and file_based and spec.schema is None and spec.format != "text"
    where = spec.path or spec.table or spec.format
    kind = "stream of" if spec.streaming else "batch read of"
    const = namer.const(spec.name)
    options = _options(spec.format, spec.options)
    kafka_json = spec.format == "kafka" and spec.value_format == "json"
    schema_const = f"{const}_SCHEMA" if spec.schema is not None else None
    if pin:
        reader_schema = Name("schema")  # pinned_schema's, see the reader
    elif schema_const and not kafka_json:
        reader_schema = Name(schema_const)
    else:
        reader_schema = None  # Kafka's own columns; its value is parsed with the schema
    create_dir = bool(
        spec.streaming
        and file_based
        and spec.path
        and is_local_path(spec.path)
        and "${" not in spec.path
    )
    if spec.table:
        load_method, load_args = "table", (_value(spec.table),)
    else:
        load_method, load_args = "load", (Name("path"),) if spec.path else ()
    return Source(
        name=spec.name,
        var=namer.var(spec.name),
        reader=namer.func("read", spec.name),
        const=const,
        format=spec.format,
        streaming=spec.streaming,
        path=_value(spec.path) if spec.path else None,
        table=_value(spec.table) if spec.table else None,
        options=options,
        schema=spec.schema,
        pin_schema=pin,
        schema_store=(
            f"{project.checkpoint_root}/{pipeline.spec.name}/_schemas/{spec.name}" if pin else None
        ),
        create_dir=create_dir,
        watermark=spec.watermark,
        row_filter=spec.row_filter,
        kafka_json=kafka_json,
        kafka_columns=(
            (TAURO_KAFKA_COLUMNS if spec.tauro_kafka_columns else KAFKA_COLUMNS)
            if kafka_json
            else ()
        ),
        summary=spec.description or _source_summary(spec, kind, file_based, where),
        reader_format=None if spec.format == "table" else spec.format,
        schema_const=schema_const,
        reader_schema=reader_schema,
        pin_options=Name("options") if options else {},
        load_method=load_method,
        load_args=load_args,
        post_read=kafka_json or spec.watermark is not None,
    )


def _source_summary(spec: InputSpec, kind: str, file_based: bool, where: str) -> str:
    if spec.format == "kafka":
        topics = spec.options.get("subscribe") or spec.options.get("subscribePattern") or "?"
        return f"{kind} Kafka topic(s) {topics}"
    return f"{kind} {spec.format} {'files in ' if file_based else ''}{where}"


def _node_call(project: Project, wiring, namer: _Namer) -> NodeCall:
    node = project.nodes[wiring.node]
    return NodeCall(
        name=node.name,
        function=node.code.function if node.code else None,
        result=namer.var(node.name),
        args=tuple(namer.var(ref) for ref in wiring.args),
        params=tuple((str(k), _value(v)) for k, v in node.params.items()),
        node_config=_value(node.tauro_config) if node.passes_config else None,
        description=node.description,
        summary=(
            summarize(node.code, {str(k): v for k, v in node.params.items()}) if node.code else None
        ),
    )


def _sink(project, pipeline, spec: OutputSpec, var: str, streaming: bool, namer: _Namer) -> Sink:
    trigger = trigger_of(pipeline.spec, spec)
    file_based = spec.format in ("csv", "json", "parquet", "orc", "text", "avro")
    where = spec.path or spec.table or spec.options.get("topic") or spec.format
    if not streaming:
        kind = "batch"
    elif spec.format == "jdbc":
        kind = "jdbc_batches"
    elif spec.format == "foreach_batch":
        kind = "foreach_batch"
    else:
        kind = "stream"
    path = _value(spec.path) if spec.path else None
    table = _value(spec.table) if spec.table else None
    options = _options(spec.format, _with_tauro_defaults(spec))
    # A jdbc or foreach_batch sink writes through foreachBatch: the writer has no format,
    # options or path of its own.
    own_writer = kind in ("stream", "batch")
    batch_function = {
        "jdbc_batches": "write_batch",  # the writer's own, around append_jdbc_batch
        "foreach_batch": spec.foreach_code.function if spec.foreach_code else None,
    }.get(kind)
    if streaming:
        save_method = "toTable" if table is not None else "start"
    else:
        save_method = "saveAsTable" if table is not None else "save"
    if table is not None:
        save_args: tuple[Value, ...] = (table,)
    elif path is not None and own_writer:
        save_args = (path,)
    else:
        save_args = ()
    return Sink(
        name=spec.name,
        var=var,
        writer=namer.func("write", spec.name),
        const=namer.const(spec.name),
        format=spec.format,
        streaming=streaming,
        path=path,
        table=table,
        options=options,
        mode=None if streaming else (spec.mode or "error"),
        output_mode=(spec.output_mode or "append") if streaming else None,
        partition_by=tuple(spec.partition_by),
        checkpoint=_checkpoint(pipeline, spec, project, streaming),
        trigger=trigger if streaming else None,
        query_name=query_name_of(pipeline.spec.name, spec) if streaming else None,
        counts_rows=streaming and (trigger is None or trigger.kind != "continuous"),
        kind=kind,
        kafka_key=spec.key_column if spec.format == "kafka" else None,
        foreach_function=spec.foreach_code.function if spec.foreach_code else None,
        foreach_code=summarize(spec.foreach_code) if spec.foreach_code else None,
        summary=spec.description or _sink_summary(spec, file_based, where),
        to_kafka=spec.format == "kafka",
        writer_format=spec.format if own_writer and spec.format != "table" else None,
        writer_options=options if own_writer else (),
        jdbc_batches=kind == "jdbc_batches",
        batch_function=batch_function,
        save_method=save_method,
        save_args=save_args,
    )


def _with_tauro_defaults(spec: OutputSpec) -> dict[str, Any]:
    """A Tauro output's options over Tauro's defaults for its format: a streaming node's
    inline output, or a batch output Tauro lays out."""
    if spec.tauro_node:
        return {**TAURO_SINK_OPTIONS.get(spec.format, {}), **spec.options}
    if spec.tauro_layout:
        return {**TAURO_BATCH_SINK_OPTIONS.get(spec.format, {}), **spec.options}
    return spec.options


def _checkpoint(pipeline, spec: OutputSpec, project: Project, streaming: bool) -> str | None:
    """Every streaming query has its own checkpoint, except a memory sink: Spark cannot
    restore one from a checkpoint (outside complete mode) and its table is gone with the
    process anyway, so it runs on a temporary checkpoint that a restart does not reuse."""
    if not streaming or (spec.format == "memory" and not spec.checkpoint):
        return None
    return checkpoint_of(pipeline.spec.name, spec, project.checkpoint_root)


def _sink_summary(spec: OutputSpec, file_based: bool, where: str) -> str:
    if file_based:
        return f"{spec.format} files in {where}"
    return {
        "kafka": f"JSON messages to Kafka topic {where}",
        "jdbc": f"JDBC table {spec.options.get('dbtable', '?')}, each micro-batch exactly once",
        "memory": f"the in-memory table {spec.query_name or spec.name}",
        "console": "the console",
        "foreach_batch": f"{spec.foreach_batch}(df, batch_id) for every micro-batch",
        "table": f"table {spec.table}",
        "delta": f"Delta table {where}",
    }.get(spec.format, f"{spec.format} {where}")


def _code_sections(copied: Iterable[CodeBlock]) -> tuple[CodeSection, ...]:
    """Copied code grouped by source file, each file's blocks in that file's order.

    Files are ordered so that what a file needs at import time (a constant, a base class)
    comes from a file placed before it; otherwise by first use.
    """
    blocks: dict[tuple[str, int], CodeBlock] = {}
    for block in copied:  # one block per statement: a name may be bound by several
        blocks.setdefault((block.source, block.line), block)
    files = list(dict.fromkeys(b.source for b in blocks.values()))
    needs = {
        f: {s for b in blocks.values() if b.source == f for s, _ in b.needs} - {f} for f in files
    }
    ordered: list[str] = []
    while files:
        ready = [f for f in files if needs[f] <= set(ordered)] or files[:1]  # a cycle: keep order
        ordered.append(ready[0])
        files.remove(ready[0])
    sections = []
    for source in ordered:
        in_file = sorted((b for b in blocks.values() if b.source == source), key=lambda b: b.line)
        sections.append(
            CodeSection(
                source, tuple(b.text for b in in_file), tuple(b.start or b.line for b in in_file)
            )
        )
    return tuple(sections)


def _walk_values(value: Any):
    """Every EnvValue inside a plan fragment."""
    if isinstance(value, EnvValue):
        yield value
    elif is_dataclass(value):
        for f in value.__dataclass_fields__:
            yield from _walk_values(getattr(value, f))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk_values(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk_values(item)


def job_path(pipeline: str, env: str, out_dir: str = "build") -> str:
    """SPEC 4: build/<pipeline>.py, or build/<env>/<pipeline>.py outside the base env."""
    return f"{out_dir}/{pipeline}.py" if env == "base" else f"{out_dir}/{env}/{pipeline}.py"
