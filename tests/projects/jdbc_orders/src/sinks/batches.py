import os

from pyspark.sql import functions as F

OUT_DIR = os.path.join("data", "batches")


def batch_folder(batch_id):
    """A folder per micro-batch: a replayed batch overwrites its own folder, nothing else."""
    return os.path.join(OUT_DIR, f"batch={batch_id:05d}")


def write_batch_files(df, batch_id):
    """Called by Spark for every micro-batch of the stream."""
    df.withColumn("written_by", F.lit("write_batch_files")).write.mode("overwrite").parquet(
        batch_folder(batch_id)
    )
