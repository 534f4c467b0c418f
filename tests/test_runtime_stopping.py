"""tauro_gen.runtime.stopping against real queries on the shared session: SIGINT/SIGTERM
stop every query cleanly (0), a failing query stops the others (1), queries that end
(availableNow) return 0. What ends the process (a second signal, a signal while the
session starts) runs in a child Python."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types

import pytest
from harness import REPO, wait_until

from tauro_gen.runtime.stopping import (
    StopRequest,
    leave_terminal_interrupts_to_python,
    run_until_stopped,
    stop_between_batches,
)

pytestmark = pytest.mark.spark


@pytest.fixture
def stop_request(spark):
    """StopRequest.start_session on the shared session; pytest's handlers and the root
    logger's filters are restored after the test (the session is never stopped)."""
    handlers = {signum: signal.getsignal(signum) for signum in StopRequest.SIGNALS}
    session, stop = StopRequest.start_session()
    assert session is spark
    yield stop
    for signum, handler in handlers.items():
        signal.signal(signum, handler)
    logging.getLogger().removeFilter(stop.hide_py4j_shutdown_noise)


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="tauro-gen-runtime")
    return caplog


def errors_of_the_job(lines) -> list[str]:
    """The job's error lines (py4j logs a callback's traceback on its own logger)."""
    job = [r for r in lines.records if r.name == "tauro-gen-runtime"]
    return [r.getMessage() for r in job if r.levelno == logging.ERROR]


def rate_query(spark, name: str, batch=None):
    stream = spark.readStream.format("rate").option("rowsPerSecond", 5).load()
    writer = stream.writeStream.queryName(name).trigger(processingTime="500 milliseconds")
    writer = writer.foreachBatch(batch) if batch else writer.format("noop")
    return writer.start()


def signal_after_first_batches(queries, signum) -> threading.Thread:
    def send():
        wait_until(lambda: all(q.lastProgress for q in queries), what="a first batch")
        os.kill(os.getpid(), signum)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    return sender


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_every_query_cleanly(spark, stop_request, lines, signum):
    queries = [rate_query(spark, "first"), rate_query(spark, "second")]
    try:
        signal_after_first_batches(queries, signum)
        code = run_until_stopped(spark, queries, stop_request)
    finally:
        for query in queries:
            query.stop()
    assert code == 0
    assert not any(q.isActive for q in queries)
    assert all(q.exception() is None for q in queries)
    name = signal.Signals(signum).name
    assert f"{name} received: stopping; a restart resumes from the checkpoints" in lines.messages
    assert lines.messages[-1] == "stopped 2 query(ies) cleanly"
    assert any(m.startswith("first batch 0: ") for m in lines.messages)


def test_a_batch_running_at_the_signal_ends_and_commits_before_the_query_stops(
    spark, stop_request, lines, tmp_path
):
    started, ended = [], []

    def slow_batch(batch, batch_id):
        started.append(batch_id)
        time.sleep(1.5)
        ended.append(batch_id)

    query = (
        spark.readStream.format("rate")
        .option("rowsPerSecond", 5)
        .load()
        .writeStream.queryName("slow")
        .foreachBatch(slow_batch)
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .trigger(processingTime="3 seconds")
        .start()
    )

    def send_while_a_batch_runs():
        wait_until(lambda: len(started) > len(ended) and started[-1] >= 1, what="batch 1")
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=send_while_a_batch_runs, daemon=True).start()
    try:
        code = run_until_stopped(spark, [query], stop_request)
    finally:
        query.stop()
    assert code == 0
    assert query.exception() is None
    assert started == ended  # the batch in flight was not cut short
    committed = sorted(
        int(p.name) for p in (tmp_path / "checkpoint" / "commits").iterdir() if p.name.isdigit()
    )
    assert committed[-1] == ended[-1]
    assert lines.messages[-1] == "stopped 1 query(ies) cleanly"


class _Query:
    """A query whose trigger runs for `busy_polls` looks at its status, then idles."""

    def __init__(self, name: str, busy_polls: int):
        self.name, self.busy_polls, self.isActive, self.polls = name, busy_polls, True, 0

    @property
    def status(self) -> dict:
        self.polls += 1
        return {"isTriggerActive": self.polls <= self.busy_polls}

    def stop(self) -> None:
        assert self.isActive, "stopped twice"
        self.isActive = False


class _Session:
    def __init__(self) -> None:
        self.levels: list[str] = []
        self.sparkContext = types.SimpleNamespace(setLogLevel=self.levels.append)


def test_each_query_is_stopped_once_its_trigger_is_idle(lines):
    busy, idle = _Query("busy", busy_polls=5), _Query("idle", busy_polls=0)
    session = _Session()
    stop_between_batches(session, [busy, idle])
    assert (busy.polls, idle.polls) == (6, 1)
    assert not busy.isActive and not idle.isActive
    assert lines.text == "" and session.levels == []


def test_a_batch_that_outlasts_the_patience_is_stopped_in_flight_and_said(lines):
    stuck = _Query("stuck", busy_polls=10**9)
    session = _Session()
    stop_between_batches(session, [stuck], patience_s=0.05)
    assert not stuck.isActive
    assert lines.messages == [
        "query stuck: its batch still runs after 0.05 s; stopped in it (a restart runs it again)"
    ]
    assert session.levels == ["OFF"]  # the tasks Spark kills: said once, by the job


def test_a_failing_query_returns_1_names_it_and_stops_the_others(spark, stop_request, lines):
    def fail_on_second_batch(batch, batch_id):
        if batch_id >= 1:
            raise ValueError(f"bad row in batch {batch_id}")

    healthy = rate_query(spark, "healthy")
    failing = rate_query(spark, "failing", fail_on_second_batch)
    try:
        code = run_until_stopped(spark, [healthy, failing], stop_request)
    finally:
        healthy.stop()
        failing.stop()
    assert code == 1
    assert not healthy.isActive
    assert healthy.exception() is None
    errors = errors_of_the_job(lines)
    assert errors == ["query failing failed: ValueError: bad row in batch 1"]


def test_a_spark_error_is_reported_by_its_first_line(spark, stop_request, lines):
    stream = spark.readStream.format("rate").load().selectExpr("CAST('x' || value AS INT)")
    failing = stream.writeStream.queryName("casting").format("noop").start()
    try:
        code = run_until_stopped(spark, [failing], stop_request)
    finally:
        failing.stop()
    assert code == 1
    errors = errors_of_the_job(lines)
    assert len(errors) == 1
    assert errors[0].startswith("query casting failed: [CAST_INVALID_INPUT]")
    assert "\n" not in errors[0]


def test_queries_that_finish_return_0_with_one_line_per_batch(spark, stop_request, lines, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    for index in range(3):
        (source / f"{index}.txt").write_text(f"line {index}\n" * (index + 1))
    query = (
        spark.readStream.option("maxFilesPerTrigger", 1)
        .text(str(source))
        .writeStream.queryName("files")
        .format("noop")
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .trigger(availableNow=True)
        .start()
    )
    code = run_until_stopped(spark, [query], stop_request)
    assert code == 0
    batches = sorted(m.split(":")[0:2] for m in lines.messages if m.startswith("files batch"))
    assert [b[0] for b in batches] == ["files batch 0", "files batch 1", "files batch 2"]
    rows_in = sorted(int(b[1].split()[0]) for b in batches)
    assert rows_in == [1, 2, 3]
    assert lines.messages[-1] == "query files finished"
    assert not any("stopped" in m for m in lines.messages)


CHILD = """
import logging, os, signal, sys, time
logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
from tauro_gen.runtime import stopping

def start():  # stands in for the job's build_spark_session: no JVM needed here
    {start}

stopping.build_spark_session = start
spark, stop = stopping.StopRequest.start_session()
{then}
time.sleep(30)
print("still running", flush=True)
"""


def run_child(start: str, then: str = "") -> subprocess.CompletedProcess:
    script = CHILD.format(start=start, then=textwrap.indent(then, "").strip())
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_second_signal_exits_at_once():
    result = run_child(
        "return 'session'",
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "assert stop.requested\n"
        "os.kill(os.getpid(), signal.SIGINT)\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "SIGTERM received: stopping; a restart resumes from the checkpoints"
    ]


def test_a_signal_while_the_session_starts_is_held_and_exits_cleanly():
    """pyspark's own SIGINT handling during start-up turns the signal into an error of
    whatever JVM call runs; the held-back signal says it was a stop, not a failure."""
    result = run_child(
        "os.kill(os.getpid(), signal.SIGINT)\n" "    raise RuntimeError('JVM call interrupted')",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "stopped while starting; a restart resumes from the checkpoints"
    ]


def test_a_start_failure_without_a_signal_is_raised():
    result = run_child("raise RuntimeError('no Java')")
    assert result.returncode == 1
    assert "RuntimeError: no Java" in result.stderr


class _JvmWithoutSignal:
    """py4j's view of a JVM where `sun.misc.Signal` is no class: calling it fails."""

    class sun:  # noqa: N801 - the Java package's name
        class misc:  # noqa: N801
            @staticmethod
            def Signal(name):  # noqa: N802 - the Java class's name
                raise RuntimeError("Trying to call a package.")


def test_a_jvm_that_cannot_ignore_sigint_leaves_it_to_the_jvm_and_the_job_starts(lines):
    session = type("Session", (), {"_jvm": _JvmWithoutSignal()})()
    leave_terminal_interrupts_to_python(session)
    assert "SIGINT left to the JVM (Trying to call a package.)" in lines.text


def test_without_a_jvm_in_the_process_nothing_is_done(lines):
    """Spark Connect: the session has no `_jvm` (pyspark raises an AttributeError)."""
    leave_terminal_interrupts_to_python(object())
    assert lines.text == ""
