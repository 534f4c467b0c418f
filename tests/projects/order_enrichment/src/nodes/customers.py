from pyspark.sql import functions as F


def tidy_customers(customers):
    return customers.select(
        "customer_id", F.trim("name").alias("name"), F.lower("segment").alias("segment")
    )
