"""`tauro-gen run`: build, then the job under the pinned pyspark's spark-submit, in the
project folder, with the job's exit code; Ctrl+C as with spark-submit itself."""

from __future__ import annotations

import re
import subprocess

import pytest
from harness import SparkJob, assert_clean_log, drop_file, run_command, spark_env, wait_until
from test_e2e_tutorial import DAY_1, DAY_2, DAY_3, output_ids

pytestmark = pytest.mark.spark


def test_run_available_now_builds_then_runs_the_job_with_the_extra_arguments(spark, tutorial):
    drop_file(tutorial / "data" / "input", "day1.csv", DAY_1)
    drop_file(tutorial / "data" / "input", "day2.csv", DAY_2)
    result = subprocess.run(
        [*run_command("real_time_sales", "--available-now"), "--verbose"],
        cwd=tutorial,
        env=spark_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Built exactly as `build` writes it (same lines), then run from the project folder.
    assert "build/real_time_sales.py (streaming, written)" in result.stdout
    assert (tutorial / "build" / "real_time_sales.manifest.json").is_file()
    # The arguments after -- reached spark-submit (--verbose prints what it parsed).
    assert "Parsed arguments:" in result.stderr
    assert re.search(r"master\s+local\[2\]", result.stderr), result.stderr
    assert "query real_time_sales.processed_sales finished" in result.stderr + result.stdout
    assert output_ids(spark, tutorial) == [1, 2, 3, 4, 5]
    job_log = result.stderr
    assert_clean_log(job_log)


def test_ctrl_c_to_the_process_group_stops_like_spark_submit_and_a_restart_resumes(spark, tutorial):
    job = SparkJob(tutorial, "tauro-gen run", command=run_command("real_time_sales"))
    try:
        job.wait_for_log("waiting for a first file in data/input/")
        drop_file(tutorial / "data" / "input", "day1.csv", DAY_1)
        job.wait_for_log(r"batch 0: 3 rows in, 3 rows out")
        drop_file(tutorial / "data" / "input", "day2.csv", DAY_2)
        wait_until(lambda: output_ids(spark, tutorial) == [1, 2, 3, 4, 5], what="5 rows")
        job.ctrl_c()  # SIGINT to tauro-gen's process group, as a terminal sends it
        code = job.wait(timeout=60)
    finally:
        job.close()
    log = job.log
    # The job's own lines and its clean stop's exit code (0: the driver's JVM leaves a
    # terminal's SIGINT to Python); nothing from tauro-gen itself.
    assert log.count("SIGINT received: stopping; a restart resumes from the checkpoints") == 1
    assert "stopped 1 query(ies) cleanly" in log
    assert code == 0, log
    assert_clean_log(log)
    assert "KeyboardInterrupt" not in log and "Aborted" not in log

    drop_file(tutorial / "data" / "input", "day3.csv", DAY_3)
    job = SparkJob(tutorial, "tauro-gen run", command=run_command("real_time_sales"))
    try:
        job.wait_for_log(r"batch 2: \d+ rows in, 1 rows out")
        job.ctrl_c()
        job.wait(timeout=60)
    finally:
        job.close()
    assert "build/real_time_sales.py (streaming, unchanged)" in job.log
    assert "batch 1" not in job.log  # resumed from the checkpoint: old files not read again
    rows = spark.read.parquet(str(tutorial / "data" / "output")).select("id").collect()
    assert sorted(r.id for r in rows) == [1, 2, 3, 4, 5, 6]  # no duplicates


def test_sigterm_to_tauro_gen_alone_reaches_the_job(tutorial):
    drop_file(tutorial / "data" / "input", "day1.csv", DAY_1)
    job = SparkJob(tutorial, "tauro-gen run", command=run_command("real_time_sales"))
    try:
        job.wait_for_log(r"batch 0: 3 rows in")
        job.proc.terminate()  # tauro-gen's own pid, not its group
        code = job.wait(timeout=60)
    finally:
        job.close()
    assert "SIGTERM received: stopping; a restart resumes from the checkpoints" in job.log
    assert code == 143, job.log  # spark-submit's JVM ends on SIGTERM, as without tauro-gen
    assert_clean_log(job.log)
