"""What each query must have to itself, across every pipeline of the project: its checkpoint
(TG501), a streaming file sink's folder (TG513) and, within a job, its query name (TG519); and
folders a query writes that something reads (TG502, TG514, TG518)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..model import (
    SCHEME_AND_AUTHORITY,
    InputSpec,
    OutputSpec,
    ResolvedPipeline,
    checkpoint_of,
    query_name_of,
)
from .connectors import PATH_FORMATS
from .context import Context


@dataclass
class _Claims:
    """Checkpoints and streaming sink folders taken so far: folder -> (pipeline, output)."""

    checkpoints: dict[str, tuple[str, str]] = field(default_factory=dict)
    sink_folders: dict[str, tuple[str, str]] = field(default_factory=dict)


def check_query_places(
    ctx: Context,
    pipelines: dict[str, ResolvedPipeline],
    inputs: dict[str, InputSpec],
    outputs: dict[str, OutputSpec],
    checkpoint_root: str,
) -> None:
    claims = _Claims()
    for pipeline in pipelines.values():
        name = pipeline.spec.name
        streamed = [i for i in pipeline.inputs if inputs[i].streaming]
        for w in pipeline.order:
            for out in w.outputs:
                spec = outputs[out]
                if not w.streaming:
                    _check_batch_overwrite(ctx, pipeline, spec, inputs)
                    continue
                checkpoint = normal_path(checkpoint_of(name, spec, checkpoint_root))
                _claim_checkpoint(ctx, claims, name, spec, checkpoint)
                if spec.path and spec.format in PATH_FORMATS:
                    _claim_sink_folder(ctx, claims, name, spec, checkpoint)
                for ref in streamed:
                    _check_stream_reads_apart(ctx, spec, checkpoint, ref, inputs[ref])


def _check_batch_overwrite(ctx: Context, pipeline, spec: OutputSpec, inputs) -> None:
    if spec.mode != "overwrite" or not spec.path:
        return
    for ref in pipeline.inputs:
        source = inputs[ref]
        if source.path and _overlaps(source.path, spec.path):
            ctx.report.error(
                "TG502",
                ctx.at("outputs", spec.name, "path", value=True),
                f"output '{spec.name}' overwrites '{spec.path}', which input '{ref}' of "
                f"pipeline '{pipeline.spec.name}' reads",
                "Spark refuses to overwrite a folder it reads from; write somewhere else",
            )


def _claim_checkpoint(
    ctx: Context, claims: _Claims, pipeline: str, spec: OutputSpec, checkpoint: str
) -> None:
    if checkpoint in claims.checkpoints:
        other_pipeline, other_out = claims.checkpoints[checkpoint]
        ctx.report.error(
            "TG501",
            ctx.at("outputs", spec.name, "checkpoint", value=True),
            f"output '{spec.name}' of pipeline '{pipeline}' shares checkpoint "
            f"'{checkpoint}' with output '{other_out}' of pipeline '{other_pipeline}'",
            "every streaming query needs its own checkpoint folder",
        )
    claims.checkpoints.setdefault(checkpoint, (pipeline, spec.name))


def _claim_sink_folder(
    ctx: Context, claims: _Claims, pipeline: str, spec: OutputSpec, checkpoint: str
) -> None:
    """A streaming file sink's folder holds its commit log: one writer only."""
    out = spec.name
    target = normal_path(spec.path)
    other = claims.sink_folders.get(target)
    if other and other != (pipeline, out):
        ctx.report.error(
            "TG513",
            ctx.at("outputs", out, "path", value=True),
            f"streaming output '{out}' of pipeline '{pipeline}' writes into "
            f"'{spec.path}', like output '{other[1]}' of pipeline '{other[0]}'",
            "a streaming file sink has one writer (its _spark_metadata log); "
            "give each query its own folder",
        )
    claims.sink_folders.setdefault(target, (pipeline, out))
    if _overlaps_inside(checkpoint, spec.path):
        ctx.report.warning(
            "TG518",
            ctx.at("outputs", out, "checkpoint", value=True),
            f"output '{out}': checkpoint '{checkpoint}' is inside the folder "
            "the query writes, so readers of that folder see checkpoint files",
            "keep checkpoints outside data folders",
        )


def _check_stream_reads_apart(
    ctx: Context, spec: OutputSpec, checkpoint: str, ref: str, source: InputSpec
) -> None:
    """A streaming query reading a folder must not write into it, nor keep its checkpoint
    there: it would read its own output."""
    out = spec.name
    if source.path and spec.path and _overlaps(source.path, spec.path):
        ctx.report.error(
            "TG502",
            ctx.at("outputs", out, "path", value=True),
            f"streaming output '{out}' writes into '{spec.path}', which input '{ref}' reads",
            "write to a folder outside the input folder, or the job reads its own output",
        )
    if source.path and source.format in PATH_FORMATS and _overlaps_inside(checkpoint, source.path):
        ctx.report.error(
            "TG514",
            ctx.at("outputs", out, "checkpoint", value=True),
            f"output '{out}': checkpoint '{checkpoint}' is inside the folder "
            f"'{source.path}' that input '{ref}' reads",
            "keep checkpoints outside the folders a stream reads",
        )


def check_query_names(
    ctx: Context, pipeline: ResolvedPipeline, outputs: dict[str, OutputSpec]
) -> None:
    """Spark refuses to start a second active query under a name already running (TG519)."""
    name = pipeline.spec.name
    query_names: dict[str, str] = {}
    for w in pipeline.order:
        if not w.streaming:
            continue
        for out in w.outputs:
            spec = outputs[out]
            query = query_name_of(name, spec)
            if query in query_names:
                ctx.report.error(
                    "TG519",
                    ctx.at("outputs", out, "query_name", value=True),
                    f"output '{out}': query name '{query}' is also the name of output "
                    f"'{query_names[query]}' in pipeline '{name}'",
                    "Spark refuses to start a second active query with the same name; "
                    "give each its own query_name",
                )
            query_names.setdefault(query, out)
            if spec.format == "memory" and not MEMORY_TABLE_NAME.fullmatch(query):
                written = ("query_name",) if spec.query_name else ()
                if spec.tauro_node and "queryName" in ctx.raw.sections["outputs"][out].get(
                    "options", {}
                ):
                    written = ("options", "queryName")
                ctx.report.error(
                    "TG520",
                    ctx.at("outputs", out, *written, value=bool(written)),
                    f"{ctx.label('output', out)}: the memory sink's query name '{query}' names its "
                    "in-memory table, and Spark refuses it as a table name when the query "
                    "starts",
                    "use letters, digits and _, starting with a letter or _: query_name: "
                    + (re.sub(r"\W", "_", query, flags=re.ASCII).lstrip("0123456789") or "table"),
                )


# What Spark's createOrReplaceTempView takes as a memory sink's table: one unquoted identifier
# (measured: `tick-table`, `ticks.out`, `é`, `123`, `1e5` refused; a leading digit followed by
# a letter is accepted, refused here too, on the safe side).
MEMORY_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def normal_path(path: str) -> str:
    """One spelling per folder, for every overlap check: `data/output/../input/` is
    `data/input` (posixpath.normpath; `..` is taken literally, as Hadoop's paths do, not
    through symlinks); a scheme and authority (s3a://bucket) are kept."""
    text = str(path).removeprefix("file://")
    scheme = SCHEME_AND_AUTHORITY.match(text)
    prefix = scheme.group(0) if scheme else ""
    rest = text[len(prefix) :]
    return prefix + posixpath.normpath(rest or "/")


def _overlaps(a: str, b: str) -> bool:
    pa, pb = Path(normal_path(a)), Path(normal_path(b))
    return pa == pb or pa in pb.parents or pb in pa.parents


def _overlaps_inside(inner: str, outer: str) -> bool:
    pi, po = Path(normal_path(inner)), Path(normal_path(outer))
    return pi == po or po in pi.parents
