"""A node function named stop and a foreach_batch function named run."""

from pyspark.sql import DataFrame


def stop(df: DataFrame) -> DataFrame:
    return df.select("id", (df.amount * 2).alias("doubled"))


def run(df: DataFrame, batch_id: int) -> None:
    df.write.mode("append").parquet("data/out/signal/")
