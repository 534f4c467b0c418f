"""Tauro's own streaming configs (tests/projects/tauro_streaming), built as written and run
for real: a node without a function (identity) from Kafka (parse_json) into Delta, resumed
on a restart; Delta's change feed read back with `delta_stream`; rate → console on Tauro's
default 10 second trigger, the function called as fn(df, node_config); and a foreachBatch
`batch_function`."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

import pytest
from harness import (
    AQE_IN_FOREACH_BATCH_JOB,
    DELTA_JOB,
    SparkJob,
    assert_clean_log,
    build,
    configure,
    run_job,
)
from infra import jars
from infra.kafka import KafkaBroker
from infra.spark_packages import delta_packages, kafka_package

pytestmark = [pytest.mark.spark, pytest.mark.infra]


@pytest.fixture(scope="module")
def kafka():
    jars.warm([kafka_package(), *delta_packages()])
    with KafkaBroker() as broker:
        yield broker


def orders(*rows: tuple) -> list[str]:
    return [json.dumps({"order_id": i, "customer": c, "amount": a}) for i, c, a in rows]


@pytest.fixture
def tauro(project, kafka):
    root = project("tauro_streaming")
    topic = f"orders-{uuid.uuid4().hex[:6]}"
    kafka.create_topic(topic)
    configure(root, kafka_bootstrap=kafka.bootstrap, orders_topic=topic)
    return root, topic


def test_identity_node_kafka_to_delta_resumes_and_its_change_feed_reads_back(tauro, kafka, spark):
    root, topic = tauro
    packages = build(root, "orders_to_delta")
    assert sorted(packages) == sorted([kafka_package(), *delta_packages()])
    source = (root / "build" / "orders_to_delta.py").read_text()
    assert "    land_orders = land_orders_input\n" in source
    assert 'writer.trigger(processingTime="5 seconds")' in source
    assert '"checkpoints/tauro/orders_to_delta/land_orders"' in source

    kafka.produce(topic, orders((1, "ann", 12.5), (2, "bob", 3.0)))
    first = run_job(root, "build/orders_to_delta.py", "--available-now", packages=packages)
    assert first.returncode == 0, first.stdout
    assert_clean_log(first.stdout, DELTA_JOB)
    assert "query orders_to_delta_land_orders finished" in first.stdout
    assert (root / "checkpoints" / "tauro" / "orders_to_delta" / "land_orders" / "commits").is_dir()

    # A restart resumes from the checkpoint: only the new message is read.
    kafka.produce(topic, orders((3, "ann", 7.0)))
    second = run_job(root, "build/orders_to_delta.py", "--available-now", packages=packages)
    assert second.returncode == 0, second.stdout
    assert re.search(r"orders_to_delta_land_orders batch \d+: 1 rows in, 1 rows out", second.stdout)

    # Tauro's delta_stream with readChangeFeed: every insert, with Tauro's Kafka columns.
    assert build(root, "order_changes") == delta_packages()
    changes = run_job(root, "build/order_changes.py", "--available-now", packages=packages)
    assert changes.returncode == 0, changes.stdout
    assert_clean_log(changes.stdout, DELTA_JOB)
    rows = spark.read.parquet(str(root / "data" / "out" / "order_changes")).collect()
    assert sorted((r.order_id, r.customer, r.amount, r._change_type) for r in rows) == [
        (1, "ann", 12.5, "insert"),
        (2, "bob", 3.0, "insert"),
        (3, "ann", 7.0, "insert"),
    ]
    assert {r.topic for r in rows} == {topic}
    assert sorted(r.offset for r in rows) == [0, 1, 2]
    assert all(r.timestamp is not None and r.partition == 0 for r in rows)


def test_rate_to_console_on_tauros_default_trigger_with_node_config(project):
    root = project("tauro_streaming")
    assert build(root, "ticks_to_console") == []
    source = (root / "build" / "ticks_to_console.py").read_text()
    assert 'writer.trigger(processingTime="10 seconds")' in source

    job = SparkJob(root, "build/ticks_to_console.py")
    try:
        job.wait_for_log(r"ticks_to_console_show_ticks batch 2: \d+ rows in", timeout=120)
        job.ctrl_c()
        code = job.wait(timeout=60)
    finally:
        job.close()
    log = job.log
    assert code == 0, log  # a clean stop after a Ctrl+C (README: Stopping)
    assert_clean_log(log)
    # Processing-time triggers fire on multiples of the interval: batches 1 and 2 start
    # 10 seconds apart (batch 0 runs at once, batch 1 at the next multiple).
    ends = {
        int(n): datetime.strptime(t, "%Y-%m-%d %H:%M:%S,%f")
        for t, n in re.findall(r"^(\S+ \S+) INFO \S+ \S*show_ticks batch (\d+):", log, re.M)
    }
    gap = (ends[2] - ends[1]).total_seconds()
    assert 8.5 <= gap <= 11.5, log
    # label_ticks(df, node_config) got the node's config; console shows rows untruncated.
    assert re.search(r"\|\s*\d+\s*\|show_ticks\|(even|odd)\s*\|", log), log


def test_foreach_batch_function_on_an_available_now_trigger(tauro, kafka, spark):
    root, topic = tauro
    assert build(root, "orders_per_batch") == [kafka_package()]
    kafka.produce(topic, orders((1, "ann", 12.5), (2, "bob", -1.0), (3, "ann", 7.5)))

    # The node's trigger is available_now: the job ends by itself, without the flag.
    result = run_job(root, "build/orders_per_batch.py", packages=[kafka_package()])
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout, AQE_IN_FOREACH_BATCH_JOB)
    assert "query orders_per_batch_count_orders finished" in result.stdout
    rows = spark.read.parquet(str(root / "data" / "out" / "batch_totals")).collect()
    assert sorted((r.customer, r.orders, r.amount) for r in rows) == [("ann", 2, 20.0)]


def test_tauro_batch_pipeline_chained_through_storage_with_dates(project, spark):
    root = project("tauro_batch")
    assert build(root, "daily_sales") == []
    (root / "data" / "in").mkdir(parents=True)
    (root / "data" / "in" / "sales.csv").write_text(
        "id,day,amount\n"
        "1,2024-01-05,10.0\n"
        "2,2024-01-05,-3.0\n"
        "3,2024-01-06,4.5\n"
        "4,2024-02-01,99.0\n"  # after end_date
        "5,2024-01-06,7.0\n"  # left out by the input's partition_filter
    )
    result = run_job(root, "build/daily_sales.py")
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout)
    out = root / "data" / "out" / "base" / "sales"
    clean = spark.read.parquet(str(out / "clean" / "sales")).collect()
    assert sorted(r.id for r in clean) == ["1", "3"]
    totals = spark.read.parquet(str(out / "agg" / "daily_totals")).collect()
    assert sorted((str(r.day), r.total, r.sales) for r in totals) == [
        ("2024-01-05", 10.0, 1),
        ("2024-01-06", 4.5, 1),
    ]
    assert sorted(p.name for p in (out / "agg" / "daily_totals").glob("day=*")) == [
        "day=2024-01-05",
        "day=2024-01-06",
    ]
