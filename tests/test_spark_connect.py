"""Generated jobs over Spark Connect: a local Connect server (the pip wheel ships the
spark-connect jar; `spark-submit --class ...SparkConnectServer` starts it) and the job run with
plain `python` and SPARK_REMOTE=sc://127.0.0.1:PORT, so any SparkContext-only API, py4j call or
JVM access in the generated code fails here.

The client side needs pyspark's `connect` extra: pandas, pyarrow, grpcio, grpcio-status,
googleapis-common-protos, zstandard (and numpy). Relative paths in a job resolve on the
*server*, so the server is started in the project folder, as the job would be.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from harness import VENV_BIN, driver_java_options, drop_file, spark_env, tauro_gen

pytestmark = pytest.mark.spark

for _module in ("pandas", "pyarrow", "grpc", "grpc_status", "google.rpc", "zstandard"):
    pytest.importorskip(_module, reason="Spark Connect client deps: pip install 'pyspark[connect]'")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ConnectServer:
    """`spark-submit --class org.apache.spark.sql.connect.service.SparkConnectServer` in its own
    process group, started in `cwd`, stopped by pid."""

    def __init__(self, cwd: Path, conf: dict[str, str] | None = None):
        self.port = _free_port()
        self.log_path = cwd / "connect-server.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 — closed in stop()
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "spark-submit"),
                "--class",
                "org.apache.spark.sql.connect.service.SparkConnectServer",
                "--master",
                "local[2]",
                "--driver-java-options",
                driver_java_options(),
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.connect.grpc.binding.address=127.0.0.1",
                "--conf",
                f"spark.connect.grpc.binding.port={self.port}",
                *[
                    arg
                    for key, value in (conf or {}).items()
                    for arg in ("--conf", f"{key}={value}")
                ],
            ],
            cwd=cwd,
            env=spark_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while not self._listening():
            if self.proc.poll() is not None:
                raise AssertionError(f"Connect server exited:\n{self.log_path.read_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"Connect server not up:\n{self.log_path.read_text()}")
            time.sleep(0.5)

    @property
    def remote(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    def _listening(self) -> bool:
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=20)
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        self._log.close()


@pytest.fixture
def connect_server():
    """Factory: a Connect server started in a project folder; every one stopped after."""
    servers: list[ConnectServer] = []

    def start(cwd: Path, conf: dict[str, str] | None = None) -> ConnectServer:
        servers.append(ConnectServer(cwd, conf))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def run_over_connect(root: Path, server: ConnectServer, *args: str) -> subprocess.CompletedProcess:
    """The generated file run by plain python: pyspark connects to SPARK_REMOTE."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYSPARK")}
    env["SPARK_REMOTE"] = server.remote
    return subprocess.run(
        [sys.executable, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_generated_batch_job_runs_over_spark_connect(project, connect_server, spark):
    root = project("batch_sales")
    assert tauro_gen("build", "--all", cwd=root).returncode == 0
    drop_file(
        root / "data" / "raw",
        "day1.csv",
        "id,date,amount,customer\n1,2024-01-15,150.00,Alice\n2,2024-01-15,-20.00,Alice\n"
        "3,2024-01-15,60.00,Bob\n4,2024-01-15,50.00,Bob\n",
    )
    server = connect_server(root)
    started = time.monotonic()
    result = run_over_connect(root, server, "build/daily_sales_report.py")
    print(f"batch job over Connect: {time.monotonic() - started:.1f} s")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wrote output customer_revenue" in result.stderr
    rows = {
        (str(r.date), r.customer): r.revenue
        for r in spark.read.parquet(str(root / "data" / "report")).collect()
    }
    assert rows == {
        ("2024-01-15", "Alice"): Decimal("150.00"),
        ("2024-01-15", "Bob"): Decimal("110.00"),
    }


# pyspark 4.2's Connect client builds StreamingQueryProgress.observedMetrics from JSON as
# Row(values=[...], schema={...}); the job's progress line reads both that and the classic Row.
def test_generated_streaming_job_runs_over_spark_connect(tutorial, connect_server, spark):
    assert tauro_gen("build", "--all", cwd=tutorial).returncode == 0
    inbox = tutorial / "data" / "input"
    drop_file(inbox, "a.csv", "id,date,amount\n1,2024-01-01,10.5\n2,2024-01-02,-3\n")
    drop_file(inbox, "b.csv", "id,date,amount\n3,2024-01-03,7\n")
    server = connect_server(tutorial)
    started = time.monotonic()
    result = run_over_connect(tutorial, server, "build/real_time_sales.py", "--available-now")
    print(f"streaming availableNow job over Connect: {time.monotonic() - started:.1f} s")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"batch \d+: 2 rows in, 2 rows out", output), output
    assert spark.read.parquet(str(tutorial / "data" / "output")).count() == 2


def test_a_stateful_job_leaves_shuffle_partitions_to_the_connect_server(
    project, connect_server, spark
):
    """A stream-stream join: the job sizes shuffle partitions to its cores under
    spark-submit, but a Connect client has no SparkContext to count them and must not fail
    looking for one."""
    root = project("streaming_join")
    assert tauro_gen("build", "--all", cwd=root).returncode == 0
    assert "def size_shuffle_partitions" in (root / "build" / "click_attribution.py").read_text()
    drop_file(
        root / "data" / "impressions",
        "imp.json",
        '{"ad_id": 1, "campaign": "spring", "impression_time": "2024-05-01T10:00:00"}\n',
    )
    drop_file(
        root / "data" / "clicks",
        "clicks.json",
        '{"click_ad_id": 1, "click_time": "2024-05-01T10:01:00", "user_id": "u1"}\n',
    )
    # The server's own setting (2; Spark's default of 200 would make this join run 200
    # state stores per micro-batch) is what the query must record.
    server = connect_server(root, {"spark.sql.shuffle.partitions": "2"})
    result = run_over_connect(root, server, "build/click_attribution.py", "--available-now")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "shuffle partitions for new checkpoints" not in output
    offsets = sorted((root / "checkpoints").glob("**/offsets/0"))
    assert offsets, output
    assert '"spark.sql.shuffle.partitions":"2"' in offsets[0].read_text()
    rows = spark.read.parquet(str(root / "data" / "attributed")).collect()
    assert [(r.ad_id, r.user_id) for r in rows] == [(1, "u1")]
