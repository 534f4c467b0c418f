"""Maven coordinates of the connectors a generated job needs, derived from the pinned pyspark.

A job that reads Kafka, Avro or Delta, or writes through a PostgreSQL JDBC driver, needs jars
that are not in Spark's distribution. The build prints the exact `spark-submit --packages`
line; the versions here must be the ones published for the Spark we pin (see pyproject).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

# Delta Lake publishes one artifact per Spark minor version (io.delta:delta-spark_<minor>_<scala>).
DELTA_BY_SPARK_MINOR = {"4.0": "4.4.0", "4.1": "4.4.0", "4.2": "4.4.0"}
DELTA_CONF = (
    ("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension"),
    ("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"),
)
# JDBC drivers we know by URL scheme; other databases need their driver jar passed by the user.
JDBC_DRIVERS = {
    "postgresql": ("org.postgresql:postgresql:42.7.14", "org.postgresql.Driver"),
}


@lru_cache(maxsize=1)
def spark_version() -> str:
    return importlib.metadata.version("pyspark")


@lru_cache(maxsize=1)
def scala_version() -> str:
    """The Scala binary version of the pinned Spark, read from its spark-core jar's name."""
    spec = importlib.util.find_spec("pyspark")
    jars = Path(next(iter(spec.submodule_search_locations))) / "jars" if spec else None
    for jar in sorted(jars.glob("spark-core_*.jar")) if jars else ():
        match = re.match(r"spark-core_(\d+\.\d+)-", jar.name)
        if match:
            return match.group(1)
    return "2.13"  # Spark 4's only Scala line


def kafka() -> str:
    return f"org.apache.spark:spark-sql-kafka-0-10_{scala_version()}:{spark_version()}"


def avro() -> str:
    return f"org.apache.spark:spark-avro_{scala_version()}:{spark_version()}"


def delta() -> str:
    minor = ".".join(spark_version().split(".")[:2])
    version = DELTA_BY_SPARK_MINOR.get(minor, max(DELTA_BY_SPARK_MINOR.values()))
    return f"io.delta:delta-spark_{minor}_{scala_version()}:{version}"


def jdbc_driver(url: str) -> tuple[str, str] | None:
    """(Maven coordinate, driver class) for a jdbc:<scheme>: URL we know, else None."""
    match = re.match(r"jdbc:([a-z0-9]+):", url or "")
    return JDBC_DRIVERS.get(match.group(1)) if match else None
