"""`tauro-gen dry-run`: Spark's own analysis of each pipeline's job, on empty inputs.

What runs is the job `build` writes, generated in memory: its module is executed as it is,
each reader is called with a stand-in session whose reads return empty DataFrames of the
schema the job reads with (no data is read, no broker, database or table is contacted), then
`transform` calls the node functions exactly as the job does, and each streaming output is
started once against Spark's no-op sink with its output mode, `availableNow` and a
checkpoint in a temporary folder, so that what Spark checks only when a query starts is
checked too. Nothing is written outside that folder.

Besides the session its readers get, two of the job's names are given stand-ins in its
namespace, and only these: `os` (whose `makedirs` creates no input folder) and
`pinned_schema` (the schema pinned beside the checkpoints, if there is one, never an
inference). The pipeline's settings that change analysis (case sensitivity, ANSI mode, time
zone) apply to the shared session while it is analyzed.

Errors carry Spark's own first line (its error class, and its suggestion for a misspelt
column) and point at the line of the user's node code that made the failing call, through
the job's source map; what fails outside node code points at the config entry involved.
For each streaming output, the stateful operators of Spark's analyzed plan are compared with
tauro-gen's reading of the node code (the manifest's), and a difference is reported.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import sys
import tempfile
import traceback
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diagnostics import Location, Report, one_line
from .model import Project
from .plan import JobPlan, Sink, Source

if TYPE_CHECKING:
    from .generate import GeneratedJob

LOG4J = Path(__file__).with_name("dryrun_log4j2.properties")
QUERY_TIMEOUT_S = 120


@dataclass(frozen=True)
class AnalyzedOutput:
    """An output as Spark analyzed it."""

    pipeline: str
    output: str
    streaming: bool
    schema: str  # Spark's DDL of the analyzed columns
    columns: tuple[tuple[str, str, bool], ...]  # (name, type, nullable)


@dataclass
class DryRun:
    report: Report = field(default_factory=Report)
    outputs: list[AnalyzedOutput] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # pipelines analyzed to the end
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {
                "diagnostics": [d.as_json() for d in self.report.sorted()],
                "checked": self.checked,
                "skipped": self.skipped,
                "outputs": [
                    {
                        "pipeline": o.pipeline,
                        "output": o.output,
                        "streaming": o.streaming,
                        "schema": o.schema,
                        "columns": [
                            {"name": n, "type": t, "nullable": null} for n, t, null in o.columns
                        ],
                    }
                    for o in self.outputs
                ],
            },
            indent=2,
        )


def dry_run(project: Project, pipelines: list[str], spark: Any = None) -> DryRun:
    """Analyze these pipelines' jobs with Spark. `spark`: a session to use (tests share
    one); by default a quiet local one is started and stopped."""
    from .generate import generate
    from .jobcheck import JobRefused

    result = DryRun()
    try:
        jobs = generate(project, pipelines)
    except JobRefused as refused:
        result.report.extend(Report(refused.diagnostics))
        return result
    with (
        _session(spark) as session,
        _pyspark_error_logs_off(),
        # What node code prints goes to stderr: stdout is dry-run's report (JSON for tools).
        contextlib.redirect_stdout(sys.stderr),
        tempfile.TemporaryDirectory(prefix="tauro-dry-") as tmp,
    ):
        for job in jobs:
            _Pipeline(project, job, session, Path(tmp) / job.pipeline).run(result)
    return result


# pyspark logs each error it raises with a DataFrame or SQL context, as JSON with the Java
# stack trace, on loggers of their own (pyspark.errors.exceptions.base); dry-run reports it.
PYSPARK_ERROR_LOGGERS = ("DataFrameQueryContextLogger", "SQLQueryContextLogger")


@contextmanager
def _pyspark_error_logs_off() -> Iterator[None]:
    # pyspark's own logger class (it takes keyword fields): a plain logging.getLogger would
    # register these names as plain loggers, and pyspark's next error would fail to log.
    from pyspark.logger import PySparkLogger

    loggers = [PySparkLogger.getLogger(name) for name in PYSPARK_ERROR_LOGGERS]
    before = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, disabled in zip(loggers, before):
            logger.disabled = disabled


@contextmanager
def _session(spark: Any) -> Iterator[Any]:
    if spark is not None:
        yield spark
        return
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.errors import PySparkRuntimeError
    from pyspark.sql import SparkSession

    with tempfile.TemporaryDirectory(prefix="tauro-dry-session-") as scratch:
        try:
            session = _local_session(SparkSession, scratch)
        except PySparkRuntimeError as error:  # JAVA_GATEWAY_EXITED: no Java, or a broken one
            raise SparkUnavailable(
                f"dry-run could not start Spark ({_first_line(error)}); it needs Java 17 or "
                "newer on PATH or in JAVA_HOME, as spark-submit does"
            ) from None
        try:
            yield session
        finally:
            session.stop()


class SparkUnavailable(Exception):
    """A local Spark session could not start (the CLI says why, exit 2)."""


def _local_session(session_class: Any, scratch: str) -> Any:
    """Quiet (Spark logs nothing: dry-run reports), one core, nothing outside `scratch`."""
    return (
        session_class.builder.master("local[1]")
        .appName("tauro-gen dry-run")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
        .config("spark.local.dir", scratch)
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{LOG4J}")
        .getOrCreate()
    )


class _Pipeline:
    """One pipeline's job, executed on stand-ins and analyzed."""

    def __init__(self, project: Project, job: GeneratedJob, spark: Any, tmp: Path):
        from .manifest import from_json
        from .render import render_job
        from .sourcemap import carry_over, map_sections

        self.project = project
        self.plan: JobPlan = job.plan
        self.source = job.source  # the job's text, as `build` writes it
        # What build, diff and the manifest know of each query, from the node code alone.
        self.manifest = from_json(job.manifest, job.path)
        self.spark = spark
        self.tmp = tmp  # this pipeline's scratch folder: empty inputs, checkpoints
        self.name = job.plan.pipeline
        self.namespace: dict[str, Any] = {}
        # Where each line of the job comes from in the user's files. The map is made on
        # the text as rendered (copied code verbatim), then carried through black.
        rendered = "".join(piece.text for piece in render_job(self.plan))
        self.origins = carry_over(map_sections(rendered, self.plan.code), rendered, self.source)

    def run(self, result: DryRun) -> None:
        before = result.report.error_count
        try:
            with self._sql_settings():
                self._analyze_all(result)
        except _Skip as skip:
            result.report.warning(
                skip.code,
                skip.location,
                f"pipeline '{self.name}' not analyzed: {skip.message}",
                skip.hint,
            )
            result.skipped.append(self.name)
            return
        except _Failed as failed:
            result.report.error(failed.code, failed.location, failed.message, failed.hint)
        if result.report.error_count == before:
            result.checked.append(self.name)

    @contextmanager
    def _sql_settings(self) -> Iterator[None]:
        """The pipeline's settings that change what analysis accepts (ANALYSIS_SETTINGS), on
        the shared session while it is analyzed. Not the others: a catalog or extension
        class set there (Delta's) needs the jars dry-run does without."""
        conf = self.spark.conf
        changed: list[tuple[str, str | None]] = []
        for setting in self.plan.spark_conf:
            value = setting.value
            if not _changes_analysis(setting.key) or not isinstance(value, (str, bool, int, float)):
                continue  # ${env:…} values are the cluster's business
            text = str(value).lower() if isinstance(value, bool) else str(value)
            try:
                previous = conf.get(setting.key, None)
                conf.set(setting.key, text)
            except Exception:  # noqa: BLE001, S112 — a static setting: fixed at session start
                continue
            changed.append((setting.key, previous))
        try:
            yield
        finally:
            for key, previous in reversed(changed):
                if previous is None:
                    conf.unset(key)
                else:
                    conf.set(key, previous)

    def _analyze_all(self, result: DryRun) -> None:
        """The job's module loaded, its readers called, `transform`, each output analyzed."""
        namespace = self._module()
        frames = [self._read(namespace, source) for source in self.plan.sources]
        outputs = self._transform(namespace, frames)
        for sink in self.plan.stream_sinks + self.plan.batch_sinks:
            analyzed = self._analyze(sink, outputs[sink.name], result.report)
            if analyzed is not None:
                result.outputs.append(analyzed)

    # -- the job's module -----------------------------------------------------------------

    def _job_name(self, name: str) -> str:
        """A name of the job's own, as the job spells it (it yields to the user's names)."""
        return dict(self.plan.job_renames).get(name, name)

    def _module(self) -> dict[str, Any]:
        namespace: dict[str, Any] = {"__name__": f"tauro_gen_dry_run.{self.name}"}
        namespace["__file__"] = self.plan.script_path
        try:
            exec(compile(self.source, self.plan.script_path, "exec"), namespace)  # noqa: S102
        except (Exception, SystemExit) as error:  # noqa: BLE001 — the node code's own statements
            raise self._in_code(error, "the job's module does not load") from None
        namespace[self._job_name("os")] = _NoFolders()
        namespace[self._job_name("pinned_schema")] = self._pinned_schema
        self.namespace = namespace
        return namespace

    # -- readers ----------------------------------------------------------------------------

    def _read(self, namespace: dict[str, Any], source: Source) -> Any:
        session = _StandInSession(self, source)
        reader = namespace[self._job_name(source.reader)]
        try:
            if source.pin_schema:
                return reader(session, None, False)
            return reader(session)
        except _Failed:  # a _Skip from the stand-ins
            raise
        except Exception as error:  # noqa: BLE001 — Spark's answer about this input
            spec = self.project.inputs[source.name]
            raise _Failed(
                "TG703",
                spec.location,
                f"input '{source.name}': Spark refuses how the job reads it: "
                f"{_first_line(error)}",
                "check the input's filter, watermark and value schema against its columns",
            ) from None

    def _pinned_schema(self, spark, fmt, path, options, store, stop, wait):  # noqa: ARG002
        from pyspark.errors import AnalysisException
        from pyspark.sql.types import StructType

        source = next(s for s in self.plan.sources if s.schema_store == store)
        where = store if "://" in store or os.path.isabs(store) else str(self.project.root / store)
        hint = (
            "declare the input's `schema:` (tauro-gen infer-schema writes it), or run the job "
            "once so that it pins one"
        )
        try:
            stored = self.spark.read.text([where, where]).first()
        except AnalysisException:  # PATH_NOT_FOUND, as in the job
            stored = None
        except Exception as error:  # noqa: BLE001 — a store dry-run cannot reach from here
            raise _Skip(
                self.project.inputs[source.name].location,
                f"input '{source.name}' declares no schema and its pinned one in {store} "
                f"cannot be read here ({_first_line(error)})",
                hint,
            ) from None
        if stored is None:
            raise _Skip(
                self.project.inputs[source.name].location,
                f"input '{source.name}' declares no schema and none is pinned in {store} yet "
                "(dry-run never infers one from data)",
                hint,
            )
        return StructType.fromJson(json.loads(stored.value))

    def empty_frame(self, source: Source, streaming: bool, fmt: str | None, schema: Any, options):
        from pyspark.sql.types import StructType

        # What the reader gave, else what the format fixes, else the declared schema (the
        # job's constant of it: a Delta or catalog read takes its columns from the table).
        schema = _schema_read(fmt, schema, options)
        if schema is None and source.schema_const:
            schema = self.namespace[self._job_name(source.schema_const)]
        if schema is None:
            raise _Skip(
                self.project.inputs[source.name].location,
                f"the columns of input '{source.name}' ({fmt or 'table'}) come from the data "
                "or the catalog, which dry-run does not read",
                "declare the input's `schema:` to analyze this pipeline",
            )
        if isinstance(schema, str):
            schema = StructType.fromDDL(schema)
        if not streaming:
            return self.spark.createDataFrame([], schema)
        folder = self.tmp / "inputs" / source.name
        folder.mkdir(parents=True, exist_ok=True)
        return self.spark.readStream.schema(schema).parquet(str(folder))

    # -- transform --------------------------------------------------------------------------

    def _transform(self, namespace: dict[str, Any], frames: list[Any]) -> dict[str, Any]:
        try:
            return namespace[self._job_name("transform")](*frames)
        except (Exception, SystemExit) as error:  # noqa: BLE001 — Spark's or Python's answer
            raise self._in_code(error, "Spark refuses the node code") from None

    def _in_code(self, error: BaseException, what: str) -> _Failed:
        """The error located at the innermost line of the user's code it went through."""
        frames = traceback.extract_tb(error.__traceback__)
        in_job = [f for f in frames if f.filename == self.plan.script_path]
        node = self._node_of(in_job)
        reason = _first_line(error)
        spark_error = _is_spark_error(error)
        for frame in reversed(in_job):
            where = self.origins.origin(frame.lineno, getattr(frame, "colno", None))
            if where is not None:
                who = f"node '{node.name}'" if node else f"pipeline '{self.name}'"
                return _Failed(
                    "TG701" if spark_error else "TG705",
                    where,
                    f"{who}: {what}: {reason}" if spark_error else f"{who}: {reason}",
                    (
                        "fix the call on this line; dry-run ran it on empty inputs with the "
                        "schemas the job reads with"
                        if spark_error
                        else "the node code raised this while the job built its DataFrames"
                    ),
                )
        pipeline = self.project.pipelines[self.name].spec
        return _Failed(
            "TG705",
            node.location if node else pipeline.location,
            f"pipeline '{self.name}': {what}: {reason}",
            "see the pipeline's nodes and their functions",
        )

    def _node_of(self, in_job: list) -> Any:
        """The node whose function the error went through: the frame below `transform`."""
        names = [frame.name for frame in in_job]
        transform = self._job_name("transform")
        if transform not in names or names.index(transform) + 1 >= len(names):
            return None
        function = names[names.index(transform) + 1]
        for call in self.plan.nodes:
            if call.function == function:
                return self.project.nodes[call.name]
        return None

    # -- outputs ----------------------------------------------------------------------------

    def _analyze(self, sink: Sink, df: Any, report: Report) -> AnalyzedOutput | None:
        from pyspark.sql import DataFrame

        spec = self.project.outputs[sink.name]
        if not isinstance(df, DataFrame):
            producer = next((n for n in self.plan.nodes if n.result == sink.var), None)
            node = self.project.nodes[producer.name] if producer else None
            report.error(
                "TG705",
                node.location if node else spec.location,
                f"output '{sink.name}' gets {type(df).__name__} from "
                + (f"node '{node.name}'" if node else "its node")
                + ", not a DataFrame",
                "return the DataFrame from the node's function",
            )
            return None
        try:
            schema = df.schema
            missing = [c for c in sink.partition_by if c not in df.columns]
            if missing:
                report.error(
                    "TG702",
                    spec.location,
                    f"output '{sink.name}': partition column(s) {', '.join(missing)} not in "
                    f"the result (columns: {', '.join(df.columns)})",
                    "partition by columns the last node returns",
                )
                return None
            if sink.kafka_key and sink.kafka_key not in df.columns:
                report.error(
                    "TG702",
                    spec.location,
                    f"output '{sink.name}': key_column '{sink.kafka_key}' not in the result "
                    f"(columns: {', '.join(df.columns)})",
                    "name a column the last node returns",
                )
                return None
            if sink.streaming:
                self._compare_state(sink, df, report)
                self._start(sink, df)
        except _Failed as failed:
            report.error(failed.code, failed.location, failed.message, failed.hint)
            return None
        except Exception as error:  # noqa: BLE001 — Spark's answer about this output
            report.error(
                "TG702",
                spec.location,
                f"output '{sink.name}': Spark refuses the query: {_first_line(error)}",
                _query_hint(sink, error),
            )
            return None
        return AnalyzedOutput(
            self.name,
            sink.name,
            sink.streaming,
            schema.toDDL(),
            tuple((f.name, f.dataType.simpleString(), f.nullable) for f in schema.fields),
        )

    def _compare_state(self, sink: Sink, df: Any, report: Report) -> None:
        """Spark's analyzed plan against the static summary of node code: which stateful
        operators feed this query. Both answers are shown when they differ."""
        query = next(q for q in self.manifest.queries() if q.name == sink.name)
        plan = analyzed_plan(df)
        answers = [
            (
                "stateful operator(s)",
                sorted({op.operator.kind for op in query.stateful_operators}),
                sorted(stateful_operators(plan)),
            )
        ]
        static_watermarks = self._watermarks_read(query)
        if static_watermarks is not None:
            answers.append(
                ("watermark(s) on", sorted(static_watermarks), sorted(watermark_columns(plan)))
            )
        for what, static, spark in answers:
            if static == spark:
                continue
            report.warning(
                "TG706",
                self.project.outputs[sink.name].location,
                f"output '{sink.name}': Spark's analyzed plan has {what} "
                f"{', '.join(spark) or 'none'}; tauro-gen's reading of the node code (what "
                f"build, diff and the manifest use) found {', '.join(static) or 'none'}",
                "the checkpoint-safety checks of `tauro-gen diff` and the shuffle sizing "
                "follow tauro-gen's reading: please report the node code that misleads it",
            )

    def _watermarks_read(self, query: Any) -> set[str] | None:
        """The event-time columns tauro-gen read for a query: its inputs' `watermark:` and
        the `withWatermark` calls of the node code feeding it (None: a call whose column
        the reading could not resolve)."""
        lineage = query.lineage
        columns = {
            source.watermark.column
            for source in self.plan.sources
            if source.name in lineage.streaming_sources and source.watermark is not None
        }
        for node in self.plan.nodes:
            if node.name not in lineage.nodes or node.summary is None:
                continue
            for operation in node.summary.operations:
                if operation.kind != "watermark":
                    continue
                column = _first_string(operation.arguments)
                if column is None or operation.unresolved:
                    return None
                columns.add(column)
        return columns

    def _start(self, sink: Sink, df: Any) -> None:
        checkpoint = self.tmp / "checkpoints" / sink.name
        query = (
            df.writeStream.format("noop")
            .outputMode(sink.output_mode or "append")
            .option("checkpointLocation", str(checkpoint))
            .trigger(availableNow=True)
            .start()
        )
        try:
            query.awaitTermination(QUERY_TIMEOUT_S)
        finally:
            if query.isActive:
                query.stop()
        error = query.exception()
        if error is not None:
            raise _Failed(
                "TG702",
                self.project.outputs[sink.name].location,
                f"output '{sink.name}': the query fails on empty input: {_first_line(error)}",
                _query_hint(sink, error),
            )


# Session settings under which Spark analyzes the same code differently.
ANALYSIS_SETTINGS = frozenset(
    {
        "spark.sql.caseSensitive",
        "spark.sql.ansi.enabled",
        "spark.sql.session.timeZone",
        "spark.sql.timestampType",
        "spark.sql.storeAssignmentPolicy",
        "spark.sql.mapKeyDedupPolicy",
    }
)


def _changes_analysis(key: str) -> bool:
    return key in ANALYSIS_SETTINGS or key.startswith("spark.sql.legacy.")


def analyzed_plan(df: Any) -> str:
    """Spark's analyzed logical plan of `df`, as `explain` prints it (public API)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        df.explain(extended=True)
    text = printed.getvalue()
    plan = text.split("== Analyzed Logical Plan ==\n", 1)[1].split("\n== Optimized", 1)[0]
    return plan.split("\n", 1)[1] if "\n" in plan else ""  # its first line: the columns


# Logical plan nodes that keep state in a streaming query, by the kind node code names them
# with (nodecode.STATEFUL_KINDS). A join keeps state only between two streams.
STATEFUL_PLAN_NODES = {
    "Aggregate": "aggregation",
    "Deduplicate": "deduplication",
    "DeduplicateWithinWatermark": "deduplication",
    "FlatMapGroupsWithState": "arbitrary_state",
    "FlatMapGroupsInPandasWithState": "arbitrary_state",
    "TransformWithState": "arbitrary_state",
    "TransformWithStateInPySpark": "arbitrary_state",
    "GlobalLimit": "limit",
    "Join": "join",
}


def stateful_operators(plan: str) -> set[str]:
    """The stateful kinds in a plan's tree text: Spark marks a node of a streaming plan with
    `~` (a streaming relation is a leaf named Streaming…); children are indented by three."""
    nodes = []
    for line in plan.splitlines():
        body = line.lstrip(" :+-|")
        if not body:
            continue
        streaming = body.startswith("~") or body.startswith("Streaming")
        name = body.lstrip("~").split(" ", 1)[0].split("[", 1)[0]
        nodes.append(((len(line) - len(body)) // 3, streaming, name))
    kinds = set()
    for index, (depth, streaming, name) in enumerate(nodes):
        kind = STATEFUL_PLAN_NODES.get(name)
        if kind is None or not streaming:
            continue
        if kind == "join":
            children = []
            for child_depth, child_streaming, _ in nodes[index + 1 :]:
                if child_depth <= depth:
                    break
                if child_depth == depth + 1:
                    children.append(child_streaming)
            if not (len(children) == 2 and all(children)):
                continue  # a stream-static join
        kinds.add(kind)
    return kinds


_WATERMARK = re.compile(r"EventTimeWatermark [^,]*, (.+?)#\d+: ")


def watermark_columns(plan: str) -> set[str]:
    """The event-time columns of a plan's tree text (`EventTimeWatermark id, col#n: type,
    delay`), backquotes Spark puts around odd names removed."""
    return {match.strip("`") for match in _WATERMARK.findall(plan)}


def _first_string(arguments: str | None) -> str | None:
    """The first argument of a call, as the node-code reading wrote it, if it is a string."""
    try:
        call = ast.parse(f"f({arguments or ''})", mode="eval").body
    except SyntaxError:
        return None
    first = call.args[0] if isinstance(call, ast.Call) and call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


class _Failed(Exception):
    """Spark (or the node code) refuses the pipeline: the diagnostic to report."""

    def __init__(self, code: str, location: Location, message: str, hint: str):
        super().__init__(message)
        self.code, self.location, self.message, self.hint = code, location, message, hint


class _Skip(_Failed):
    """The pipeline cannot be analyzed without reading data: the reason, for a warning."""

    def __init__(self, location: Location, message: str, hint: str):
        super().__init__("TG704", location, message, hint)


def _query_hint(sink: Sink, error: Exception) -> str:
    mode = sink.output_mode or "append"
    if "output mode" in str(error).lower():
        return (
            f"the query runs in output mode '{mode}': an aggregation in append mode needs a "
            "watermark on its event time (input `watermark:`), complete mode an aggregation; "
            "or pick another `output_mode`"
        )
    return (
        f"Spark checks this when the query starts (output mode '{mode}'): change the node "
        "code or the output"
    )


class _NoFolders(types.ModuleType):
    """The job's `os`, except that `makedirs` creates nothing: dry-run writes nothing."""

    def __init__(self) -> None:
        super().__init__("os")

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def makedirs(*args: Any, **kwargs: Any) -> None:
        return None


class _StandInSession:
    """What a reader of the job gets as `spark`: `read` and `readStream` only."""

    def __init__(self, pipeline: _Pipeline, source: Source):
        self._pipeline, self._source = pipeline, source

    @property
    def read(self) -> _StandInReader:
        return _StandInReader(self._pipeline, self._source, streaming=False)

    @property
    def readStream(self) -> _StandInReader:  # noqa: N802 — pyspark's name
        return _StandInReader(self._pipeline, self._source, streaming=True)


class _StandInReader:
    """DataFrameReader / DataStreamReader: records the format, options and schema given,
    and returns an empty DataFrame of the columns the real read would give."""

    def __init__(self, pipeline: _Pipeline, source: Source, streaming: bool):
        self._pipeline, self._source, self._streaming = pipeline, source, streaming
        self._format: str | None = None
        self._schema: Any = None
        self._options: dict[str, Any] = {}

    def format(self, source: str) -> _StandInReader:
        self._format = source
        return self

    def option(self, key: str, value: Any) -> _StandInReader:
        self._options[key] = value
        return self

    def options(self, **options: Any) -> _StandInReader:
        self._options.update(options)
        return self

    def schema(self, schema: Any) -> _StandInReader:
        self._schema = schema
        return self

    def load(
        self, path: Any = None, format: str | None = None, schema: Any = None, **options
    ):  # noqa: A002
        self._format = format or self._format
        self._schema = schema if schema is not None else self._schema
        self._options.update(options)
        return self._frame()

    def table(self, name: str) -> Any:  # noqa: ARG002
        return self._frame()

    def _frame(self) -> Any:
        return self._pipeline.empty_frame(
            self._source, self._streaming, self._format, self._schema, self._options
        )

    def __getattr__(self, name: str) -> Any:
        if name in ("csv", "json", "parquet", "orc", "text", "avro", "xml"):

            def read(path: Any = None, *args: Any, **kwargs: Any) -> Any:  # noqa: ARG001
                self._format = name
                if kwargs.get("schema") is not None:
                    self._schema = kwargs["schema"]
                return self._frame()

            return read
        raise AttributeError(name)


def _schema_read(fmt: str | None, schema: Any, options: dict[str, Any]) -> Any:
    """The columns a read of `fmt` gives, when the reader or the format fixes them."""
    from pyspark.sql.types import (
        BinaryType,
        IntegerType,
        LongType,
        StringType,
        StructField,
        StructType,
        TimestampType,
    )

    if schema is not None:
        return schema
    if fmt == "kafka":
        fields = [
            StructField("key", BinaryType()),
            StructField("value", BinaryType()),
            StructField("topic", StringType()),
            StructField("partition", IntegerType()),
            StructField("offset", LongType()),
            StructField("timestamp", TimestampType()),
            StructField("timestampType", IntegerType()),
        ]
        if str(options.get("includeHeaders", "false")).lower() == "true":
            header = StructType(
                [StructField("key", StringType()), StructField("value", BinaryType())]
            )
            from pyspark.sql.types import ArrayType

            fields.append(StructField("headers", ArrayType(header)))
        return StructType(fields)
    if fmt in ("rate", "rate-micro-batch"):
        return StructType(
            [StructField("timestamp", TimestampType()), StructField("value", LongType())]
        )
    if fmt == "text":
        return StructType([StructField("value", StringType())])
    return None


def _is_spark_error(error: BaseException) -> bool:
    from pyspark.errors import PySparkException

    return isinstance(error, PySparkException)


def _first_line(error: BaseException) -> str:
    """Spark's first line (it starts with the error class), or Python's `Type: message`."""
    text = str(error).split("\n=== Streaming Query ===")[0].strip()
    line = text.splitlines()[0] if text else ""
    if not _is_spark_error(error):
        line = f"{type(error).__name__}: {line}" if line else type(error).__name__
    return one_line(line)
