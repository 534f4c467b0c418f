"""A JVM class-data-sharing (CDS) archive for the suite's Spark JVMs.

Most of a short spark-submit's start-up is the JVM loading and verifying Spark's classes.
A dynamic CDS archive (JDK 13+: ``-XX:ArchiveClassesAtExit`` once, ``-XX:SharedArchiveFile``
after) holds them ready to map. Measured on a 2-core machine: a small job 9 s → 4.5 s, a
small Delta job ~20–27 s → ~15 s (Delta's classes come from ``--packages`` jars, which the
archive holds too).

One training run makes the archive: streaming and batch file jobs, a stateful aggregation and
Delta writes, reads and a Delta stream, so that the classes most tests load are in it. It is
named after the JDK and Spark it belongs to; a JVM given an archive it cannot use ignores it
(``-Xshare:auto``), so a stale archive costs speed, never a failure. Tests only use it when it
exists (``java_options()``); ``.ci/install-services.sh`` builds it before the suite runs.

    python -m tests.infra.cds        # build it if missing (~1 min, once)
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from . import CACHE_DIR
from .jars import (
    quiet_driver_args,
    spark_env,
    spark_submit_args,
    spark_submit_executable,
    warm,
    write_quiet_log4j2,
)
from .spark_packages import delta_packages

ARCHIVE_DIR = CACHE_DIR / "cds"

TRAINING_JOB = """\
import sys
from pyspark.sql import SparkSession, functions as F

work = sys.argv[1]
spark = (
    SparkSession.builder.appName("cds-training")
    .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
    .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
    .config("spark.sql.shuffle.partitions", "2")
    .getOrCreate()
)
with open(f"{work}/in/a.csv", "w") as f:
    f.write("id,ts,amount\\n" + "".join(f"{i},2024-01-01 10:0{i % 10}:00,{i}.5\\n" for i in range(50)))
schema = "id INT, ts TIMESTAMP, amount DOUBLE"
stream = spark.readStream.schema(schema).option("header", "true").csv(f"{work}/in")
rows = stream.withColumn("day", F.dayofweek("ts")).filter(F.col("amount") > 1)
query = (
    rows.observe("rows_out", F.count(F.lit(1)).alias("rows"))
    .writeStream.format("parquet")
    .option("checkpointLocation", f"{work}/cp/files")
    .trigger(availableNow=True)
    .start(f"{work}/out/files")
)
query.awaitTermination()
windows = (
    stream.withWatermark("ts", "1 minute")
    .groupBy(F.window("ts", "1 minute"))
    .agg(F.sum("amount").alias("amount"))
)
query = (
    windows.writeStream.format("json").outputMode("append")
    .option("checkpointLocation", f"{work}/cp/windows")
    .trigger(availableNow=True)
    .start(f"{work}/out/windows")
)
query.awaitTermination()
batch = spark.read.parquet(f"{work}/out/files")
batch.groupBy("day").agg(F.sum("amount")).write.mode("overwrite").json(f"{work}/out/report")
batch.write.format("delta").mode("overwrite").save(f"{work}/delta")
spark.read.format("delta").load(f"{work}/delta").count()
spark.sql(f"DESCRIBE HISTORY delta.`{work}/delta`").collect()
query = (
    spark.readStream.format("delta").load(f"{work}/delta")
    .writeStream.format("delta")
    .option("checkpointLocation", f"{work}/cp/delta")
    .trigger(availableNow=True)
    .start(f"{work}/delta_copy")
)
query.awaitTermination()
spark.stop()
print("trained")
"""


@lru_cache(maxsize=1)
def archive_path() -> Path:
    """The archive for this JDK and this pyspark (and the Delta package it trained with)."""
    from importlib.metadata import version

    try:
        java = subprocess.run(
            ["java", "-version"], capture_output=True, text=True, check=False
        ).stderr
    except OSError:  # no java: no Spark test can run, and no archive is wanted
        java = "no java"
    key = hashlib.sha256(f"{java}\n{delta_packages()}".encode()).hexdigest()[:12]
    return ARCHIVE_DIR / f"spark-{version('pyspark')}-{key}.jsa"


def java_options() -> str:
    """The JVM option that maps the archive, or "" when there is none."""
    path = archive_path()
    return f"-XX:SharedArchiveFile={path}" if path.is_file() else ""


def build(timeout: float = 900.0) -> float:
    """Make the archive once (under a lock); return the seconds spent (0.0: it existed)."""
    target = archive_path()
    if target.is_file():
        return 0.0
    ARCHIVE_DIR.mkdir(parents=True, exist_ok=True)
    with open(ARCHIVE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file():
            return 0.0
        warm(delta_packages())
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="tauro-cds-") as tmp:
            work = Path(tmp)
            (work / "in").mkdir()
            (work / "train.py").write_text(TRAINING_JOB)
            partial = ARCHIVE_DIR / f".{target.name}.{os.getpid()}"
            proc = subprocess.run(
                [
                    spark_submit_executable(),
                    "--master",
                    "local[2]",
                    *quiet_driver_args(
                        write_quiet_log4j2(work), f"-XX:ArchiveClassesAtExit={partial}"
                    ),
                    *spark_submit_args(delta_packages()),
                    str(work / "train.py"),
                    str(work),
                ],
                env=spark_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
            )
        if proc.returncode != 0 or "trained" not in proc.stdout or not partial.is_file():
            partial.unlink(missing_ok=True)
            raise RuntimeError(
                f"CDS training run failed ({proc.returncode}):\n{proc.stdout[-4000:]}"
            )
        partial.rename(target)  # whole or not at all: a JVM never maps a half-written archive
        return time.monotonic() - started


if __name__ == "__main__":  # pragma: no cover - used by .ci/install-services.sh
    seconds = build()
    state = f"built in {seconds:.1f}s" if seconds else "already built"
    print(f"cds: {archive_path().name}: {state}")
    sys.exit(0)
