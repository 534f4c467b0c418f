"""Micro-batches appended to a JDBC table exactly once."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .job import log

BATCH_ID_COLUMN = "tauro_batch_id"


def append_jdbc_batch(batch: DataFrame, batch_id: int, options: dict[str, str]) -> None:
    """Append one micro-batch to a JDBC table exactly once.

    After a failure Spark replays the last micro-batch whose commit it did not record, so
    that batch may already be in the table. Each row carries its batch id, and a batch is
    written as one partition, which Spark commits in one transaction: a batch is in the
    table entirely or not at all, and a replayed one is skipped.
    """
    table = options["dbtable"]
    probe = {key: value for key, value in options.items() if key != "dbtable"}
    query = f"SELECT 1 FROM {table} WHERE {BATCH_ID_COLUMN} = {int(batch_id)}"
    try:
        reader = batch.sparkSession.read.format("jdbc").options(**probe)
        written = reader.option("query", query).load().limit(1).count() > 0
    except Exception as error:
        if "does not exist" not in str(error):  # no table before the first batch
            raise
        written = False
    if written:
        log.info(
            "batch %d is already in %s: skipped (a replay after restart)",
            batch_id,
            table,
        )
        return
    rows = batch.withColumn(BATCH_ID_COLUMN, F.lit(batch_id)).coalesce(1)
    rows.write.format("jdbc").options(**options).mode("append").save()
