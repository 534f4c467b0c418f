"""The typed project model that `validate` produces and `plan` consumes.

Every alias and Tauro dialect is already normalised here (one spelling per concept), and every
entry keeps the location it was declared at, so later stages can still point at the user's file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Location
from .jobcode import JOB_IMPORTS, JOB_NAMES
from .nodecode import NodeCode
from .schema import StructType

INPUT_FORMATS = ("csv", "json", "parquet", "orc", "text", "avro", "delta", "kafka", "rate", "table")
OUTPUT_FORMATS = (
    "parquet",
    "csv",
    "json",
    "orc",
    "text",
    "avro",
    "delta",
    "kafka",
    "console",
    "memory",
    "jdbc",
    "table",
    "foreach_batch",
)
FILE_FORMATS = ("csv", "json", "parquet", "orc", "text", "avro")
BATCH_MODES = ("overwrite", "append", "error", "errorifexists", "ignore")
OUTPUT_MODES = ("append", "update", "complete")
TRIGGER_KINDS = ("processing_time", "available_now", "continuous", "once")

# Module-level names a generated job binds itself (its template's and tauro-gen's runtime
# pieces'), and what the names it imports refer to: derived in jobcode.py from the template
# and tauro_gen/runtime/. User code copied into a job keeps its names: where it binds one of
# these, the job's own name yields (plan's job_renames, applied by tauro_gen/rename.py), and
# the names plan makes up (readers, writers, constants, variables) keep clear of both.
RESERVED_NAMES = JOB_NAMES

# A path's scheme and authority ("s3a://bucket"); a path without one is on the local disk.
SCHEME_AND_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/]*")


def is_local_path(path: str) -> bool:
    return path.startswith("file://") or not SCHEME_AND_AUTHORITY.match(path)


SCAFFOLD_IMPORTS = JOB_IMPORTS


@dataclass(frozen=True)
class Trigger:
    kind: str  # one of TRIGGER_KINDS
    interval: str | None = None  # processing_time / continuous only


@dataclass(frozen=True)
class Watermark:
    column: str
    delay: str


@dataclass
class InputSpec:
    name: str
    format: str
    location: Location
    path: str | None = None
    table: str | None = None
    streaming: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    schema: StructType | None = None
    watermark: Watermark | None = None
    row_filter: str | None = None  # a Spark SQL condition on the rows read (`filter:`)
    value_format: str | None = None
    description: str = ""
    # Tauro's `parse_json`: the parsed value's columns beside Kafka's own under their own
    # names (timestamp, topic, partition, offset), as Tauro's reader selects them.
    tauro_kafka_columns: bool = False


@dataclass
class OutputSpec:
    name: str
    format: str
    location: Location
    path: str | None = None
    table: str | None = None
    streaming: bool | None = None
    mode: str | None = None
    output_mode: str | None = None
    partition_by: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    checkpoint: str | None = None
    trigger: Trigger | None = None
    query_name: str | None = None
    foreach_batch: str | None = None
    foreach_module: str | None = None  # Tauro's batch_function: {module, function}
    key_column: str | None = None  # kafka sinks: the message key
    description: str = ""
    foreach_code: NodeCode | None = None  # the foreach_batch function, found and parsed
    # The Tauro streaming node this output is written inline in: Tauro's defaults apply
    # (TAURO_TRIGGER, query name, checkpoint layout, TAURO_SINK_OPTIONS).
    tauro_node: str | None = None
    # A Tauro batch output named schema.sub_folder.table_name: its path is Tauro's layout
    # and its mode Tauro's default (validate.entries.tauro_output_layout).
    tauro_layout: bool = False


@dataclass
class NodeSpec:
    name: str
    function: str | None  # None: a Tauro streaming node without one, passing its input on
    location: Location
    inputs: list[str] | None = None  # None: not written, wired implicitly
    outputs: list[str] | None = None
    dependencies: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    module: str | None = None  # Tauro's `module:` + `function:` spelling
    code: NodeCode | None = None  # resolved function, filled once found and parsed
    # A Tauro streaming node (inline input and output) is called as fn(df, node_config):
    # its config as written, passed when the function takes a positional argument for it.
    tauro_config: dict[str, Any] | None = None
    passes_config: bool = False  # decided once the function is parsed (validate.code)
    # Params Tauro passes a batch node that nobody wrote: start_date / end_date (validate.code)
    tauro_dates: tuple[str, ...] = ()


@dataclass
class PipelineSpec:
    name: str
    nodes: list[str]
    location: Location
    type: str | None = None
    description: str = ""
    spark_conf: dict[str, Any] = field(default_factory=dict)
    trigger: Trigger | None = None
    requires_dates: bool = True  # Tauro: start_date/end_date must be set where passed


@dataclass(frozen=True)
class NodeWiring:
    """How one node is called: its DataFrame arguments (input or node names) and sinks."""

    node: str
    args: tuple[str, ...]
    outputs: tuple[str, ...]
    streaming: bool  # whether the node's result is a streaming DataFrame


@dataclass
class ResolvedPipeline:
    """A pipeline whose wiring is complete: nodes in dependency order, every edge explicit."""

    spec: PipelineSpec
    kind: str  # "streaming" | "batch"
    order: list[NodeWiring]
    inputs: list[str]  # inputs read, in first-use order
    outputs: list[str]  # outputs written, in node order


@dataclass
class Project:
    root: Path
    env: str
    inputs: dict[str, InputSpec]
    outputs: dict[str, OutputSpec]
    nodes: dict[str, NodeSpec]
    pipelines: dict[str, ResolvedPipeline]
    checkpoint_root: str = "checkpoints"
    spark_conf: dict[str, Any] = field(default_factory=dict)


# Tauro's defaults for a streaming node's query (streaming/constants.py of Tauro 0.1.4).
TAURO_TRIGGER = Trigger("processing_time", "10 seconds")
TAURO_SINK_OPTIONS = {
    "console": {"numRows": "20", "truncate": "false"},
    "delta": {"mergeSchema": "true"},
}  # and csv's header row, which every csv reader and writer of a job has (plan)
# Tauro's name for a memory sink's query (and so its table) when no queryName names it.
TAURO_MEMORY_QUERY = "memory_query"
# Tauro's batch CSV writer doubles a quote inside a value (Spark's default escape is \).
TAURO_BATCH_SINK_OPTIONS = {"csv": {"quote": '"', "escape": '"'}}


def checkpoint_of(pipeline: str, out: OutputSpec, checkpoint_root: str) -> str:
    """SPEC 2.4 default: <checkpoint_root>/<pipeline>/<output>. A Tauro node's
    checkpoint_location is a root under which Tauro writes <pipeline>/<node> (and a fresh
    run id, so that it never resumes: left out, as Tauro's documentation promises resuming)."""
    if out.tauro_node and out.checkpoint:
        return f"{out.checkpoint.rstrip('/')}/{pipeline}/{out.tauro_node}"
    return out.checkpoint or f"{checkpoint_root}/{pipeline}/{out.name}"


def query_name_of(pipeline: str, out: OutputSpec) -> str:
    """SPEC 2.4: <pipeline>.<output>; Tauro's node: <pipeline>_<node>, as Tauro names it
    (without its run id). A memory sink's query name is the name of the table it fills,
    where a dot would read as a database, so there it is the output's name alone."""
    if out.query_name:
        return out.query_name
    if out.tauro_node:
        return f"{pipeline}_{out.tauro_node}"
    return out.name if out.format == "memory" else f"{pipeline}.{out.name}"


def trigger_of(pipeline: PipelineSpec, out: OutputSpec) -> Trigger | None:
    """The output's trigger, else the pipeline's, else Tauro's 10 s for a Tauro node (None:
    Spark's default, the next micro-batch as soon as the previous ends)."""
    trigger = out.trigger or pipeline.trigger
    if trigger is None and out.tauro_node:
        return TAURO_TRIGGER
    return trigger
