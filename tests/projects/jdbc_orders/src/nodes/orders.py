from pyspark.sql import functions as F


def clean_orders(orders):
    """Orders with a positive amount and a customer, customer names trimmed."""
    return orders.filter((F.col("amount") > 0) & F.col("customer").isNotNull()).withColumn(
        "customer", F.trim("customer")
    )
