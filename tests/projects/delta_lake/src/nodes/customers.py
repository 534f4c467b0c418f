from pyspark.sql import functions as F


def tidy_customers(customers):
    return customers.select("customer_id", F.trim("name").alias("name"), F.upper("tier").alias("tier"))


def tag_source(customers):
    """The streamed rows, marked with where they came from."""
    return customers.withColumn("source", F.lit("delta"))


def change_log(changes):
    """Delta's change feed columns, without the commit timestamp."""
    return changes.select("account_id", "owner", "balance", "_change_type", "_commit_version")
