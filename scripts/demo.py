"""Walk through the seed tutorial with the generated job (run by scripts/demo.sh)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FILES = {
    "sales_2024_01_15.csv": "id,date,amount,customer\n1,2024-01-15,150.00,Alice\n"
    "2,2024-01-15,200.00,Bob\n3,2024-01-15,75.50,Charlie\n",
    "sales_2024_01_16.csv": "id,date,amount,customer\n4,2024-01-16,300.00,David\n"
    "5,2024-01-16,125.00,Eve\n",
}


def say(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def drop(name: str, text: str) -> None:
    """Write beside data/input, then rename in: Spark would read a half-written file half."""
    staging, inbox = ROOT / "data" / ".staging", ROOT / "data" / "input"
    staging.mkdir(parents=True, exist_ok=True)
    inbox.mkdir(parents=True, exist_ok=True)
    tmp = staging / f"{uuid.uuid4().hex}.csv"
    tmp.write_text(text)
    os.rename(tmp, inbox / name)
    print(f"    dropped data/input/{name}", flush=True)


def main() -> int:
    env = dict(
        os.environ,
        SPARK_LOCAL_IP="127.0.0.1",
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
    )
    say("tauro-gen build --pipeline real_time_sales")
    subprocess.run(
        [BIN / "tauro-gen", "build", "--pipeline", "real_time_sales"],
        cwd=ROOT,
        check=True,
    )
    for stale in ("data", "checkpoints"):
        subprocess.run(["rm", "-rf", str(ROOT / stale)], check=True)

    say("spark-submit build/real_time_sales.py  (a streaming job: it waits for files)")
    log4j = ROOT / "scripts" / "log4j2.properties"
    job = subprocess.Popen(
        [
            BIN / "spark-submit",
            "--driver-java-options",
            f"-Dlog4j2.configurationFile=file:{log4j}",
            "build/real_time_sales.py",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    rows_out, dropped = 0, False
    try:
        for line in job.stdout:
            print("    " + line.rstrip(), flush=True)
            if not dropped and ("waiting for a first file" in line or "started (id" in line):
                say("dropping the tutorial's files into data/input/")
                for name, text in FILES.items():
                    drop(name, text)
                    time.sleep(3)
                dropped = True
            batch = re.search(r"batch \d+: \d+ rows in, (\d+) rows out", line)
            rows_out += int(batch.group(1)) if batch else 0
            if batch and rows_out >= 5:
                say("5 rows written; sending SIGINT (what Ctrl+C does) to stop the job")
                children = subprocess.run(
                    ["pgrep", "-P", str(job.pid), "python"],
                    check=False,
                    capture_output=True,
                    text=True,
                ).stdout.split()
                os.kill(int(children[0]) if children else job.pid, signal.SIGINT)
    finally:
        code = job.wait()
    say(f"job exited with {code}; output is in {ROOT / 'data' / 'output'}")
    from pyspark.sql import SparkSession

    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
        .getOrCreate()
    )
    spark.read.parquet(str(ROOT / "data" / "output")).orderBy("id").show(truncate=False)
    spark.stop()
    print("Restart the job with the same command: files already processed are not read again.")
    return code


if __name__ == "__main__":
    sys.exit(main())
