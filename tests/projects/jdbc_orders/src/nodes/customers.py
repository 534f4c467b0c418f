from pyspark.sql import functions as F


def tidy_customers(customers):
    return customers.select("customer_id", "name", F.upper("country").alias("country"))
