"""A streaming job's queries run until they end, one fails, or SIGINT/SIGTERM stops them."""

from __future__ import annotations

import logging
import os
import signal
import time

from pyspark.errors import PySparkAttributeError, StreamingQueryException
from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQuery

from .job import build_spark_session, log


class StopRequest:
    """SIGINT/SIGTERM: the first asks the main loop to stop the queries cleanly; a
    second one exits at once.

    The handler only sets a flag: stopping a query from a signal handler while the main
    thread waits in the JVM fails ("reentrant call"). pyspark installs its own SIGINT
    handler while the SparkContext starts (it raises KeyboardInterrupt inside whatever
    JVM call runs), so signals are held back until the session exists and ours are set.
    """

    SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})

    def __init__(self) -> None:
        self.signal_name: str | None = None

    @property
    def requested(self) -> bool:
        return self.signal_name is not None or bool(signal.sigpending() & self.SIGNALS)

    @classmethod
    def start_session(cls) -> tuple[SparkSession, StopRequest]:
        stop = cls()
        logging.getLogger().addFilter(stop.hide_py4j_shutdown_noise)
        signal.pthread_sigmask(signal.SIG_BLOCK, cls.SIGNALS)
        try:
            spark = build_spark_session()
        except Exception:
            if stop.requested:
                stop.exit_after_jvm_shutdown()
            raise
        for signum in cls.SIGNALS:
            signal.signal(signum, stop._handle)
        leave_terminal_interrupts_to_python(spark)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, cls.SIGNALS)
        return spark, stop

    def _handle(self, signum: int, frame: object) -> None:
        if self.signal_name is None:
            self.signal_name = signal.Signals(signum).name
            # Said now, not after the stop: under spark-submit our output goes through the
            # JVM, which a terminal's Ctrl+C is ending at this very moment.
            log.info(
                "%s received: stopping; a restart resumes from the checkpoints",
                self.signal_name,
            )
        else:
            # A second signal: a user insisting, or spark-submit's JVM ending its Python
            # child while it shuts down after a terminal's Ctrl+C. Leave now.
            self.exit_after_jvm_shutdown()

    def hide_py4j_shutdown_noise(self, record: logging.LogRecord) -> bool:
        """py4j logs each call that fails because the JVM is gone as a traceback on the
        root logger. After a stop signal that is expected; we report the stop once."""
        return not (self.requested and "while sending command" in record.getMessage())

    def exit_after_jvm_shutdown(self) -> None:
        """Under spark-submit a terminal's Ctrl+C reaches the JVM (our parent) too, and
        it shuts Spark down under us. Checkpoints and the sinks' commit logs stay
        consistent, so a restart resumes where this run ended."""
        if self.signal_name is None:  # the signal came while the session was starting
            log.info("stopped while starting; a restart resumes from the checkpoints")
        logging.shutdown()
        os._exit(0)


def leave_terminal_interrupts_to_python(spark: SparkSession) -> None:
    """The driver's JVM ignores SIGINT from here on, as it does when pyspark starts it.

    Under spark-submit the JVM is Python's parent and a terminal's Ctrl+C reaches both. Left
    to itself the JVM runs its shutdown hooks at once and stops Spark under queries that are
    still ending; a query's thread then dies on "RpcEnv already stopped" and the JVM prints
    that Java stack trace straight to stderr. Ignored there, the SIGINT is Python's alone:
    the main loop stops every query, and the JVM exits with Python's code. SIGTERM keeps
    the JVM's own handling, because a cluster manager or a container runtime may signal
    the JVM alone. (Spark Connect: no JVM in this process; nothing to do.)"""
    jvm = getattr(spark, "_jvm", None)  # pyspark's py4j view of the JVM; no public API
    if jvm is None:
        return
    try:
        interrupt = jvm.sun.misc.Signal("INT")
        jvm.sun.misc.Signal.handle(interrupt, jvm.sun.misc.SignalHandler.SIG_IGN)
    except Exception as error:  # py4j's error: a JVM without sun.misc.Signal
        # Not a reason to stop the job: Ctrl+C still stops it, the JVM's way.
        log.info("SIGINT left to the JVM (%s)", failure_reason(error))


def run_until_stopped(
    spark: SparkSession, queries: list[StreamingQuery], stop: StopRequest
) -> int:
    """Wait on every query: 0 when all finish or on SIGINT/SIGTERM (after stopping
    them); 1 as soon as one fails, after stopping the others."""
    pending = list(queries)
    reported: dict[str, int] = {}
    for query in queries:
        log.info("query %s started (id %s)", query.name, query.id)
    while pending and not stop.requested:
        try:
            spark.streams.awaitAnyTermination(1)
        except StreamingQueryException:
            pass  # the failed query is found below
        spark.streams.resetTerminated()
        report_progress(queries, reported)
        for query in [q for q in pending if not q.isActive]:
            pending.remove(query)
            error = query.exception()
            if error is not None:
                log.error("query %s failed: %s", query.name, failure_reason(error))
                for other in pending:
                    other.stop()
                return 1
            log.info("query %s finished", query.name)
    if pending:  # still running when a stop was requested
        quiet_spark_warnings_while_stopping(spark)
        stop_between_batches(spark, pending)
    report_progress(queries, reported)
    if pending:
        log.info("stopped %d query(ies) cleanly", len(pending))
    return 0


BATCH_END_PATIENCE_S = 30.0


def stop_between_batches(
    spark: SparkSession,
    queries: list[StreamingQuery],
    patience_s: float = BATCH_END_PATIENCE_S,
) -> None:
    """Stop each query when no trigger of it runs: the batch in progress ends and
    commits first, instead of being cut mid-write (its tasks killed, each sink aborting
    its write with ERROR lines and stack traces). A batch still running after
    `patience_s` is stopped in flight, said in one line: nothing is lost, a restart runs
    it again. Spark has no stop-after-this-batch call; a query that falls behind (its
    next batch starts at once) shows no idle moment and waits for the patience. Stopping
    it as soon as a batch had ended was tried: once, under load, that stop cut the next
    batch after its writer ran and before its commit."""
    deadline = time.monotonic() + patience_s
    waiting = list(queries)
    while waiting:
        for query in list(waiting):
            overdue = time.monotonic() >= deadline
            if overdue or not query.isActive or not query.status["isTriggerActive"]:
                if overdue and query.isActive:
                    log.info(
                        "query %s: its batch still runs after %g s; stopped in it "
                        "(a restart runs it again)",
                        query.name,
                        patience_s,
                    )
                    # Said above; what Spark logs about the tasks it kills is not news.
                    set_spark_log_level(spark, "OFF")
                query.stop()
                waiting.remove(query)
        if waiting:
            time.sleep(0.01)


def quiet_spark_warnings_while_stopping(spark: SparkSession) -> None:
    """Spark's log at ERROR from here on: stopping a query between batches (the usual
    case) makes the scheduler warn twice that it found no job to cancel. A batch the stop
    interrupts runs again after a restart, warnings and all."""
    set_spark_log_level(spark, "ERROR")


def set_spark_log_level(spark: SparkSession, level: str) -> None:
    """(Spark Connect: the server's log, untouched.)"""
    try:
        context = spark.sparkContext
    except PySparkAttributeError:
        return
    context.setLogLevel(level)


def failure_reason(error: Exception) -> str:
    """The line of a query's error that says why: the first of Spark's message or, for
    an error raised in Python code (a foreachBatch writer, a node it calls), that
    error's own line, which py4j puts at the end of the traceback it reports."""
    message = str(error).split("\n=== Streaming Query ===")[0]
    lines = message.splitlines() or [type(error).__name__]
    if lines[0].endswith("Traceback (most recent call last):"):
        raised = [line for line in lines[1:] if line and not line[0].isspace()]
        if raised:
            return raised[-1]
    return lines[0]


def report_progress(queries: list[StreamingQuery], reported: dict[str, int]) -> None:
    """One line per completed micro-batch: batch id, rows in, rows out, duration."""
    for query in queries:
        done = reported.get(query.name, -1)
        last = query.lastProgress
        if last is None or last.batchId <= done:
            continue
        # Usually one new batch since the last look; the full history (up to 100 progress
        # records through py4j) only when several batches ran in between.
        for progress in [last] if last.batchId == done + 1 else query.recentProgress:
            if progress.batchId <= reported.get(query.name, -1):
                continue
            if "addBatch" not in progress.durationMs:
                continue  # an idle trigger (no new data): not a batch
            reported[query.name] = progress.batchId
            # File sinks report no row count; writers observe one ("rows_out") instead. It
            # arrives as Row(rows=N), or over Spark Connect as Row(values=[N], schema=...).
            observed = progress.observedMetrics.get("rows_out")
            rows_out = observed[0] if observed else progress.sink.numOutputRows
            if isinstance(rows_out, list):
                rows_out = rows_out[0]
            log.info(
                "%s batch %d: %d rows in, %s rows out, %d ms",
                query.name,
                progress.batchId,
                progress.numInputRows,
                rows_out if isinstance(rows_out, int) and rows_out >= 0 else "n/a",
                progress.batchDuration,
            )
