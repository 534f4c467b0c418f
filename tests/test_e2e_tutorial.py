"""The seed tutorial, end to end, with real spark-submit: the user story of the product."""

from __future__ import annotations

import re
import subprocess

import pyarrow.parquet as pq
import pytest
from harness import (
    SparkJob,
    assert_clean_log,
    committed_sink_frame,
    drop_file,
    tauro_gen,
    wait_until,
)

pytestmark = pytest.mark.spark

DAY_1 = """id,date,amount,customer
1,2024-01-15,150.00,Alice
2,2024-01-15,200.00,Bob
3,2024-01-15,75.50,Charlie
"""
DAY_2 = """id,date,amount,customer
4,2024-01-16,300.00,David
5,2024-01-16,125.00,Eve
"""
DAY_3 = """id,date,amount,customer
6,2024-01-17,10.00,Frank
7,2024-01-17,-5.00,Grace
"""


def output_ids(spark, project) -> list[int]:
    frame = committed_sink_frame(spark, project / "data" / "output")
    return [] if frame is None else sorted(r.id for r in frame.select("id").collect())


def test_tutorial_streams_files_stops_on_ctrl_c_and_resumes(spark, tutorial):
    build = tauro_gen("build", "--env", "dev", "--pipeline", "real_time_sales", cwd=tutorial)
    assert build.returncode == 0, build.stderr
    assert "environment 'dev' has no config/dev/ overlay" in build.stderr
    script = "build/dev/real_time_sales.py"
    assert (tutorial / script).is_file()
    assert f"spark-submit {script}" in build.stdout

    # As in the tutorial: the job starts first, the input folder appears later.
    job = SparkJob(tutorial, script)
    try:
        job.wait_for_log("waiting for a first file in data/input/")
        drop_file(tutorial / "data" / "input", "sales_2024_01_15.csv", DAY_1)
        job.wait_for_log(r"batch 0: 3 rows in, 3 rows out")
        drop_file(tutorial / "data" / "input", "sales_2024_01_16.csv", DAY_2)
        wait_until(lambda: output_ids(spark, tutorial) == [1, 2, 3, 4, 5], what="5 rows")
        job.ctrl_c()
        code = job.wait(timeout=60)
    finally:
        job.close()
    log = job.log
    # The driver's JVM leaves a terminal's SIGINT to Python, which stops the query between
    # batches and exits 0 (README: Stopping).
    assert code == 0, log
    assert "stopped 1 query(ies) cleanly" in log
    # Spark's default logging, as a user runs it: no stack trace, no warning but the
    # documented ones (first start: no pinned schema, no input folder yet; Ctrl+C).
    assert "Using Spark's default log4j profile" in log
    assert_clean_log(log)
    assert "SIGINT received: stopping; a restart resumes from the checkpoints" in log

    rows = spark.read.parquet(str(tutorial / "data" / "output")).collect()
    assert len(rows) == 5
    assert all(r.processed_at is not None for r in rows)
    # processed_at is written as Parquet's standard TIMESTAMP(MICROS), not deprecated INT96
    # (pyarrow would read INT96 as nanoseconds): a default tauro-gen adds.
    part = next((tutorial / "data" / "output").glob("part-*.parquet"))
    assert pq.read_schema(part).field("processed_at").type.unit == "us"
    assert {r.id: r.day_of_week for r in rows} == {1: 2, 2: 2, 3: 2, 4: 3, 5: 3}  # Mon, Tue

    # Restart on the same checkpoint: old files are not read again, the new one is.
    drop_file(tutorial / "data" / "input", "sales_2024_01_17.csv", DAY_3)
    job = SparkJob(tutorial, script)
    try:
        job.wait_for_log(r"batch 2: \d+ rows in, 1 rows out")
        assert output_ids(spark, tutorial) == [1, 2, 3, 4, 5, 6]  # 7 has a negative amount
        job.ctrl_c()
        job.wait(timeout=60)
    finally:
        job.close()
    assert_clean_log(job.log)
    assert "batch 1" not in job.log  # the pinned schema and checkpoint were reused as they were


def test_sigterm_to_the_python_process_stops_cleanly_with_exit_0(tutorial):
    """Also: a Spark warning that tells the user something still shows (the job's log is
    not silenced wholesale): a file whose header does not match the pinned schema."""
    assert tauro_gen("build", "--pipeline", "real_time_sales", cwd=tutorial).returncode == 0
    drop_file(tutorial / "data" / "input", "a.csv", DAY_1)
    job = SparkJob(tutorial, "build/real_time_sales.py")
    try:
        job.wait_for_log(r"batch 0: 3 rows in")
        drop_file(tutorial / "data" / "input", "b.csv", DAY_2.replace("customer", "buyer"))
        job.wait_for_log(r"batch 1: 2 rows in")
        subprocess.run(["kill", "-TERM", str(job.python_pid())], check=True)
        assert job.wait(timeout=60) == 0, job.log
    finally:
        job.close()
    assert "SIGTERM received: stopping; a restart resumes from the checkpoints" in job.log
    assert "stopped 1 query(ies) cleanly" in job.log
    header_warning = r"\S+ \S+ WARN CSVHeaderChecker: CSV header does not conform to the schema"
    assert re.search(header_warning, job.log), job.log
    assert "Expected: customer but found: buyer" in job.log
    assert_clean_log(job.log, header_warning)
