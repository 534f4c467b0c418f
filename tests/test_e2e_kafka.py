"""Generated jobs against a real Kafka broker (KRaft, loopback): JSON values parsed into
columns with Kafka's metadata kept, JSON written back keyed by a column, raw Kafka records,
and no loss and no duplicates in a file sink across a kill -9 of a job reading Kafka."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal

import pytest
from harness import SparkJob, assert_clean_log, build, configure, run_job
from infra import jars
from infra.kafka import KafkaBroker
from infra.spark_packages import kafka_package

pytestmark = [pytest.mark.spark, pytest.mark.infra]


@pytest.fixture(scope="module")
def kafka():
    jars.warm([kafka_package()])
    with KafkaBroker() as broker:
        yield broker


def topics(kafka: KafkaBroker, partitions: int = 1, **names: str) -> dict[str, str]:
    """Fresh topics for one test (the broker is shared by the module)."""
    suffix = uuid.uuid4().hex[:6]
    created = {key: f"{name}-{suffix}" for key, name in names.items()}
    for topic in created.values():
        kafka.create_topic(topic, partitions=partitions)
    return created


def order(order_id: int, customer: str, amount: float, status: str) -> str:
    return json.dumps(
        {
            "order_id": order_id,
            "customer_id": customer,
            "amount": amount,
            "status": status,
            "ordered_at": "2024-03-01T09:30:00",
        }
    )


def test_kafka_json_in_json_out_keyed_by_a_column(kafka, project):
    root = project("kafka_orders")
    names = topics(kafka, orders_topic="orders", paid_topic="paid")
    configure(root, kafka_bootstrap=kafka.bootstrap, **names)
    packages = build(root, "paid_orders")
    assert packages == [kafka_package()]

    kafka.produce(
        names["orders_topic"],
        [
            order(1, "c-7", 12.5, "PAID"),
            order(2, "c-8", 3.0, "cancelled"),
            order(3, "c-7", 0.99, "paid"),
            order(4, "c-9", 100.0, "paid"),
        ],
        keys=["1", "2", "3", "4"],
    )
    result = run_job(root, "build/paid_orders.py", "--available-now", packages=packages)
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout)
    assert "query paid_orders.paid_orders_topic finished" in result.stdout

    def consumed():
        return [(k.decode(), json.loads(v)) for k, v in kafka.consume(names["paid_topic"])]

    expected = [
        ("c-7", {"order_id": 1, "customer_id": "c-7", "amount": "12.50", "amount_cents": 1250}),
        ("c-7", {"order_id": 3, "customer_id": "c-7", "amount": "0.99", "amount_cents": 99}),
        ("c-9", {"order_id": 4, "customer_id": "c-9", "amount": "100.00", "amount_cents": 10000}),
    ]
    assert consumed() == expected

    # A restart on the same checkpoint with nothing new writes nothing; a new order, once.
    again = run_job(root, "build/paid_orders.py", "--available-now", packages=packages)
    assert again.returncode == 0, again.stdout
    assert_clean_log(again.stdout)
    assert consumed() == expected
    kafka.produce(names["orders_topic"], [order(5, "c-8", 7.25, "paid")], keys=["5"])
    third = run_job(root, "build/paid_orders.py", "--available-now", packages=packages)
    assert third.returncode == 0, third.stdout
    assert_clean_log(third.stdout)
    assert consumed() == expected + [
        ("c-8", {"order_id": 5, "customer_id": "c-8", "amount": "7.25", "amount_cents": 725}),
    ]


def test_parsed_kafka_values_keep_the_message_metadata(kafka, project, spark):
    root = project("kafka_orders")
    names = topics(kafka, partitions=2, orders_topic="orders-meta")
    configure(root, kafka_bootstrap=kafka.bootstrap, **names)
    packages = build(root, "orders_archive")
    assert packages == [kafka_package()]
    before = time.time()
    kafka.produce(
        names["orders_topic"],
        [order(i, f"c-{i}", i + 0.1, "paid") for i in range(1, 7)],
        keys=[f"k{i}" for i in range(1, 7)],
    )
    result = run_job(root, "build/orders_archive.py", "--available-now", packages=packages)
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout)

    df = spark.read.parquet(str(root / "data" / "orders_archive"))
    types = dict(df.dtypes)
    assert types["kafka_key"] == "string"
    assert types["kafka_partition"] == "int"
    assert types["kafka_offset"] == "bigint"
    assert types["kafka_timestamp"] == "timestamp"
    assert types["amount"] == "decimal(10,2)"
    assert types["ordered_at"] == "timestamp"
    rows = sorted(df.collect(), key=lambda r: r.order_id)
    assert [(r.order_id, r.customer_id, r.amount, r.kafka_key) for r in rows] == [
        (i, f"c-{i}", Decimal(f"{i}.10"), f"k{i}") for i in range(1, 7)
    ]
    assert {r.kafka_topic for r in rows} == {names["orders_topic"]}
    # Offsets are per partition: together they number each partition's messages from 0.
    by_partition: dict[int, list[int]] = {}
    for r in rows:
        by_partition.setdefault(r.kafka_partition, []).append(r.kafka_offset)
    assert set(by_partition) <= {0, 1}
    assert all(sorted(offsets) == list(range(len(offsets))) for offsets in by_partition.values())
    assert all(r.kafka_timestamp.timestamp() >= before - 5 for r in rows)
    assert {str(r.ordered_at) for r in rows} == {"2024-03-01 09:30:00"}


def test_kafka_without_value_format_gives_sparks_raw_columns(kafka, project, spark):
    root = project("kafka_orders")
    names = topics(kafka, raw_topic="raw")
    configure(root, kafka_bootstrap=kafka.bootstrap, **names)
    packages = build(root, "raw_archive")
    assert packages == [kafka_package()]
    kafka.produce(names["raw_topic"], ["not json", '{"a": 1}', "é"], keys=["x", None, "z"])
    result = run_job(root, "build/raw_archive.py", "--available-now", packages=packages)
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout)
    rows = spark.read.parquet(str(root / "data" / "raw_archive")).orderBy("offset").collect()
    assert [(r.key, r.value, r.topic, r.partition, r.offset) for r in rows] == [
        ("x", "not json", names["raw_topic"], 0, 0),
        (None, '{"a": 1}', names["raw_topic"], 0, 1),
        ("z", "é", names["raw_topic"], 0, 2),
    ]


def test_kill_9_mid_stream_then_restart_loses_and_repeats_nothing(kafka, project, spark):
    """Kafka source, parquet sink (exactly-once): kill -9 while batches run, produce more,
    restart with --available-now on the same checkpoint."""
    root = project("kafka_orders")
    names = topics(kafka, partitions=2, orders_topic="orders-kill")
    configure(root, kafka_bootstrap=kafka.bootstrap, **names)
    packages = build(root, "orders_archive")
    assert packages == [kafka_package()]
    first, second = 2000, 1000  # maxOffsetsPerTrigger: 250 -> several batches before the kill
    kafka.produce(
        names["orders_topic"],
        [order(i, f"c-{i % 17}", 1.0, "paid") for i in range(first)],
        keys=[str(i) for i in range(first)],
    )
    job = SparkJob(root, "build/orders_archive.py", packages=packages)
    try:
        job.wait_for_log(r"orders_archive\.orders_archive batch [2-9]: ", timeout=120)
        job.kill_9()  # JVM and Python together, mid-stream, no goodbye
        job.wait(timeout=60)
    finally:
        job.close()
    assert "finished" not in job.log

    kafka.produce(
        names["orders_topic"],
        [order(i, f"c-{i % 17}", 1.0, "paid") for i in range(first, first + second)],
        keys=[str(i) for i in range(first, first + second)],
    )
    result = run_job(root, "build/orders_archive.py", "--available-now", packages=packages)
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout)

    ids = [r.order_id for r in spark.read.parquet(str(root / "data" / "orders_archive")).collect()]
    assert len(ids) == first + second
    assert set(ids) == set(range(first + second))  # nothing lost, nothing twice
