"""tauro_gen.runtime.jdbc.append_jdbc_batch against the real PostgreSQL of tests/infra:
a batch id already in the table is skipped (a replay after restart), a new one appended,
and the first batch creates the table. The calls run in a spark-submit child, which
alone can put the JDBC driver on the classpath (the shared session has no packages)."""

from __future__ import annotations

import json
import uuid

import pytest
from harness import run_job
from infra import jars
from infra.postgres import PostgresServer
from infra.spark_packages import postgres_jdbc_package

pytestmark = [pytest.mark.spark, pytest.mark.infra]

DRIVER = """
import json, logging, sys
from pyspark.sql import SparkSession
from tauro_gen.runtime.jdbc import append_jdbc_batch

logging.basicConfig(level=logging.INFO, format="JOB %(message)s", stream=sys.stdout)
options = json.loads(sys.argv[1])
spark = SparkSession.builder.getOrCreate()
for batch_id, ids in json.loads(sys.argv[2]):
    rows = spark.createDataFrame([(i, f"order {i}") for i in ids], "id INT, label STRING")
    append_jdbc_batch(rows.repartition(3), batch_id, options)
spark.stop()
"""


@pytest.fixture(scope="module")
def postgres():
    jars.warm([postgres_jdbc_package()])
    with PostgresServer() as server:
        yield server


def test_a_batch_is_appended_once_whatever_the_replays(postgres, tmp_path):
    table = f"public.batches_{uuid.uuid4().hex[:8]}"
    options = {"url": postgres.jdbc_url, "dbtable": table, **postgres.jdbc_properties}
    calls = [(0, [1, 2, 3]), (0, [1, 2, 3]), (1, [4, 5]), (1, [4, 5]), (0, [1, 2, 3])]
    (tmp_path / "driver.py").write_text(DRIVER)
    result = run_job(
        tmp_path,
        "driver.py",
        json.dumps(options),
        json.dumps(calls),
        packages=[postgres_jdbc_package()],
    )
    assert result.returncode == 0, result.stdout
    rows = postgres.query(f"SELECT tauro_batch_id, id, label FROM {table} ORDER BY id")
    assert rows == [
        (0, 1, "order 1"),
        (0, 2, "order 2"),
        (0, 3, "order 3"),
        (1, 4, "order 4"),
        (1, 5, "order 5"),
    ]
    skipped = [line for line in result.stdout.splitlines() if line.startswith("JOB batch ")]
    assert skipped == [
        f"JOB batch {batch_id} is already in {table}: skipped (a replay after restart)"
        for batch_id in (0, 1, 0)
    ]
