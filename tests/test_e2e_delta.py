"""Generated jobs with Delta Lake, run with spark-submit and the Delta package the build
prints: a file stream into a Delta table (exactly once across a kill -9), a streaming read
of a Delta table written by a batch pipeline, and a Delta change data feed.

The tests' own Spark session has no Delta, so Delta tables are set up and read back by a
small spark-submit helper (DELTA_TOOL) with the same package."""

from __future__ import annotations

import json

import pytest
from harness import DELTA_JOB, SparkJob, assert_clean_log, build, drop_file, run_job
from infra import jars
from infra.spark_packages import delta_packages

pytestmark = [pytest.mark.spark, pytest.mark.infra]

DELTA_TOOL = """\
import json, sys
from pyspark.sql import SparkSession

spark = (
    SparkSession.builder.appName("delta-tool")
    .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
    .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
    .getOrCreate()
)
command, path = sys.argv[1], sys.argv[2]
if command == "dump":
    for row in spark.read.format("delta").load(path).collect():
        print("ROW " + json.dumps(row.asDict(), default=str))
    history = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").select("version", "operation")
    for row in history.collect():
        print("HISTORY " + json.dumps(row.asDict()))
elif command == "accounts-v0-v3":
    spark.sql(
        f"CREATE TABLE delta.`{path}` (account_id INT, owner STRING, balance DOUBLE) "
        "USING delta TBLPROPERTIES (delta.enableChangeDataFeed = true)"
    )
    spark.sql(f"INSERT INTO delta.`{path}` VALUES (1, 'ann', 10.0), (2, 'bob', 20.0), (3, 'cy', 30.0)")
    spark.sql(f"UPDATE delta.`{path}` SET balance = 25.0 WHERE account_id = 2")
    spark.sql(f"DELETE FROM delta.`{path}` WHERE account_id = 3")
elif command == "accounts-v4":
    spark.sql(f"UPDATE delta.`{path}` SET owner = 'ann b.' WHERE account_id = 1")
else:
    raise SystemExit(f"unknown command {command}")
spark.stop()
"""


# The tool's UPDATE and DELETE on a table written without per-file statistics.
MISSING_STATISTICS = r"\S+ \S+ WARN (Update|Delete)Command: Could not validate number of records"


@pytest.fixture(scope="module")
def delta_tool(tmp_path_factory):
    jars.warm(delta_packages())
    folder = tmp_path_factory.mktemp("delta-tool")
    (folder / "delta_tool.py").write_text(DELTA_TOOL)

    def run(command: str, table) -> list[str]:
        result = run_job(folder, "delta_tool.py", command, str(table), packages=delta_packages())
        assert result.returncode == 0, result.stdout
        assert_clean_log(result.stdout, DELTA_JOB, MISSING_STATISTICS)
        return result.stdout.splitlines()

    return run


def table_rows(delta_tool, table) -> tuple[list[dict], list[str]]:
    """Rows of a Delta table read by Delta itself, and its operations by version."""
    lines = delta_tool("dump", table)
    rows = [json.loads(line[4:]) for line in lines if line.startswith("ROW ")]
    history = [json.loads(line[8:]) for line in lines if line.startswith("HISTORY ")]
    return rows, [h["operation"] for h in sorted(history, key=lambda h: h["version"])]


def test_file_stream_into_delta_is_exactly_once_across_a_kill_9(project, delta_tool):
    root = project("delta_lake")
    packages = build(root, "events_to_delta")
    assert packages == delta_packages()
    source = (root / "build" / "events_to_delta.py").read_text()
    assert '.config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")' in source

    inbox, per_file, files = root / "data" / "events", 50, 8
    actions = ["view", "click", "buy", "spam"]  # spam is dropped by the node

    def events(n: int) -> str:
        rows = [
            {
                "event_id": n * per_file + i,
                "user": f"u{i % 7}" if i % 10 else None,
                "action": actions[i % 4],
                "at": "2024-02-01T12:00:00",
            }
            for i in range(per_file)
        ]
        return "".join(json.dumps(r) + "\n" for r in rows)

    def valid_ids(upto: int) -> set[int]:
        return {
            n * per_file + i
            for n in range(upto)
            for i in range(per_file)
            if i % 10 and actions[i % 4] != "spam"
        }

    started_with = 5
    for n in range(started_with):
        drop_file(inbox, f"e{n:03d}.json", events(n))
    job = SparkJob(root, "build/events_to_delta.py", packages=packages)
    try:
        job.wait_for_log(r"events_to_delta\.events_delta batch [1-9]: ", timeout=180)
        job.kill_9()  # mid-stream (maxFilesPerTrigger: 1), no goodbye
        job.wait(timeout=60)
    finally:
        job.close()
    for n in range(started_with, files):
        drop_file(inbox, f"e{n:03d}.json", events(n))

    result = run_job(
        root, "build/events_to_delta.py", "--available-now", packages=packages, timeout=420
    )
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout, DELTA_JOB)
    assert "query events_to_delta.events_delta finished" in result.stdout

    rows, operations = table_rows(delta_tool, root / "data" / "delta" / "events")
    ids = [r["event_id"] for r in rows]
    assert len(ids) == len(valid_ids(files))
    assert set(ids) == valid_ids(files)  # nothing lost, nothing twice
    assert {r["action"] for r in rows} == {"view", "click", "buy"}
    # One Delta commit per micro-batch that had files: the table's history is all appends.
    assert set(operations) == {"STREAMING UPDATE"}
    assert len(operations) == files


def test_streaming_read_of_a_delta_table_written_by_a_batch_pipeline(project, spark):
    root = project("delta_lake")
    packages = build(root, "load_customers")
    assert build(root, "customers_stream") == packages == delta_packages()
    drops = root / "data" / "customer_files"

    def feed() -> list[tuple]:
        df = spark.read.parquet(str(root / "data" / "customers_feed"))
        return sorted((r.customer_id, r.name, r.tier, r.source) for r in df.collect())

    day1 = drop_file(drops, "day1.csv", "customer_id,name,tier\n1, Ada ,gold\n2,Grace,silver\n")
    load = run_job(root, "build/load_customers.py", packages=packages, timeout=420)
    assert load.returncode == 0, load.stdout
    assert_clean_log(load.stdout, DELTA_JOB)
    assert "wrote output customers_table" in load.stdout
    stream = run_job(
        root, "build/customers_stream.py", "--available-now", packages=packages, timeout=420
    )
    assert stream.returncode == 0, stream.stdout
    assert_clean_log(stream.stdout, DELTA_JOB)
    assert feed() == [(1, "Ada", "GOLD", "delta"), (2, "Grace", "SILVER", "delta")]

    # The next drop is appended by the batch step (a new table version); the stream
    # resumes from its checkpoint and reads only that version's rows.
    day1.unlink()
    drop_file(drops, "day2.csv", "customer_id,name,tier\n3,Linus,bronze\n")
    load = run_job(root, "build/load_customers.py", packages=packages, timeout=420)
    assert load.returncode == 0, load.stdout
    assert_clean_log(load.stdout, DELTA_JOB)
    stream = run_job(
        root, "build/customers_stream.py", "--available-now", packages=packages, timeout=420
    )
    assert stream.returncode == 0, stream.stdout
    assert_clean_log(stream.stdout, DELTA_JOB)
    assert feed() == [
        (1, "Ada", "GOLD", "delta"),
        (2, "Grace", "SILVER", "delta"),
        (3, "Linus", "BRONZE", "delta"),
    ]


def test_change_data_feed_from_the_first_version(project, spark, delta_tool):
    root = project("delta_lake")
    packages = build(root, "account_changes")
    assert packages == delta_packages()
    table = root / "data" / "delta" / "accounts"
    delta_tool("accounts-v0-v3", table)  # create (CDF on), insert 3, update 2, delete 3

    def changes() -> list[tuple]:
        df = spark.read.parquet(str(root / "data" / "account_changes"))
        return sorted(
            (r._commit_version, r.account_id, r._change_type, r.owner, r.balance)
            for r in df.collect()
        )

    result = run_job(
        root, "build/account_changes.py", "--available-now", packages=packages, timeout=420
    )
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout, DELTA_JOB)
    expected = [
        (1, 1, "insert", "ann", 10.0),
        (1, 2, "insert", "bob", 20.0),
        (1, 3, "insert", "cy", 30.0),
        (2, 2, "update_postimage", "bob", 25.0),
        (2, 2, "update_preimage", "bob", 20.0),
        (3, 3, "delete", "cy", 30.0),
    ]
    assert changes() == expected

    delta_tool("accounts-v4", table)
    again = run_job(
        root, "build/account_changes.py", "--available-now", packages=packages, timeout=420
    )
    assert again.returncode == 0, again.stdout
    assert_clean_log(again.stdout, DELTA_JOB)
    assert changes() == expected + [
        (4, 1, "update_postimage", "ann b.", 10.0),
        (4, 1, "update_preimage", "ann", 10.0),
    ]
