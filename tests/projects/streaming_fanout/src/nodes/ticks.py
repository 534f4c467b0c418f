from pyspark.sql import functions as F


def label_ticks(ticks):
    return ticks.withColumn("parity", F.when(F.col("value") % 2 == 0, "even").otherwise("odd"))
