"""Generated jobs writing through foreachBatch, run for real: micro-batches into a real
PostgreSQL table (each batch once, even when Spark replays it after a restart), a batch
pipeline's plain JDBC write, the password only ever in the job's environment, and a user's
foreach_batch function copied into the job."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from harness import AQE_IN_FOREACH_BATCH_JOB, assert_clean_log, build, configure, drop_file, run_job
from infra import jars
from infra.postgres import PostgresServer
from infra.spark_packages import postgres_jdbc_package

pytestmark = [pytest.mark.spark, pytest.mark.infra]


@pytest.fixture(scope="module")
def postgres():
    jars.warm([postgres_jdbc_package()])
    with PostgresServer() as server:
        yield server


def for_postgres(root, postgres: PostgresServer, pipeline: str) -> tuple[str, list[str]]:
    """Point the project at the server with a fresh table; build; (table, packages)."""
    table = f"public.orders_{uuid.uuid4().hex[:8]}"
    configure(
        root,
        pg_url=postgres.jdbc_url,
        pg_user=postgres.user,
        orders_table=table,
        customers_table=table.replace("orders", "customers"),
    )
    packages = build(root, pipeline)
    assert packages == [postgres_jdbc_package()]
    return table, packages


ORDER_FILES = {
    # file -> orders; amount <= 0 and a missing customer are dropped by the node
    "o1.json": [(1, "ann", "10.50"), (2, " bob ", "3.00"), (3, "cy", "-1.00")],
    "o2.json": [(4, "ann", "7.25"), (5, None, "2.00")],
    "o3.json": [(6, "dee", "99.99")],
    "o4.json": [(7, "eve", "1.00"), (8, "ann", "2.00")],
}


def drop_orders(root, name: str) -> None:
    rows = [{"order_id": i, "customer": c, "amount": float(a)} for i, c, a in ORDER_FILES[name]]
    drop_file(root / "data" / "orders", name, "".join(json.dumps(r) + "\n" for r in rows))


def expected_rows(*names: str) -> list[tuple]:
    return sorted(
        (i, c.strip(), Decimal(a))
        for name in names
        for i, c, a in ORDER_FILES[name]
        if c is not None and Decimal(a) > 0
    )


def table_state(postgres: PostgresServer, table: str) -> tuple[list[tuple], dict[int, set[int]]]:
    """(sorted rows without the batch id, {batch id: order ids})."""
    rows = postgres.query(f"SELECT order_id, customer, amount, tauro_batch_id FROM {table}")
    batches: dict[int, set[int]] = {}
    for order_id, _c, _a, batch_id in rows:
        batches.setdefault(batch_id, set()).add(order_id)
    return sorted(r[:3] for r in rows), batches


def file_batches(*names: str) -> list[set[int]]:
    """The order ids each file contributes (maxFilesPerTrigger: 1 -> one file per batch)."""
    return sorted(({i for i, *_ in expected_rows(n)} for n in names), key=min)


def run(root, pipeline: str, packages, password: str) -> str:
    result = run_job(
        root,
        f"build/{pipeline}.py",
        "--available-now",
        env={"PG_PASSWORD": password},
        packages=packages,
    )
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout, AQE_IN_FOREACH_BATCH_JOB)
    return result.stdout


def test_stream_to_postgres_exact_rows_once_per_batch_and_no_secret_in_files(project, postgres):
    root = project("jdbc_orders")
    table, packages = for_postgres(root, postgres, "orders_to_postgres")
    for name in ("o1.json", "o2.json", "o3.json"):
        drop_orders(root, name)

    out = run(root, "orders_to_postgres", packages, postgres.password)
    assert "query orders_to_postgres.orders_table finished" in out
    rows, batches = table_state(postgres, table)
    assert rows == expected_rows("o1.json", "o2.json", "o3.json")
    # One micro-batch per file, each tagged with its batch id.
    assert set(batches) == {0, 1, 2}
    assert sorted(batches.values(), key=min) == file_batches("o1.json", "o2.json", "o3.json")

    # Restart on the same checkpoint with one new file: only that file's rows are added.
    drop_orders(root, "o4.json")
    out = run(root, "orders_to_postgres", packages, postgres.password)
    rows, batches = table_state(postgres, table)
    assert rows == expected_rows("o1.json", "o2.json", "o3.json", "o4.json")
    assert set(batches) == {0, 1, 2, 3}
    assert batches[3] == {7, 8}

    # The password reached the job through PG_PASSWORD only: no generated file, config
    # file or log line holds it.
    assert postgres.password not in out
    for path in (root / "build").rglob("*"):
        if path.is_file():
            assert postgres.password not in path.read_text(errors="replace"), path
    for path in (root / "config").rglob("*"):
        assert postgres.password not in path.read_text(), path
    assert "PG_PASSWORD" in (root / "build" / "orders_to_postgres.py").read_text()


def forget_commit(commits: Path, batch_id: int) -> None:
    """Remove a batch's entry from the commit log (and Hadoop's checksum file beside it)."""
    (commits / str(batch_id)).unlink()
    (commits / f".{batch_id}.crc").unlink(missing_ok=True)


def test_a_replayed_micro_batch_is_not_written_twice(project, postgres):
    root = project("jdbc_orders")
    table, packages = for_postgres(root, postgres, "orders_to_postgres")
    for name in ("o1.json", "o2.json", "o3.json"):
        drop_orders(root, name)
    run(root, "orders_to_postgres", packages, postgres.password)
    before = table_state(postgres, table)
    assert before[0] == expected_rows("o1.json", "o2.json", "o3.json")

    # What a crash between the table write and Spark's commit leaves behind: the batch is
    # in the table but not in the checkpoint's commit log. Spark replays it on restart.
    commits = root / "checkpoints" / "orders_to_postgres" / "orders_table" / "commits"
    last = max(int(p.name) for p in commits.iterdir() if p.name.isdigit())
    assert last == 2
    forget_commit(commits, last)
    out = run(root, "orders_to_postgres", packages, postgres.password)
    assert re.search(r"orders_to_postgres\.orders_table batch 2: ", out), out  # replayed
    assert (commits / "2").exists()
    after = table_state(postgres, table)
    assert after == before
    ids = [r[0] for r in postgres.query(f"SELECT order_id FROM {table}")]
    assert len(ids) == len(set(ids)) == len(expected_rows("o1.json", "o2.json", "o3.json"))

    # A crash before the write: neither in the table nor committed. The replay writes it.
    forget_commit(commits, 2)
    postgres.query(f"DELETE FROM {table} WHERE tauro_batch_id = 2")
    out = run(root, "orders_to_postgres", packages, postgres.password)
    assert re.search(r"orders_to_postgres\.orders_table batch 2: ", out), out
    assert table_state(postgres, table) == before


def test_missing_password_variable_stops_the_job_before_spark_starts(
    project, postgres, monkeypatch
):
    root = project("jdbc_orders")
    _table, packages = for_postgres(root, postgres, "orders_to_postgres")
    monkeypatch.delenv("PG_PASSWORD", raising=False)
    result = run_job(root, "build/orders_to_postgres.py", "--available-now", packages=packages)
    assert result.returncode == 2, result.stdout
    assert "PG_PASSWORD" in result.stdout
    assert not (root / "checkpoints").exists()


def test_batch_pipeline_jdbc_write_replaces_the_table(project, postgres):
    root = project("jdbc_orders")
    table, _ = for_postgres(root, postgres, "orders_to_postgres")
    customers = table.replace("orders", "customers")
    packages = build(root, "customers_to_postgres")
    assert packages == [postgres_jdbc_package()]
    drop_file(
        root / "data" / "customers", "c.csv", "customer_id,name,country\n1,Ann,gb\n2,Bob,fr\n"
    )
    for _ in range(2):  # mode: overwrite -> a rerun replaces the rows instead of adding them
        result = run_job(
            root,
            "build/customers_to_postgres.py",
            env={"PG_PASSWORD": postgres.password},
            packages=packages,
        )
        assert result.returncode == 0, result.stdout
        assert_clean_log(result.stdout, AQE_IN_FOREACH_BATCH_JOB)
        assert "wrote output customers_table" in result.stdout
        assert postgres.query(f"SELECT customer_id, name, country FROM {customers} ORDER BY 1") == [
            (1, "Ann", "GB"),
            (2, "Bob", "FR"),
        ]


def test_foreach_batch_user_function_is_copied_in_and_called_per_batch(project, spark):
    root = project("jdbc_orders")
    assert build(root, "orders_per_batch") == []  # plain files: no connector needed
    source = (root / "build" / "orders_per_batch.py").read_text()
    assert "def write_batch_files(df, batch_id):" in source
    assert "def batch_folder(batch_id):" in source
    assert 'OUT_DIR = os.path.join("data", "batches")' in source
    assert not re.search(r"^\s*(import src|from src[. ])", source, re.MULTILINE)

    # The job runs without the project's src/ next to it: the function is in the script.
    shutil.rmtree(root / "src")
    for name in ("o1.json", "o2.json", "o3.json"):
        drop_orders(root, name)
    result = run_job(root, "build/orders_per_batch.py", "--available-now")
    assert result.returncode == 0, result.stdout
    assert_clean_log(result.stdout, AQE_IN_FOREACH_BATCH_JOB)

    out = Path(root / "data" / "batches")
    assert sorted(p.name for p in out.iterdir()) == ["batch=00000", "batch=00001", "batch=00002"]
    per_batch = [
        {r.order_id for r in spark.read.parquet(str(out / f"batch={b:05d}")).collect()}
        for b in range(3)
    ]
    assert sorted(per_batch, key=min) == file_batches("o1.json", "o2.json", "o3.json")
    df = spark.read.parquet(str(out))
    assert {r.written_by for r in df.select("written_by").collect()} == {"write_batch_files"}
    assert sorted((r.order_id, r.customer, r.amount) for r in df.collect()) == expected_rows(
        "o1.json", "o2.json", "o3.json"
    )
