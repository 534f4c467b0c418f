"""Batch transforms for the daily sales report."""

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def clean_sales(df: DataFrame) -> DataFrame:
    """Drop refunds and rows without a customer."""
    return df.filter((F.col("amount") > 0) & F.col("customer").isNotNull())


def revenue_by_customer(df: DataFrame, min_total: int = 0) -> DataFrame:
    """Revenue per customer and day, keeping customers above `min_total`."""
    totals = df.groupBy("date", "customer").agg(F.sum("amount").alias("revenue"))
    return totals.filter(F.col("revenue") >= min_total)
