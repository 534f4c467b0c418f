"""A Tauro node and its foreachBatch function."""

from pyspark.sql import functions as F


def positive_orders(df, node_config):
    return df.filter(F.col("amount") > 0)


def write_batch_totals(batch, batch_id):
    # One folder per micro-batch, overwritten: a batch Spark runs again after a crash
    # writes the same rows to the same place.
    (
        batch.groupBy("customer")
        .agg(F.count("*").alias("orders"), F.sum("amount").alias("amount"))
        .withColumn("batch_id", F.lit(batch_id))
        .write.mode("overwrite")
        .parquet(f"data/out/batch_totals/batch_id={batch_id}")
    )
