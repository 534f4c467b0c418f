"""What `tauro-gen diff` predicts, real Spark confirms: run a job, change the project, rebuild,
restart on the same checkpoint.

- unsafe `source-count`: a streaming source added to a query -> Spark refuses to restart;
- unsafe `aggregation-changed`: grouping keys changed -> Spark refuses the old state;
- safe `source-rate-limit` (+ `trigger`): Spark restarts, reads only the new files, and
  applies the new rate limit; and, as `checkpoint-conf-stateless` says, it keeps the
  spark.sql.shuffle.partitions recorded in the checkpoint instead of the new value.

Each job runs with --available-now on a file or two (spark-submit, ~10-15 s a run on an idle
machine).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from harness import assert_clean_log, drop_file, run_job, tauro_gen

pytestmark = pytest.mark.spark

SCHEMA = '"id INT, customer STRING, amount DOUBLE"'
INPUTS = f"""\
inputs:
  orders:
    format: csv
    path: data/orders/
    streaming: true
    schema: {SCHEMA}
  returns:
    format: csv
    path: data/returns/
    streaming: true
    schema: {SCHEMA}
"""
PIPELINES = """\
pipelines:
  shop:
    nodes: [{node}]
    spark_conf:
      spark.sql.shuffle.partitions: 2
"""


def write_project(root: Path, node: str, inputs: str, output: str, code: str) -> None:
    files = {
        "config/inputs.yaml": INPUTS,
        "config/pipelines.yaml": PIPELINES.format(node=node),
        "config/nodes.yaml": (
            f"nodes:\n  {node}:\n    function: src.nodes.shop.{node}\n"
            f"    input: [{inputs}]\n    output: out\n"
        ),
        "config/outputs.yaml": "outputs:\n  out:\n" + output,
        "src/nodes/shop.py": code,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def build(root: Path) -> None:
    """Build, keeping the previous build in build_old/ for `tauro-gen diff`."""
    if (root / "build").is_dir():
        shutil.rmtree(root / "build_old", ignore_errors=True)
        shutil.copytree(root / "build", root / "build_old")
    result = tauro_gen("build", "--all", cwd=root)
    assert result.returncode == 0, result.stderr


def diff(root: Path):
    return tauro_gen("diff", "build_old/shop.py", "build/shop.py", cwd=root)


def run(root: Path):
    return run_job(root, "build/shop.py", "--available-now")


def csv(*rows: tuple) -> str:
    return "id,customer,amount\n" + "".join(f"{i},{c},{a}\n" for i, c, a in rows)


FILE_SINK = "    format: parquet\n    path: data/out/\n"
KEEP = 'def keep(orders):\n    return orders.filter("amount > 0")\n'
KEEP_BOTH = (
    "def keep(orders, returns):\n" '    return orders.unionByName(returns).filter("amount > 0")\n'
)


def test_unsafe_source_added_spark_refuses_to_restart(tmp_path):
    root = tmp_path / "shop"
    write_project(root, "keep", "orders", FILE_SINK, KEEP)
    build(root)
    drop_file(root / "data/orders", "o1.csv", csv((1, "a", 1.0), (2, "b", 2.0)))
    first = run(root)
    assert first.returncode == 0, first.stdout
    assert_clean_log(first.stdout)

    write_project(root, "keep", "orders, returns", FILE_SINK, KEEP_BOTH)
    build(root)
    predicted = diff(root)
    assert predicted.returncode == 1, predicted.stdout
    assert "UNSAFE  [source-count] streaming sources 1 -> 2 (added 'returns')" in predicted.stdout

    drop_file(root / "data/returns", "r1.csv", csv((3, "a", 1.0)))
    restarted = run(root)
    assert restarted.returncode == 1, restarted.stdout
    assert (
        "query shop.out failed: assertion failed: There are [1] sources in the checkpoint "
        "offsets and now there are [2] sources requested by the query. Cannot continue."
    ) in restarted.stdout


TOTALS_SINK = "    format: console\n    output_mode: complete\n"
TOTALS = (
    "from pyspark.sql import functions as F\n\n\n"
    "def totals(orders):\n"
    '    return orders.groupBy("customer").agg(F.sum("amount").alias("total"))\n'
)


def test_unsafe_grouping_keys_changed_spark_refuses_the_state(tmp_path):
    root = tmp_path / "shop"
    write_project(root, "totals", "orders", TOTALS_SINK, TOTALS)
    build(root)
    drop_file(root / "data/orders", "o1.csv", csv((1, "a", 1.0), (2, "b", 2.0)))
    first = run(root)
    assert first.returncode == 0, first.stdout
    assert_clean_log(first.stdout)
    assert "|       a|  1.0|" in first.stdout  # the console sink's table

    write_project(
        root,
        "totals",
        "orders",
        TOTALS_SINK,
        TOTALS.replace('groupBy("customer")', 'groupBy("customer", "id")'),
    )
    build(root)
    predicted = diff(root)
    assert predicted.returncode == 1, predicted.stdout
    assert (
        "UNSAFE  [aggregation-changed] aggregation in node 'totals': keys 'customer' -> "
        "'customer', 'id'"
    ) in predicted.stdout

    drop_file(root / "data/orders", "o2.csv", csv((3, "a", 5.0)))
    restarted = run(root)
    assert restarted.returncode == 1, restarted.stdout
    assert (
        "query shop.out failed: [STATE_STORE_KEY_SCHEMA_NOT_COMPATIBLE] Provided key schema "
        "does not match existing state key schema."
    ) in restarted.stdout


def test_safe_rate_limit_and_trigger_change_restarts_where_it_stopped(tmp_path, spark):
    root = tmp_path / "shop"
    write_project(root, "keep", "orders", FILE_SINK, KEEP)
    build(root)
    drop_file(root / "data/orders", "o1.csv", csv((1, "a", 1.0), (2, "b", 2.0)))
    first = run(root)
    assert first.returncode == 0, first.stdout
    assert_clean_log(first.stdout)

    inputs = INPUTS.replace(
        "path: data/orders/\n",
        "path: data/orders/\n    options: {maxFilesPerTrigger: 1}\n",
        1,
    )
    write_project(
        root,
        "keep",
        "orders",
        FILE_SINK + "    trigger: {processing_time: 5 seconds}\n",
        KEEP,
    )
    (root / "config/inputs.yaml").write_text(inputs)
    pipelines = root / "config/pipelines.yaml"  # and a setting Spark keeps in the checkpoint
    pipelines.write_text(pipelines.read_text().replace("partitions: 2", "partitions: 8"))
    build(root)
    predicted = diff(root)
    assert predicted.returncode == 0, predicted.stdout
    assert (
        "safe    [source-rate-limit] input 'orders': option maxFilesPerTrigger (none) -> '1'"
        in (predicted.stdout)
    )
    assert (
        "review  [checkpoint-conf-stateless] spark.sql.shuffle.partitions: 2 -> 8"
        in predicted.stdout
    )
    assert "0 unsafe, 1 to review, 2 safe" in predicted.stdout

    drop_file(root / "data/orders", "o2.csv", csv((3, "c", 3.0)))
    drop_file(root / "data/orders", "o3.csv", csv((4, "d", 4.0)))
    restarted = run(root)
    assert restarted.returncode == 0, restarted.stdout
    # Spark says it keeps the checkpoint's number of partitions: what `diff` flagged to review.
    assert_clean_log(
        restarted.stdout,
        r"\S+ \S+ WARN OffsetSeqMetadata: Updating the value of conf "
        r"'spark\.sql\.streaming\.internal\.stateStore\.partitions'",
    )
    # The checkpoint was restored: o1 is not read again, and the new limit makes two batches.
    assert "shop.out batch 1: 1 rows in" in restarted.stdout
    assert "shop.out batch 2: 1 rows in" in restarted.stdout
    assert "batch 3" not in restarted.stdout
    ids = sorted(r.id for r in spark.read.parquet(str(root / "data/out")).collect())
    assert ids == [1, 2, 3, 4]
    # As `checkpoint-conf` says: Spark kept the value recorded in the checkpoint (2), not 8.
    for batch in ("1", "2"):
        offsets = (root / "checkpoints/shop/out/offsets" / batch).read_text().splitlines()
        metadata = json.loads(offsets[1])
        assert metadata["conf"]["spark.sql.shuffle.partitions"] == "2"
