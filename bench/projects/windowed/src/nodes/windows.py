from pyspark.sql import functions as F


def totals_per_minute(events):
    """Events and amount per key and 1-minute event-time window."""
    return events.groupBy(F.window("event_time", "1 minute"), "key").agg(
        F.count(F.lit(1)).alias("events"), F.sum("amount").alias("amount")
    )
