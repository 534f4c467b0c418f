"""tauro_gen.runtime.stopping.report_progress over pyspark's own progress objects
(StreamingQueryProgress.fromJson, what lastProgress returns in classic PySpark and over
Spark Connect): one line per completed batch, idle triggers skipped, several batches
between two looks read from recentProgress, both shapes of an observed row count."""

from __future__ import annotations

import logging
import uuid

import pytest
from pyspark.sql.streaming.listener import StreamingQueryProgress

from tauro_gen.runtime.stopping import report_progress

QUERY_ID = str(uuid.uuid4())


def progress(batch_id: int, rows_in: int = 3, idle: bool = False, observed=None, sink=-1):
    durations = {"triggerExecution": 5} if idle else {"addBatch": 40, "triggerExecution": 50}
    record = {
        "id": QUERY_ID,
        "runId": QUERY_ID,
        "name": "orders",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "batchId": batch_id,
        "batchDuration": 50,
        "durationMs": durations,
        "numInputRows": 0 if idle else rows_in,
        "stateOperators": [],
        "sources": [],
        "sink": {"description": "noop", "numOutputRows": sink},
    }
    if observed is not None:
        record["observedMetrics"] = {"rows_out": observed}
    return StreamingQueryProgress.fromJson(record)


class Query:
    """What report_progress reads of a StreamingQuery; `recent_reads` counts the full
    history fetched, which costs a py4j round trip of up to 100 records."""

    name = "orders"

    def __init__(self, *history: StreamingQueryProgress):
        self.history = list(history)
        self.recent_reads = 0

    @property
    def lastProgress(self):  # noqa: N802 - StreamingQuery's name
        return self.history[-1] if self.history else None

    @property
    def recentProgress(self):  # noqa: N802 - StreamingQuery's name
        self.recent_reads += 1
        return list(self.history)


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def test_one_line_per_completed_batch_and_none_twice(lines):
    query, reported = Query(), {}
    report_progress([query], reported)  # not started yet
    query.history.append(progress(0, observed={"rows": 2}))
    report_progress([query], reported)
    report_progress([query], reported)  # nothing new
    query.history.append(progress(1, rows_in=4, observed={"rows": 4}))
    report_progress([query], reported)
    assert lines.messages == [
        "orders batch 0: 3 rows in, 2 rows out, 50 ms",
        "orders batch 1: 4 rows in, 4 rows out, 50 ms",
    ]
    assert reported == {"orders": 1}
    assert query.recent_reads == 0  # one new batch per look: lastProgress alone


def test_idle_triggers_are_not_batches(lines):
    query, reported = Query(progress(0, observed={"rows": 3})), {}
    report_progress([query], reported)
    query.history.append(progress(1, idle=True))
    report_progress([query], reported)
    assert lines.messages == ["orders batch 0: 3 rows in, 3 rows out, 50 ms"]


def test_several_batches_between_two_looks_are_each_reported(lines):
    query, reported = Query(progress(0, observed={"rows": 1})), {}
    report_progress([query], reported)
    query.history += [
        progress(1, observed={"rows": 1}),
        progress(2, idle=True),
        progress(3, rows_in=5, observed={"rows": 5}),
    ]
    report_progress([query], reported)
    assert [m.split(":")[0] for m in lines.messages] == [
        "orders batch 0",
        "orders batch 1",
        "orders batch 3",
    ]
    assert query.recent_reads == 1


def test_the_spark_connect_row_shape_of_an_observed_count(lines):
    connect_row = {"values": [7], "schema": {"type": "struct", "fields": []}}
    report_progress([Query(progress(0, rows_in=7, observed=connect_row))], {})
    assert lines.messages == ["orders batch 0: 7 rows in, 7 rows out, 50 ms"]


@pytest.mark.parametrize(("sink", "shown"), [(9, "9"), (-1, "n/a")])
def test_without_an_observed_count_the_sink_s_count_or_n_a(lines, sink, shown):
    report_progress([Query(progress(0, sink=sink))], {})
    assert lines.messages == [f"orders batch 0: 3 rows in, {shown} rows out, 50 ms"]
