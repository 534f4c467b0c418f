"""Hand-written baseline for bench (a) and (d): the tutorial's logic (tauro-gen's
bench/projects/sales, node src/nodes/process_sales.py) written directly in PySpark, the way a
good engineer would: declared schema, one query, availableNow or a processing-time trigger.

Run from a folder holding data/input/ (as the generated job is):
    spark-submit csv_to_parquet.py --available-now
    spark-submit csv_to_parquet.py --trigger "1 second"
"""

import argparse
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--available-now", action="store_true")
    parser.add_argument("--trigger", help="processing-time trigger, e.g. '1 second'")
    args = parser.parse_args()

    spark = SparkSession.builder.appName("handwritten:real_time_sales").getOrCreate()
    sales = (
        spark.readStream.option("header", "true")
        .schema("id INT, date DATE, amount DOUBLE")
        .csv("data/input/")
    )
    processed = (
        sales.withColumn("processed_at", F.current_timestamp())
        .filter(F.col("amount") > 0)
        .withColumn("day_of_week", F.dayofweek(F.col("date")))
    )
    writer = (
        processed.writeStream.format("parquet")
        .outputMode("append")
        .option("checkpointLocation", "checkpoints/handwritten")
    )
    if args.available_now:
        writer = writer.trigger(availableNow=True)
    elif args.trigger:
        writer = writer.trigger(processingTime=args.trigger)
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
