"""tests/projects/hostile_names end to end (issue 11, section 3): inputs, nodes, outputs,
pipelines and node code named like the generated job's own names (`stop`, `run`, `spark`,
`F`, `signal`, `log`, `main`, `PIPELINE`, `os`, a writer's and a schema constant's names),
and Unicode names (`ventes_été`, `sales_m²`). The job's own names yield; the jobs start,
give exactly the rows the node code says, stop on Ctrl+C and resume."""

from __future__ import annotations

import pytest
from harness import SparkJob, committed_sink_frame, drop_file, run_job, tauro_gen, wait_until

pytestmark = pytest.mark.spark


def rows(spark, folder) -> list[tuple]:
    frame = committed_sink_frame(spark, folder)
    if frame is None:
        return []
    return sorted(tuple(r) for r in frame.select(*sorted(frame.columns)).collect())


def test_hostile_names_stream_stop_and_resume(spark, project):
    root = project("hostile_names")
    build = tauro_gen("build", "--all", cwd=root)
    assert build.returncode == 0, build.stdout + build.stderr

    inputs = root / "data" / "in"
    drop_file(inputs / "stop", "a.csv", "id,amount\n1,10\n2,-1\n")
    drop_file(inputs / "ventes", "a.csv", "id,amount\n3,30\n")
    drop_file(inputs / "m2", "a.csv", "id,amount\n4,40\n")
    out = root / "data" / "out" / "main"
    # Columns sorted: amount, id, note (signal: os[:3]), pipeline (log: PIPELINE), tag (F).
    first = [
        (10.0, 1, "not", "the user's pipeline", "user"),
        (30.0, 3, "not", "the user's pipeline", "user"),
        (40.0, 4, "not", "the user's pipeline", "user"),
    ]
    job = SparkJob(root, "build/run.py")
    try:
        job.wait_for_log(r"query run\.main started")
        wait_until(lambda: rows(spark, out) == first, what="rows of three streams")
        job.ctrl_c()
        job.wait(timeout=60)
    finally:
        job.close()
    assert "Traceback" not in job.log, job.log
    assert "SIGINT received: stopping; a restart resumes from the checkpoints" in job.log

    drop_file(inputs / "ventes", "b.csv", "id,amount\n5,50\n")
    job = SparkJob(root, "build/run.py")
    try:
        job.wait_for_log(r"run\.main batch \d+: \d+ rows in, 1 rows out")
        wait_until(
            lambda: rows(spark, out)
            == sorted([*first, (50.0, 5, "not", "the user's pipeline", "user")]),
            what="the new row only",
        )
        job.ctrl_c()
        job.wait(timeout=60)
    finally:
        job.close()
    assert "Traceback" not in job.log, job.log

    # Pipeline F: a node function named stop, a foreach_batch function named run.
    drop_file(inputs / "log", "a.csv", "id,amount\n7,3.5\n")
    result = run_job(root, "build/F.py", "--available-now")
    assert result.returncode == 0, result.stdout
    # Written by the foreach_batch function: a plain folder, no sink log.
    signal = spark.read.parquet(str(root / "data" / "out" / "signal"))
    assert sorted(tuple(r) for r in signal.select(*sorted(signal.columns)).collect()) == [(7.0, 7)]
