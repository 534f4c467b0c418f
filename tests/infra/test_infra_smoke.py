"""Smoke tests of the real external systems used by the end-to-end tests.

Each test starts real processes: a Kafka broker (KRaft), a PostgreSQL server, spark-submit.
Run them with ``pytest -m infra tests/infra``. The three spark-submit ones are marked
``smoke`` and left out of the default run (the end-to-end tests go through the same
connectors with generated jobs); run them when a connector or the infra changes:
``pytest -m smoke tests/infra``.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .jars import (
    quiet_driver_args,
    spark_env,
    spark_submit_args,
    spark_submit_executable,
    warm,
    write_quiet_log4j2,
)
from .kafka import KafkaBroker
from .postgres import PostgresServer
from .spark_packages import (
    delta_conf_args,
    delta_packages,
    kafka_package,
    postgres_jdbc_package,
)

pytestmark = pytest.mark.infra

MESSAGES = ["alpha", "beta", "gamma"]


@pytest.fixture(scope="module")
def kafka() -> Iterator[KafkaBroker]:
    with KafkaBroker() as broker:
        print(f"kafka {broker.version} at {broker.bootstrap}: up in {broker.startup_seconds:.2f}s")
        yield broker


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        print(
            f"postgres {server.version} at {server.jdbc_url}: up in {server.startup_seconds:.2f}s"
        )
        yield server


def run_spark_submit(
    tmp_path: Path, script: str, args: list[str], packages: list[str], extra: list[str] = ()
) -> subprocess.CompletedProcess[str]:
    """spark-submit ``script`` (inline source) with ``packages``; fail with its output."""
    warm(packages)  # one cold resolution at a time, outside the timed job
    job = tmp_path / "job.py"
    job.write_text(textwrap.dedent(script))
    log4j2 = write_quiet_log4j2(tmp_path / "conf")
    cmd = [
        spark_submit_executable(),
        "--master",
        "local[2]",
        *spark_submit_args(packages),
        *quiet_driver_args(log4j2),
        "--conf",
        "spark.sql.shuffle.partitions=2",
        "--conf",
        "spark.sql.adaptive.enabled=false",
        *extra,
        str(job),
        *args,
    ]
    started = time.monotonic()
    proc = subprocess.run(
        cmd,
        env=spark_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    print(f"spark-submit took {time.monotonic() - started:.1f}s")
    if proc.returncode != 0:
        pytest.fail(
            f"spark-submit exited {proc.returncode}\n--- stdout\n{proc.stdout[-5000:]}"
            f"\n--- stderr\n{proc.stderr[-10000:]}"
        )
    return proc


def result_line(proc: subprocess.CompletedProcess[str], tag: str) -> object:
    for line in proc.stdout.splitlines():
        if line.startswith(tag + " "):
            return json.loads(line[len(tag) + 1 :])
    raise AssertionError(f"no {tag} line in job output:\n{proc.stdout}\n{proc.stderr[-3000:]}")


def test_kafka_produce_consume(kafka: KafkaBroker) -> None:
    kafka.create_topic("smoke-plain", partitions=1)
    kafka.produce("smoke-plain", MESSAGES, keys=["k1", "k2", "k3"])
    got = kafka.consume("smoke-plain", timeout=20)
    assert got == [(b"k1", b"alpha"), (b"k2", b"beta"), (b"k3", b"gamma")]
    assert "smoke-plain" in kafka.list_topics()


def test_kafka_multi_partition_consume_reads_all(kafka: KafkaBroker) -> None:
    kafka.create_topic("smoke-parts", partitions=3)
    values = [f"v{i}".encode() for i in range(12)]
    kafka.produce("smoke-parts", values, keys=[f"key{i}" for i in range(12)])
    got = kafka.consume("smoke-parts", timeout=20)
    assert sorted(v for _k, v in got) == sorted(values)


def test_postgres_create_insert_select(postgres: PostgresServer) -> None:
    postgres.query("CREATE TABLE smoke (id integer PRIMARY KEY, name text NOT NULL)")
    postgres.query("INSERT INTO smoke VALUES (1, 'one'), (2, 'two'), (3, %s)", ("three",))
    assert postgres.query("SELECT id, name FROM smoke ORDER BY id") == [
        (1, "one"),
        (2, "two"),
        (3, "three"),
    ]
    assert postgres.query("SELECT current_user, current_database()") == [
        (postgres.user, postgres.database)
    ]
    assert postgres.jdbc_url.startswith("jdbc:postgresql://127.0.0.1:")


KAFKA_TO_PARQUET = """\
import json, sys
from pyspark.sql import SparkSession

bootstrap, topic, out, checkpoint = sys.argv[1:5]
spark = SparkSession.builder.appName("infra-smoke-kafka").getOrCreate()
source = (
    spark.readStream.format("kafka")
    .option("kafka.bootstrap.servers", bootstrap)
    .option("subscribe", topic)
    .option("startingOffsets", "earliest")
    .load()
    .selectExpr("CAST(key AS STRING) AS key", "CAST(value AS STRING) AS value", "offset")
)
query = (
    source.writeStream.format("parquet")
    .option("path", out)
    .option("checkpointLocation", checkpoint)
    .trigger(availableNow=True)
    .start()
)
query.awaitTermination()
rows = spark.read.parquet(out).orderBy("offset").collect()
print("COUNT", json.dumps(len(rows)))
print("ROWS", json.dumps([[r.key, r.value] for r in rows]))
spark.stop()
"""


@pytest.mark.spark
@pytest.mark.smoke
def test_spark_submit_reads_kafka_into_parquet(kafka: KafkaBroker, tmp_path: Path) -> None:
    kafka.create_topic("smoke-spark", partitions=1)
    kafka.produce("smoke-spark", MESSAGES, keys=["k1", "k2", "k3"])
    out, checkpoint = tmp_path / "out", tmp_path / "checkpoint"
    proc = run_spark_submit(
        tmp_path,
        KAFKA_TO_PARQUET,
        [kafka.bootstrap, "smoke-spark", str(out), str(checkpoint)],
        [kafka_package()],
    )
    assert result_line(proc, "COUNT") == 3
    assert result_line(proc, "ROWS") == [["k1", "alpha"], ["k2", "beta"], ["k3", "gamma"]]
    assert list(out.glob("part-*.parquet"))
    assert (checkpoint / "commits" / "0").exists()


BATCH_TO_KAFKA_AND_JDBC = """\
import sys
from pyspark.sql import SparkSession

bootstrap, topic, jdbc_url, user, password = sys.argv[1:6]
spark = SparkSession.builder.appName("infra-smoke-sinks").getOrCreate()
df = spark.createDataFrame([(1, "one"), (2, "two"), (3, "three")], "id INT, name STRING")
(
    df.selectExpr("CAST(id AS STRING) AS key", "name AS value")
    .write.format("kafka")
    .option("kafka.bootstrap.servers", bootstrap)
    .option("topic", topic)
    .save()
)
(
    df.write.format("jdbc")
    .option("url", jdbc_url)
    .option("dbtable", "public.smoke_sink")
    .option("user", user)
    .option("password", password)
    .option("driver", "org.postgresql.Driver")
    .mode("overwrite")
    .save()
)
# Without the "driver" option the read fails: java.sql.DriverManager does not see a driver that
# came through --packages ("[FAILED_JDBC.CONNECTION] ... Couldn't connect to the database").
back = (
    spark.read.format("jdbc")
    .option("url", jdbc_url)
    .option("dbtable", "public.smoke_sink")
    .option("user", user)
    .option("password", password)
    .option("driver", "org.postgresql.Driver")
    .load()
)
print("JDBC_READ_BACK", back.count())
spark.stop()
"""


@pytest.mark.spark
@pytest.mark.smoke
def test_spark_submit_writes_kafka_and_postgres(
    kafka: KafkaBroker, postgres: PostgresServer, tmp_path: Path
) -> None:
    kafka.create_topic("smoke-sink", partitions=1)
    proc = run_spark_submit(
        tmp_path,
        BATCH_TO_KAFKA_AND_JDBC,
        [kafka.bootstrap, "smoke-sink", postgres.jdbc_url, postgres.user, postgres.password],
        [kafka_package(), postgres_jdbc_package()],
    )
    assert result_line(proc, "JDBC_READ_BACK") == 3
    assert sorted(kafka.consume("smoke-sink", timeout=20)) == [
        (b"1", b"one"),
        (b"2", b"two"),
        (b"3", b"three"),
    ]
    assert postgres.query("SELECT id, name FROM smoke_sink ORDER BY id") == [
        (1, "one"),
        (2, "two"),
        (3, "three"),
    ]


DELTA_ROUND_TRIP = """\
import json, sys
from pyspark.sql import SparkSession

path = sys.argv[1]
spark = SparkSession.builder.appName("infra-smoke-delta").getOrCreate()
spark.range(3).write.format("delta").save(path)
print("COUNT", json.dumps(spark.read.format("delta").load(path).count()))
spark.stop()
"""


@pytest.mark.spark
@pytest.mark.smoke
def test_spark_submit_delta_round_trip(tmp_path: Path) -> None:
    proc = run_spark_submit(
        tmp_path, DELTA_ROUND_TRIP, [str(tmp_path / "table")], delta_packages(), delta_conf_args()
    )
    assert result_line(proc, "COUNT") == 3
