"""Generated jobs run with real spark-submit: a batch pipeline, a streaming DAG with fan-in,
and exactly-once output across a kill -9."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from harness import SparkJob, assert_clean_log, drop_file, run_job, tauro_gen

pytestmark = pytest.mark.spark


def test_batch_pipeline_reads_transforms_and_writes_partitioned_parquet(spark, project):
    root = project("batch_sales")
    assert tauro_gen("build", "--all", cwd=root).returncode == 0
    drop_file(
        root / "data" / "raw",
        "day1.csv",
        "id,date,amount,customer\n1,2024-01-15,150.00,Alice\n2,2024-01-15,-20.00,Alice\n"
        "3,2024-01-15,60.00,Bob\n4,2024-01-15,50.00,Bob\n5,2024-01-15,99.99,Carol\n",
    )
    drop_file(
        root / "data" / "raw",
        "day2.csv",
        "id,date,amount,customer\n6,2024-01-16,300.00,Alice\n7,2024-01-16,10.00,\n",
    )
    result = run_job(root, "build/daily_sales_report.py")
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout)
    assert "wrote output customer_revenue" in result.stdout

    report = root / "data" / "report"
    assert sorted(p.name for p in report.glob("date=*")) == ["date=2024-01-15", "date=2024-01-16"]
    rows = {(str(r.date), r.customer): r.revenue for r in spark.read.parquet(str(report)).collect()}
    assert rows == {
        ("2024-01-15", "Alice"): Decimal("150.00"),
        ("2024-01-15", "Bob"): Decimal("110.00"),
        ("2024-01-16", "Alice"): Decimal("300.00"),
    }

    # mode: overwrite — a rerun replaces the report instead of failing or appending.
    again = run_job(root, "build/daily_sales_report.py")
    assert again.returncode == 0, again.stdout
    assert_clean_log(again.stdout)
    assert spark.read.parquet(str(report)).count() == 3


def test_streaming_dag_with_fan_in_and_stream_static_join(spark, project):
    root = project("order_enrichment")
    build = tauro_gen("build", "--pipeline", "order_enrichment", cwd=root)
    assert build.returncode == 0, build.stderr
    drop_file(
        root / "data" / "customers",
        "customers.csv",
        "customer_id,name,segment\n1, Ada ,RETAIL\n2,Grace,Business\n",
    )
    orders = [
        {
            "order_id": 10,
            "customer_id": 1,
            "amount": 25.5,
            "country": "UK",
            "ordered_at": "2024-01-15T10:00:00",
        },
        {
            "order_id": 11,
            "customer_id": 2,
            "amount": 0.5,
            "country": "FR",
            "ordered_at": "2024-01-15T10:01:00",
        },
        {
            "order_id": 12,
            "customer_id": 3,
            "amount": 12.0,
            "country": "USA",
            "ordered_at": "2024-01-15T10:02:00",
        },
    ]
    for order in orders:
        drop_file(
            root / "data" / "orders", f"order-{order['order_id']}.json", json.dumps(order) + "\n"
        )

    result = run_job(root, "build/order_enrichment.py", "--available-now")
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout)
    assert "query order_enrichment.enriched_orders finished" in result.stdout

    out = root / "data" / "enriched"
    assert sorted(p.name for p in out.glob("country=*")) == ["country=GB", "country=US"]
    rows = sorted(
        (r.order_id, r.country, r.name, r.segment) for r in spark.read.parquet(str(out)).collect()
    )
    # 11 is below MIN_AMOUNT (a constant copied from src/lib/rules.py); 12's customer is unknown.
    assert rows == [(10, "GB", "Ada", "retail"), (12, "US", None, None)]
    assert (root / "state" / "checkpoints" / "order_enrichment" / "enriched_orders").is_dir()


def test_kill_9_mid_stream_then_restart_gives_exactly_once_output(spark, tutorial):
    assert tauro_gen("build", "--pipeline", "real_time_sales", cwd=tutorial).returncode == 0
    inbox = tutorial / "data" / "input"
    rows_per_file, files = 500, 24

    def csv(n: int) -> str:
        lines = ["id,date,amount,customer"]
        lines += [
            f"{n * rows_per_file + i},2024-02-01,{i % 50 + 1}.25,c{i}" for i in range(rows_per_file)
        ]
        return "\n".join(lines) + "\n"

    drop_file(inbox, "f000.csv", csv(0))
    job = SparkJob(tutorial, "build/real_time_sales.py")
    try:
        job.wait_for_log(r"batch 0: ")
        for n in range(1, files // 2):
            drop_file(inbox, f"f{n:03d}.csv", csv(n))
        # Spark may take all of those in one batch or several: wait for one more batch,
        # then drop another file and kill while it is being picked up.
        job.wait_for_log(r"batch [1-9]\d*: ")
        drop_file(inbox, f"f{files // 2:03d}.csv", csv(files // 2))
        time.sleep(0.5)
        job.kill_9()  # JVM and Python together, mid-stream, no goodbye
        job.wait(timeout=60)
    finally:
        job.close()
    for n in range(files // 2 + 1, files):
        drop_file(inbox, f"f{n:03d}.csv", csv(n))

    result = run_job(tutorial, "build/real_time_sales.py", "--available-now")
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout)

    ids = [
        r.id for r in spark.read.parquet(str(tutorial / "data" / "output")).select("id").collect()
    ]
    assert len(ids) == files * rows_per_file
    assert len(set(ids)) == len(ids)  # no batch written twice


def test_a_query_failing_at_run_time_exits_non_zero_with_the_reason(tutorial):
    # ANSI mode (Spark 4's default) fails the query when a customer name is cast to an int.
    node = tutorial / "src" / "nodes" / "process_sales.py"
    node.write_text(
        node.read_text().replace(
            "    return df", '    return df.withColumn("n", F.col("customer").cast("int"))'
        )
    )
    assert tauro_gen("build", "--pipeline", "real_time_sales", cwd=tutorial).returncode == 0
    drop_file(
        tutorial / "data" / "input", "a.csv", "id,date,amount,customer\n1,2024-01-15,1.0,Alice\n"
    )
    result = run_job(tutorial, "build/real_time_sales.py", "--available-now")
    assert result.returncode == 1, result.stdout
    assert "query real_time_sales.processed_sales failed: " in result.stdout
    assert "CAST_INVALID_INPUT" in result.stdout


def test_text_orc_json_and_csv_sources_and_sinks(spark, project):
    root = project("file_formats")
    assert tauro_gen("build", "--all", cwd=root).returncode == 0
    drop_file(
        root / "data" / "logs",
        "app.log",
        "INFO started\nERROR disk full on /var\nWARN slow\nERROR retry failed\n",
    )
    parse = run_job(root, "build/parse_logs.py")
    assert parse.returncode == 0, parse.stdout
    assert_clean_log(parse.stdout)
    as_json = spark.read.json(str(root / "data" / "records_json"))
    assert sorted((r.level, r.message) for r in as_json.collect()) == [
        ("ERROR", "disk full on /var"),
        ("ERROR", "retry failed"),
        ("INFO", "started"),
        ("WARN", "slow"),
    ]

    stream = run_job(root, "build/stream_records.py", "--available-now")
    assert stream.returncode == 0, stream.stdout
    assert_clean_log(stream.stdout)
    errors = spark.read.option("header", "true").csv(str(root / "data" / "errors_csv"))
    assert sorted(r.message for r in errors.collect()) == ["disk full on /var", "retry failed"]
    assert errors.columns == ["level", "message", "line_length"]  # written with a header row
