"""Tauro batch nodes: called as fn(*dfs, start_date=..., end_date=...)."""

from pyspark.sql import functions as F


def load(df, start_date, end_date):
    # Tauro's CSV reader gives strings: cast what the node computes with.
    return (
        df.withColumn("amount", F.col("amount").cast("double"))
        .filter(F.col("amount") > 0)
        .filter(F.col("day").between(start_date, end_date))
    )


def aggregate(df, start_date=None, end_date=None):
    return df.groupBy("day").agg(F.sum("amount").alias("total"), F.count("*").alias("sales"))
