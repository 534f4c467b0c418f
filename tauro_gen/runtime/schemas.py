"""The schema of a streaming file source that declares none: inferred once, then pinned."""

from __future__ import annotations

import json
import time

from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from .job import log
from .stopping import StopRequest


class NoInputYet(Exception):
    """An undeclared schema cannot be inferred before the first file arrives."""


def pinned_schema(
    spark: SparkSession,
    fmt: str,
    path: str,
    options: dict,
    store: str,
    stop: StopRequest,
    wait: bool,
) -> StructType:
    """Schema of a file source that declares none: inferred once, then reused forever.

    A streaming file source needs a fixed schema. Inferring it at every start would let
    a new file change the columns under an existing checkpoint, so the first inference
    is stored in `store` (beside the checkpoints) and every restart reads it back.
    Declare a schema in the input's config (`tauro-gen infer-schema`) to review it.
    """
    try:
        # Two paths, not one: for a single path Spark looks for a file sink's metadata log
        # in it and, when the path is missing (every first start), logs a WARN with a Java
        # stack trace before raising. The second path is the same store, so the schema is
        # read the same on local, HDFS or object stores and over Spark Connect.
        stored = spark.read.text([store, store]).first()
    except AnalysisException:  # PATH_NOT_FOUND: no schema pinned yet
        stored = None
    if stored is not None:
        return StructType.fromJson(json.loads(stored.value))
    announced = False
    while not stop.requested:
        try:
            schema = (
                spark.read.format(fmt)
                .options(**options)
                .option("inferSchema", "true")
                .load(path)
                .schema
            )
        except AnalysisException:
            schema = StructType()
        if schema.fields:
            # One row built in the JVM: a DataFrame made from Python data would start a
            # Python worker for this write alone, before the first batch can run.
            # Overwrite: no record could be read, yet the folder may exist, left empty by
            # a write that was killed before its commit ("ignore" would skip it and every
            # start would infer again).
            record = spark.range(1).select(F.lit(schema.json()).alias("value"))
            record.coalesce(1).write.mode("overwrite").text(store)
            log.info(
                "schema of %s inferred and pinned in %s: %s",
                path,
                store,
                schema.simpleString(),
            )
            return schema
        if not wait:
            break
        if not announced:
            # The first Spark job of a run pays for class loading and code generation
            # (~2-3 s, bench section d): pay it now, while nothing else is to be done,
            # instead of after the first file has arrived.
            spark.range(1).collect()
            log.info("waiting for a first file in %s to infer its schema", path)
            announced = True
        time.sleep(0.25)
    raise NoInputYet(f"no file in {path} yet")
