"""`tauro-gen run`: a generated job started with the pinned pyspark's spark-submit.

The job runs as if the user had typed the spark-submit line a build prints, in the project
folder: same command, same output, same exit code, and Ctrl+C does what it does there.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# spark-submit in a process group of its own (`process_group` is Python 3.11+).
OWN_GROUP = {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
# What a terminal's Ctrl+C, a closed terminal or `kill` sends to tauro-gen: passed on to
# the job's process group as it is.
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class LaunchError(Exception):
    """spark-submit cannot start (no spark-submit, no Java): one line for the user."""


@dataclass(frozen=True)
class Launch:
    command: tuple[str, ...]
    cwd: Path
    env: dict[str, str]


def find_spark_submit() -> Path:
    """The spark-submit of the pyspark tauro-gen runs with: installed next to this
    interpreter (a venv's bin/), or else the one inside the pyspark package."""
    beside = Path(sys.executable).parent / "spark-submit"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    spec = importlib.util.find_spec("pyspark")
    if spec is not None and spec.origin is not None:
        packaged = Path(spec.origin).parent / "bin" / "spark-submit"
        if packaged.is_file():
            return packaged
    raise LaunchError(
        "spark-submit not found: install pyspark in the environment tauro-gen runs in "
        "(pip install pyspark)"
    )


def check_java(env: dict[str, str]) -> None:
    """spark-submit starts the `java` of JAVA_HOME, or else the one on PATH."""
    java_home = env.get("JAVA_HOME")
    if java_home:
        if not (Path(java_home) / "bin" / "java").is_file():
            raise LaunchError(f"JAVA_HOME={java_home} holds no bin/java: point it at Java 17+")
        return
    if shutil.which("java", path=env.get("PATH", "")) is None:
        raise LaunchError("java not found: install Java 17+ or set JAVA_HOME")


def launch(
    project: Path,
    job: str,
    packages: tuple[str, ...],
    job_args: tuple[str, ...] = (),
    submit_args: tuple[str, ...] = (),
) -> Launch:
    """The spark-submit command for `job` (relative to `project`), with the connector
    packages it needs; `submit_args` go to spark-submit, `job_args` to the job."""
    env = dict(os.environ)
    check_java(env)
    spark_submit = find_spark_submit()
    # The job's Python must be the one with this pyspark: spark-submit would otherwise take
    # whatever `python3` is on PATH.
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = [str(spark_submit)]
    if packages:
        command += ["--packages", ",".join(packages)]
    command += [*submit_args, job, *job_args]
    return Launch(tuple(command), project, env)


def run(launch: Launch) -> int:
    """Run to the end; the job's exit code (128+N when a signal N ended it, as a shell says).

    spark-submit runs in a process group of its own, and a signal in FORWARDED_SIGNALS that
    reaches tauro-gen is sent on to that whole group. So a terminal's Ctrl+C (which hits
    tauro-gen, the foreground group) reaches the JVM and the job's Python exactly as when
    spark-submit runs in the foreground itself, and a SIGTERM sent to tauro-gen alone
    reaches the job too (spark-submit's JVM then ends with 130 after SIGINT, 143 after
    SIGTERM, as it does without tauro-gen; checkpoints stay consistent and a restart
    resumes). tauro-gen itself says nothing: the job reports its own stop.
    """
    children: list[subprocess.Popen] = []

    def forward(signum: int, frame: object) -> None:
        for child in children:  # none yet: the signal came before the job started
            try:
                os.killpg(child.pid, signum)
            except ProcessLookupError:
                pass  # already gone

    # Installed before the job starts, so that no signal can end tauro-gen and leave the
    # job running. (Handlers, unlike ignored signals, are not inherited by spark-submit.)
    previous = {signum: signal.signal(signum, forward) for signum in FORWARDED_SIGNALS}
    try:
        try:
            children.append(
                subprocess.Popen(launch.command, cwd=launch.cwd, env=launch.env, **OWN_GROUP)
            )
        except OSError as error:
            raise LaunchError(f"cannot start {launch.command[0]}: {error.strerror}") from None
        code = children[0].wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code if code >= 0 else 128 - code
