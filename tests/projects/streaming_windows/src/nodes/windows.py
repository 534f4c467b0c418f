from pyspark.sql import functions as F

STAMP = "yyyy-MM-dd HH:mm:ss"


def window_stats(readings, size="1 minute"):
    """Count, total and peak of each sensor's readings per event-time window."""
    return (
        readings.groupBy(F.window("ts", size).alias("window"), "sensor")
        .agg(
            F.count(F.lit(1)).alias("readings"),
            F.sum("reading").alias("total"),
            F.max("reading").alias("peak"),
        )
        .select(
            F.date_format("window.start", STAMP).alias("window_start"),
            F.date_format("window.end", STAMP).alias("window_end"),
            "sensor",
            "readings",
            "total",
            "peak",
        )
    )
