from pyspark.sql import functions as F


def classify(events):
    """Each event with a size class."""
    return events.withColumn("size", F.when(F.col("value") >= 10, "large").otherwise("small"))
