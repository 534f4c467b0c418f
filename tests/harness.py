"""Running generated jobs for real: spark-submit in its own process group, files dropped the
way Spark needs them (written elsewhere, renamed in), and output counted with Spark itself
(which honours the file sink's commit log, unlike parquet readers that list part files)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from infra import cds

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
LOG4J = REPO / "scripts" / "log4j2.properties"
PROJECTS = Path(__file__).resolve().parent / "projects"


def spark_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    env.update(extra or {})
    return env


# The lines of a normal run that are not the job's own and that a job cannot remove, as
# README.md's "Log lines of a normal run" lists them (each with its reason). Anything else
# at WARN or ERROR in a job's log fails `assert_clean_log`.
EXPECTED_LOG_LINES = (
    r"WARNING: Using incubator modules: jdk\.incubator\.vector",
    r"\S+ \S+ WARN NativeCodeLoader: Unable to load native-hadoop library for your platform",
    r"\S+ \S+ WARN MicroBatchExecution: Disabling AQE since AQE is not supported in stateful",
    r"\S+ \S+ WARN HDFSBackedStateStoreProvider .*: The state for version \d+ doesn't exist in "
    r"loadedMaps\. .*Note that this is normal for the first batch of starting query\.",
)
# A job with a foreachBatch sink keeps adaptive query execution for its micro-batches' batch
# work, and Spark says at each query start that the streaming query runs without it.
AQE_IN_FOREACH_BATCH_JOB = (
    r"\S+ \S+ WARN ResolveWriteToStream: spark\.sql\.adaptive\.enabled is not supported"
)
# Spark describes a plan of more than 25 columns (Delta reads its transaction log with
# one) truncated, and says so once per run.
DELTA_JOB = r"\S+ \S+ WARN SparkStringUtils: Truncated the string representation of a plan"
STACK_FRAME = re.compile(r"^\s+at [\w$.]+\(", re.MULTILINE)
WARNING_LINE = re.compile(r"(?:^|\s)(?:WARN|WARNING|ERROR|FATAL)[\s:]")  # a level, not a word


def assert_clean_log(log: str, *also_expected: str) -> None:
    """What a user reads as "it broke" is not in the log of a normal run: no stack frame of
    any language, no traceback, no WARN/ERROR beyond the documented ones (`also_expected`:
    patterns a test provokes on purpose)."""
    frame = STACK_FRAME.search(log)
    assert frame is None, f"stack frame in the job's log: {frame.group(0)!r}\n{log}"
    assert "Traceback" not in log, log
    expected = [re.compile(p) for p in (*EXPECTED_LOG_LINES, *also_expected)]
    unexpected = [
        line
        for line in log.splitlines()
        if WARNING_LINE.search(line) and not any(p.match(line) for p in expected)
    ]
    assert not unexpected, "unexpected warnings in the job's log:\n" + "\n".join(unexpected)


def driver_java_options(quiet_log: bool = False) -> str:
    """A JIT setting that makes short jobs ~25% faster and the suite's class-data archive
    (tests/infra/cds.py: start-up ~9 → ~4.5 s). Spark's log is what a user sees (Spark's own
    defaults) unless a test has a reason to ask for `quiet_log` (errors only)."""
    log4j = f"-Dlog4j2.configurationFile=file:{LOG4J} " if quiet_log else ""
    return f"{log4j}-XX:TieredStopAtLevel=1 {cds.java_options()}"


def submit_options(quiet_log: bool = False) -> list[str]:
    """The spark-submit options of every test run: local[2], `driver_java_options()`, no UI."""
    return [
        "--master",
        "local[2]",
        "--driver-java-options",
        driver_java_options(quiet_log),
        "--conf",
        "spark.ui.enabled=false",
        "--conf",
        "spark.ui.showConsoleProgress=false",
    ]


def submit_command(
    script: str, *args: str, packages: list[str] | None = None, quiet_log: bool = False
) -> list[str]:
    """spark-submit with `submit_options()`."""
    cmd = [str(VENV_BIN / "spark-submit"), *submit_options(quiet_log)]
    if packages:
        cmd += ["--packages", ",".join(packages)]
        cmd += ["--conf", f"spark.jars.ivy={REPO / '.cache' / 'ivy'}"]
    return cmd + [script, *args]


def run_command(pipeline: str, *args: str) -> list[str]:
    """`tauro-gen run` with the suite's spark-submit options passed through after --."""
    return [str(VENV_BIN / "tauro-gen"), "run", "--pipeline", pipeline, *args, "--"] + (
        submit_options()
    )


class SparkJob:
    """A generated job started with spark-submit in a new session (process group), like a
    terminal would run it, so that 'Ctrl+C' can be sent to the whole group."""

    def __init__(
        self,
        cwd: Path,
        script: str,
        *args: str,
        env: dict | None = None,
        packages=None,
        quiet_log: bool = False,
        command: list[str] | None = None,
    ):
        """`command` replaces spark-submit (e.g. `run_command`); `script` names it then."""
        self.cwd = Path(cwd)
        self.log_path = self.cwd / f"job-{uuid.uuid4().hex[:8]}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            command or submit_command(script, *args, packages=packages, quiet_log=quiet_log),
            cwd=self.cwd,
            env=spark_env(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, timeout: float = 90) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.log)
            if match:
                return match
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"job exited ({self.proc.returncode}) before /{pattern}/:\n{self.log}"
                )
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for /{pattern}/:\n{self.log}")

    def ctrl_c(self) -> None:
        """What a terminal does on Ctrl+C: SIGINT to every process of the foreground group."""
        os.killpg(self.proc.pid, signal.SIGINT)

    def kill_9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)

    def python_pid(self) -> int:
        """The job's Python process (spark-submit's JVM is its parent)."""
        out = subprocess.run(
            ["pgrep", "-f", "-P", str(self.proc.pid), "python"], capture_output=True, text=True
        ).stdout.split()
        if not out:
            raise AssertionError(f"no python child of {self.proc.pid}")
        return int(out[0])

    def wait(self, timeout: float = 120) -> int:
        """spark-submit's exit code, once every process of the job has ended: after a Ctrl+C
        the JVM may exit before its Python child has finished reporting."""
        try:
            code = self.proc.wait(timeout=timeout)
            wait_until(
                lambda: not _group_alive(self.proc.pid),
                timeout=timeout,
                what="job processes to end",
            )
            return code
        finally:
            self._log.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)
        self._log.close()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def run_job(
    cwd: Path, script: str, *args: str, env=None, packages=None, timeout=240, quiet_log=False
) -> subprocess.CompletedProcess:
    """Run a job to its end. Its whole output is in `.stdout`: spark-submit passes the Python
    process's stderr on through its own stdout anyway."""
    return subprocess.run(
        submit_command(script, *args, packages=packages, quiet_log=quiet_log),
        cwd=cwd,
        env=spark_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def committed_sink_frame(spark, folder: Path):
    """The rows a file sink has committed, or None before its first commit. A reader of a
    sink folder lists the files in `_spark_metadata` once that folder exists, so reading it
    between the first part file and the first commit fails with UNABLE_TO_INFER_SCHEMA."""
    log = folder / "_spark_metadata"
    if not log.is_dir() or not any(entry.name[:1].isdigit() for entry in log.iterdir()):
        return None
    return spark.read.parquet(str(folder))


def drop_file(folder: Path, name: str, text: str) -> Path:
    """Write beside the folder, then rename in: Spark reads a half-written file only half."""
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f".staging-{folder.name}"
    staging.mkdir(parents=True, exist_ok=True)
    tmp = staging / f"{uuid.uuid4().hex}-{name}"
    tmp.write_text(text)
    target = folder / name
    os.rename(tmp, target)
    return target


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(
        source, target, ignore=shutil.ignore_patterns("build", "data", "checkpoints", "__pycache__")
    )
    return target


def tauro_gen(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The CLI as a user runs it (a subprocess, so exit codes and stderr are real)."""
    return subprocess.run(
        [str(VENV_BIN / "tauro-gen"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def wait_until(predicate, timeout: float = 90, interval: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last value: {last!r})")


def configure(root: Path, **settings) -> None:
    """Test-time global settings (a broker's port, a database URL) over the placeholders a
    project commits in config/global_settings.yaml."""
    import yaml

    path = root / "config" / "global_settings.yaml"
    values = yaml.safe_load(path.read_text())
    values.update(settings)
    path.write_text(yaml.safe_dump(values, sort_keys=False))


def build(root: Path, pipeline: str) -> list[str]:
    """`tauro-gen build`; returns the --packages of the spark-submit command it prints."""
    result = tauro_gen("build", "--pipeline", pipeline, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"spark-submit --packages (\S+) ", result.stdout)
    return match.group(1).split(",") if match else []
