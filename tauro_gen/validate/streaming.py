"""Streaming rules: what Spark refuses (errors) or probably refuses (warnings, where the node
code is read for what it does) when a streaming query starts. Batch and streaming kinds that
contradict what a pipeline reads, output modes per sink, watermarks, continuous triggers,
stream-only sources and sinks, and file sources whose schema is inferred."""

from __future__ import annotations

from .. import schema as schema_mod
from ..diagnostics import did_you_mean
from ..model import (
    FILE_FORMATS,
    InputSpec,
    NodeWiring,
    OutputSpec,
    ResolvedPipeline,
    trigger_of,
)
from .context import Context

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
# Columns of sources whose schema Spark fixes, for the watermark check.
FIXED_COLUMNS = {
    "rate": {"timestamp": "timestamp", "value": "long"},
    "kafka": {"timestamp": "timestamp", "key": "binary", "value": "binary", "topic": "string"},
}
# Keys of an output that only a streaming query reads.
STREAM_ONLY_KEYS = ("output_mode", "trigger", "checkpoint", "query_name")


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def check_stream_inputs(ctx: Context, inputs: dict[str, InputSpec]) -> None:
    """Watermarks on inputs, and sources that only stream."""
    for name, spec in inputs.items():
        path = ("inputs", name)
        label = ctx.label("input", name)
        if spec.watermark is not None:
            _check_watermark_column(ctx, label, path, spec)
        if spec.watermark and not spec.streaming:
            ctx.report.warning(
                "TG213",
                ctx.at(*path, "watermark"),
                f"{label}: 'watermark' has no effect on a batch input",
                "add streaming: true, or remove the watermark",
            )
        if spec.format in STREAM_ONLY_SOURCES and not spec.streaming:
            ctx.report.error(
                "TG512",
                ctx.at(*path, "streaming", value=True),
                f"{label}: the '{spec.format}' source can only be read as a stream",
                "set streaming: true",
            )


def _check_watermark_column(ctx: Context, label: str, path: tuple, spec: InputSpec) -> None:
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
    where = ctx.at(*path, "watermark", "column", value=True)
    if column.lower() not in columns:
        ctx.report.error(
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
        ctx.report.error(
            "TG214",
            where,
            f"{label}: watermark column '{name}' is {schema_mod.type_to_ddl(data_type)}, "
            "but a watermark needs a TIMESTAMP",
            f"declare {name} TIMESTAMP in the schema, or put the watermark in the node: "
            f"df.withColumn('{name}', F.to_timestamp('{name}')).withWatermark(...)",
        )


def check_inferred_schemas(
    ctx: Context, pipeline: ResolvedPipeline, inputs: dict[str, InputSpec]
) -> None:
    """A streaming file source without a schema: the job infers and pins one (TG503)."""
    for ref in pipeline.inputs:
        source = inputs[ref]
        if (
            source.streaming
            and source.format in FILE_FORMATS
            and source.format != "text"
            and source.schema is None
        ):
            ctx.report.warning(
                "TG503",
                ctx.at("inputs", ref),
                f"input '{ref}' has no schema: the job infers it from the first files it "
                "sees and pins it beside the checkpoint",
                "declare one to make the job's columns reviewable: "
                f"tauro-gen infer-schema {ref}",
            )


# --------------------------------------------------------------------------------------------
# Pipelines: declared kinds
# --------------------------------------------------------------------------------------------


def check_declared_kinds(
    ctx: Context,
    pipeline: ResolvedPipeline,
    inputs: dict[str, InputSpec],
    outputs: dict[str, OutputSpec],
) -> bool:
    """A pipeline or output declared batch or streaming agrees with what it reads; False when
    the pipeline cannot be built at all (TG410 on the pipeline)."""
    spec = pipeline.spec
    streams = [i for i in pipeline.inputs if inputs[i].streaming]
    if pipeline.kind == "batch" and streams:
        ctx.report.error(
            "TG410",
            ctx.at("pipelines", spec.name, "type", value=True),
            f"pipeline '{spec.name}' is declared batch but reads streaming input(s) "
            + ", ".join(streams),
            "remove 'type: batch', or set streaming: false on those inputs",
        )
        return False
    if pipeline.kind == "streaming" and not streams:
        ctx.report.warning(
            "TG414",
            ctx.at("pipelines", spec.name, "type", value=True),
            f"pipeline '{spec.name}' is declared streaming but reads no streaming input: "
            "every query in it is a batch query",
            "set streaming: true on its source input(s), or write type: batch",
        )
    if pipeline.kind == "batch" and spec.trigger is not None:
        ctx.report.warning(
            "TG213",
            ctx.at("pipelines", spec.name, "trigger"),
            f"pipeline '{spec.name}': 'trigger' has no effect on a batch pipeline",
            "remove it, or read a streaming input",
        )
    for w in pipeline.order:
        for out in w.outputs:
            declared = outputs[out].streaming
            if declared is True and not w.streaming:
                ctx.report.error(
                    "TG410",
                    ctx.at("outputs", out, "streaming", value=True),
                    f"output '{out}' is declared streaming but node '{w.node}' produces a "
                    "batch DataFrame",
                    "set streaming: true on one of the node's inputs, or remove streaming: true",
                )
            elif declared is False and w.streaming:
                ctx.report.error(
                    "TG410",
                    ctx.at("outputs", out, "streaming", value=True),
                    f"output '{out}' is declared batch but node '{w.node}' produces a streaming "
                    "DataFrame",
                    "remove streaming: false (a stream can only be written with writeStream)",
                )
    return True


# --------------------------------------------------------------------------------------------
# Sinks
# --------------------------------------------------------------------------------------------


def check_sinks(ctx: Context, pipeline: ResolvedPipeline, nodes, inputs, outputs) -> None:
    """What Spark would refuse (errors) or probably refuse (warnings, where we infer from the
    node code what it does) when a sink's query starts."""
    name = pipeline.spec.name
    ops, reads = _upstream(pipeline, nodes)
    for w in pipeline.order:
        for out in w.outputs:
            spec = outputs[out]
            if w.streaming:
                _check_stream_sink(ctx, pipeline, w, spec, ops[w.node], reads[w.node], inputs)
                continue
            label = f"output '{out}'"
            for key in STREAM_ONLY_KEYS:
                if getattr(spec, key) is not None:
                    ctx.report.warning(
                        "TG213",
                        ctx.at("outputs", out, key),
                        f"{label}: '{key}' has no effect: node '{w.node}' produces a batch "
                        f"DataFrame in pipeline '{name}'",
                        "remove it, or read a streaming input",
                    )
            if spec.format in STREAM_ONLY_SINKS:
                ctx.report.error(
                    "TG512",
                    ctx.at("outputs", out, "format", value=True),
                    f"{label}: the '{spec.format}' sink can only be written by a stream, "
                    f"but node '{w.node}' produces a batch DataFrame",
                    "use format console to look at a batch result, or read a stream",
                )


def _upstream(pipeline: ResolvedPipeline, nodes) -> tuple[dict, dict]:
    """For each node: the operations its result went through (its own code's and every node's
    before it), and the inputs it was computed from."""
    ops: dict[str, frozenset[str]] = {}
    reads: dict[str, set[str]] = {}
    for w in pipeline.order:
        code = nodes[w.node].code
        own = set(code.operations) if code else set()
        sources: set[str] = set()
        for ref in w.args:
            if ref in ops:
                own |= ops[ref]
                sources |= reads[ref]
            else:
                sources.add(ref)
        ops[w.node] = frozenset(own)
        reads[w.node] = sources
    return ops, reads


def _check_stream_sink(
    ctx: Context,
    pipeline: ResolvedPipeline,
    w: NodeWiring,
    spec: OutputSpec,
    ops: frozenset[str],
    reads: set[str],
    inputs: dict[str, InputSpec],
) -> None:
    out = spec.name
    label = f"output '{out}'"
    mode = spec.output_mode or "append"
    mode_where = ctx.at("outputs", out, "output_mode", value=True)
    if spec.mode is not None:
        ctx.report.warning(
            "TG213",
            ctx.at("outputs", out, "mode"),
            f"{label}: 'mode' has no effect on a streaming output",
            "a stream's writer takes output_mode: append, update or complete",
        )
    allowed = SINK_OUTPUT_MODES.get(spec.format)
    if allowed and mode not in allowed:
        ctx.report.error(
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
        ctx.report.warning(
            "TG504",
            ctx.at("outputs", out),
            f"{label}: node '{w.node}' seems to aggregate a stream, which Spark refuses in "
            "append mode without a watermark",
            "add watermark: {column: <event time>, delay: 10 minutes} to the input, or use "
            "output_mode: update / complete",
        )
    if mode == "complete" and not aggregates:
        ctx.report.warning(
            "TG506",
            mode_where,
            f"{label}: output_mode complete needs an aggregation, and node '{w.node}' does not "
            "seem to aggregate",
            "use output_mode: append, or aggregate (groupBy(...).agg(...)) in the node",
        )
    if "sort" in ops and not (aggregates and mode == "complete"):
        ctx.report.warning(
            "TG511",
            ctx.at("outputs", out),
            f"{label}: node '{w.node}' seems to sort a stream; Spark sorts a stream only after "
            "an aggregation in complete mode",
            "sort when reading the output instead, or in foreach_batch",
        )
    trigger = trigger_of(pipeline.spec, spec)
    if trigger is not None and trigger.kind == "continuous":
        _check_continuous(ctx, pipeline, w, spec, mode, ops, reads, inputs)


def _check_continuous(ctx, pipeline, w, spec: OutputSpec, mode, ops, reads, inputs) -> None:
    """Continuous processing: Kafka and rate sources, a few sinks, map-like operations."""
    label = f"output '{spec.name}'"
    if spec.trigger is not None:
        trigger_where = ctx.at("outputs", spec.name, "trigger", value=True)
    else:
        trigger_where = ctx.at("pipelines", pipeline.spec.name, "trigger", value=True)
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
        ctx.report.error(
            "TG507",
            trigger_where,
            f"{label}: a continuous trigger does not support " + ", ".join(problems),
            f"continuous processing reads {' and '.join(CONTINUOUS_SOURCES)}, writes "
            f"{', '.join(CONTINUOUS_SINKS)} in append mode; use processing_time otherwise",
        )
    unsupported = sorted(set(ops) & set(CONTINUOUS_UNSUPPORTED_OPS))
    if unsupported:
        ctx.report.warning(
            "TG515",
            trigger_where,
            f"{label}: node '{w.node}' seems to use {', '.join(unsupported)}, which a "
            "continuous trigger does not support",
            "continuous processing runs map-like operations only (select, filter, ...); "
            "use processing_time",
        )
