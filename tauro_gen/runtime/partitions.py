"""Shuffle partitions of a stateful streaming job, sized to its cores at its first start."""

from __future__ import annotations

from pyspark.errors import PySparkAttributeError
from pyspark.sql import SparkSession

from .job import log


def size_shuffle_partitions(spark: SparkSession) -> None:
    """One shuffle partition per core unless spark.sql.shuffle.partitions is set (spark_conf,
    --conf or the cluster's defaults). Stateful operators keep a state store per partition
    and run every one of them in every micro-batch, so Spark's default of 200 costs small
    jobs most of each batch. A checkpoint freezes the number at its first start: a restart
    keeps what its checkpoint recorded, whatever is set here."""
    if spark.conf.get("spark.sql.shuffle.partitions", None) is not None:
        return
    try:
        context = spark.sparkContext
    except PySparkAttributeError:
        return  # Spark Connect has no SparkContext: the server's setting applies
    conf = context.getConf()
    dynamic = conf.get("spark.dynamicAllocation.enabled", "false").lower() == "true"
    if conf.get("spark.default.parallelism"):
        given = "spark.default.parallelism"
        cores = int(conf.get(given))
    elif context.master.startswith("local"):
        given, cores = context.master, context.defaultParallelism
    elif conf.get("spark.cores.max"):
        given = "spark.cores.max"
        cores = int(conf.get(given))
    elif conf.get("spark.executor.instances") and not dynamic:
        given = "spark.executor.instances x spark.executor.cores"
        executors = int(conf.get("spark.executor.instances"))
        cores = executors * int(conf.get("spark.executor.cores", "1"))
    else:
        # Executors register after start-up and may come and go; counting them now could
        # freeze too few partitions into a new checkpoint for good.
        return
    spark.conf.set("spark.sql.shuffle.partitions", str(cores))
    log.info("shuffle partitions for new checkpoints: %d (%s)", cores, given)
