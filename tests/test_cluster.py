"""A generated streaming job on a real Spark standalone cluster: one master and one worker on
127.0.0.1, started from the pip wheel's `spark-class`, and the job spark-submitted to it in
client mode. Proves the job has no hidden dependency on a local master (none is set in the
file) and that its relative paths work when executors run in other processes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from harness import drop_file, spark_env, submit_command, tauro_gen, wait_until

pytestmark = pytest.mark.spark


def _spark_class() -> str:
    """The pip wheel ships bin/spark-class (not sbin/start-master.sh): enough for both."""
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / "spark-class")


def _free_ports(count: int) -> list[int]:
    """`count` distinct free ports (all held open while they are chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class Daemon:
    """A master or worker JVM in its own process group (executors it forks join the group),
    stopped by pid on teardown whatever happened."""

    def __init__(self, name: str, args: list[str], log_dir: Path, env: dict[str, str]):
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 — closed in stop()
        self.proc = subprocess.Popen(
            [_spark_class(), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 15)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                continue
        try:  # executors the worker forked share its process group
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._log.close()


def _status(ui_port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5) as response:
        return json.load(response)


@dataclass
class Cluster:
    url: str  # spark://127.0.0.1:PORT
    ui_port: int  # the master's web UI (its /json/ status)
    worker_dir: Path  # where the worker runs executors: app-*/<executor>/stderr


@pytest.fixture
def standalone(tmp_path):
    """A master and a 2-core worker on loopback; both (and any executor) stopped after."""
    logs = tmp_path / "cluster-logs"
    logs.mkdir()
    env = spark_env(
        {
            "SPARK_WORKER_DIR": str(tmp_path / "worker"),  # default is inside site-packages
            "SPARK_LOG_DIR": str(logs),
            "SPARK_NO_DAEMONIZE": "1",
        }
    )
    port, ui, worker_ui = _free_ports(3)
    url = f"spark://127.0.0.1:{port}"
    daemons = []
    try:
        daemons.append(
            Daemon(
                "master",
                [
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--webui-port",
                    str(ui),
                ],
                logs,
                env,
            )
        )
        daemons.append(
            Daemon(
                "worker",
                [
                    "org.apache.spark.deploy.worker.Worker",
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    "2",
                    "--memory",
                    "2g",
                    "--webui-port",
                    str(worker_ui),
                    url,
                ],
                logs,
                env,
            )
        )
        deadline = time.monotonic() + 90
        while True:
            try:
                if any(w["state"] == "ALIVE" for w in _status(ui)["workers"]):
                    break
            except (OSError, ValueError):  # not listening yet, or not serving /json/ yet
                pass
            for daemon in daemons:
                if daemon.proc.poll() is not None:
                    raise AssertionError(f"{daemon.log_path.name} exited:\n{daemon.log}")
            if time.monotonic() > deadline:
                raise AssertionError("no worker registered:\n" + daemons[-1].log)
            time.sleep(0.5)
        yield Cluster(url, ui, tmp_path / "worker")
    finally:
        for daemon in reversed(daemons):
            daemon.stop()


def test_generated_streaming_job_runs_on_a_standalone_cluster(standalone, tutorial, spark):
    assert tauro_gen("build", "--all", cwd=tutorial).returncode == 0
    inbox = tutorial / "data" / "input"
    drop_file(inbox, "a.csv", "id,date,amount\n1,2024-01-01,10.5\n2,2024-01-02,-3\n")
    drop_file(inbox, "b.csv", "id,date,amount\n3,2024-01-03,7\n4,2024-01-04,8\n")

    cmd = submit_command("build/real_time_sales.py", "--available-now")
    cmd[cmd.index("--master") + 1] = standalone.url
    cmd[1:1] = ["--conf", "spark.cores.max=2", "--executor-memory", "1g"]
    started = time.monotonic()
    result = subprocess.run(
        cmd, cwd=tutorial, env=spark_env(), capture_output=True, text=True, timeout=240, check=False
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"batch \d+: 3 rows in, 3 rows out", output), output

    # The master ran it: one application, finished, that was granted the worker's cores.
    status = wait_until(
        lambda: _status(standalone.ui_port)["completedapps"], timeout=30, what="a finished app"
    )
    assert [app["name"] for app in status] == ["tauro-gen:real_time_sales"], status
    assert list(standalone.worker_dir.glob("app-*/*/stderr")), "no executor ran on the worker"
    assert spark.read.parquet(str(tutorial / "data" / "output")).count() == 3
    print(f"standalone availableNow run: {elapsed:.1f} s")
