"""Hand-written baseline for bench (b): a 1-minute windowed aggregation with a 1-minute
watermark (tauro-gen's bench/projects/windowed), written directly in PySpark with Spark's
defaults: 200 shuffle partitions, the HDFS-backed state store, INT96 parquet timestamps.

Run from a folder holding data/input/:
    spark-submit windowed.py --available-now
"""

import argparse
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--available-now", action="store_true")
    args = parser.parse_args()

    spark = SparkSession.builder.appName("handwritten:windowed").getOrCreate()
    events = (
        spark.readStream.option("header", "true")
        .option("maxFilesPerTrigger", 1)
        .schema("event_time TIMESTAMP, key STRING, amount DOUBLE")
        .csv("data/input/")
        .withWatermark("event_time", "1 minute")
    )
    totals = events.groupBy(F.window("event_time", "1 minute"), "key").agg(
        F.count(F.lit(1)).alias("events"), F.sum("amount").alias("amount")
    )
    writer = (
        totals.writeStream.format("parquet")
        .outputMode("append")
        .option("checkpointLocation", "checkpoints/handwritten")
    )
    if args.available_now:
        writer = writer.trigger(availableNow=True)
    query = writer.start("data/output/")
    query.awaitTermination()
    for progress in query.recentProgress:
        if "addBatch" in progress.durationMs:
            print(
                f"batch {progress.batchId}: {progress.numInputRows} rows in, "
                f"{progress.sink.numOutputRows} rows out, {progress.batchDuration} ms",
                file=sys.stderr,
            )
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
