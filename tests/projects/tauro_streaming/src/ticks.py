"""Tauro calls a streaming node as fn(df, node_config)."""

from pyspark.sql import functions as F


def label_ticks(df, node_config):
    return df.withColumn("node", F.lit(node_config["name"])).withColumn(
        "parity", F.when(df["value"] % 2 == 0, "even").otherwise("odd")
    )
