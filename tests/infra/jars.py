"""Fast, offline-repeatable ``spark-submit --packages`` resolution, and spark-submit helpers.

``--packages`` is resolved by Ivy inside spark-submit. Pointing ``spark.jars.ivy`` at
``<repo>/.cache/ivy`` keeps the downloaded jars (``cache/``) and the retrieved copies
(``jars/``) in the repo's git-ignored cache, so a second run resolves from disk only
(~1 s of Ivy work instead of ~8 s, and it works with no network at all).

Ivy's cache takes no lock: the first (cold) resolution of a package set should not run in
several processes at once. :func:`warm` resolves a set once under a file lock and records it;
call it from a session fixture before running jobs in parallel.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import CACHE_DIR

IVY_DIR = CACHE_DIR / "ivy"

QUIET_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n
"""


def spark_submit_args(packages: list[str]) -> list[str]:
    """Extra spark-submit arguments that resolve ``packages`` through the repo's Ivy cache."""
    args = ["--conf", f"spark.jars.ivy={IVY_DIR}"]
    if packages:
        args = ["--packages", ",".join(packages)] + args
    return args


def spark_submit_executable() -> str:
    """``spark-submit`` from the running interpreter's venv (falls back to PATH)."""
    candidate = Path(sys.executable).parent / "spark-submit"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("spark-submit")
    if not found:
        raise RuntimeError("spark-submit not found next to the interpreter nor on PATH")
    return found


def spark_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a spark-submit child: venv ``bin`` first on PATH, loopback only,
    the current interpreter as PySpark's Python."""
    env = dict(os.environ if base is None else base)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    return env


def write_quiet_log4j2(directory: Path) -> Path:
    """Write a log4j2.properties (errors only, on stderr) into ``directory``; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "log4j2.properties"
    path.write_text(QUIET_LOG4J2)
    return path


def quiet_driver_args(log4j2_file: Path, java_options: str = "") -> list[str]:
    """spark-submit arguments for quiet, fast short jobs (log4j2 file given at JVM start),
    with `java_options` for the driver JVM too."""
    return [
        "--driver-java-options",
        f"-Dlog4j2.configurationFile=file:{log4j2_file.resolve()} -XX:TieredStopAtLevel=1 "
        + java_options,
        "--conf",
        "spark.ui.showConsoleProgress=false",
        "--conf",
        "spark.ui.enabled=false",
    ]


def _marker(package: str) -> Path:
    safe = package.replace(":", "__").replace("/", "_")
    return IVY_DIR / "resolved" / safe


def is_warm(packages: list[str]) -> bool:
    """True when every package was resolved into the Ivy cache by :func:`warm` before.

    Ivy caches per module, so a set is warm when each of its packages is.
    """
    return all(_marker(p).exists() for p in packages)


def warm(packages: list[str], timeout: float = 600.0) -> float:
    """Resolve ``packages`` into the Ivy cache once (under a lock); return seconds spent.

    Runs spark-submit on a no-op script for the packages not resolved before; returns 0.0 at
    once when all of them were.
    """
    missing = [p for p in packages if not _marker(p).exists()]
    if not missing:
        return 0.0
    (IVY_DIR / "resolved").mkdir(parents=True, exist_ok=True)
    with open(IVY_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = [p for p in packages if not _marker(p).exists()]
        if not missing:
            return 0.0
        with tempfile.TemporaryDirectory(prefix="tauro-ivy-warm-") as tmp:
            script = Path(tmp) / "noop.py"
            script.write_text("print('resolved')\n")
            log4j2 = write_quiet_log4j2(Path(tmp))
            cmd = [
                spark_submit_executable(),
                *spark_submit_args(missing),
                "--driver-java-options",
                f"-Dlog4j2.configurationFile=file:{log4j2}",
                str(script),
            ]
            start = time.monotonic()
            proc = subprocess.run(
                cmd,
                check=False,
                env=spark_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
            )
            elapsed = time.monotonic() - start
        if proc.returncode != 0 or "resolved" not in proc.stdout:
            raise RuntimeError(
                f"resolving {missing} failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}"
            )
        for package in missing:
            _marker(package).write_text(package + "\n")
        return elapsed


def _main(argv: list[str]) -> int:  # pragma: no cover - used by .ci/install-services.sh
    from .spark_packages import delta_packages, kafka_package, postgres_jdbc_package

    packages = [kafka_package(), postgres_jdbc_package(), *delta_packages()]
    seconds = warm(packages)
    state = f"resolved in {seconds:.1f}s" if seconds else "already warm"
    print(f"ivy: {', '.join(packages)}: {state}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main(sys.argv[1:]))
