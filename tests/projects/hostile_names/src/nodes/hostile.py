"""Node code whose names are the generated job's own: the job's names must yield."""

from pyspark.sql import functions as sf

PIPELINE = "the user's pipeline"  # the job's PIPELINE constant
STOP_SCHEMA = "user"  # named like the job's schema constant of input 'stop'
os = "not the os module"


def F(df):  # the job's `functions as F`
    return df.withColumn("tag", sf.lit(STOP_SCHEMA))


def signal(df):  # the job's `import signal`
    return df.withColumn("note", sf.lit(os[:3]))


def log(df):  # the job's logger
    return df.withColumn("pipeline", sf.lit(PIPELINE))


def spark(stop, ventes, sales):  # a node function named like the job's session
    return stop.unionByName(ventes).unionByName(sales)


def run(df, **options):  # the job's run()
    return log(signal(F(df))).filter(sf.col("amount") >= options["min_amount"])
