from pyspark.sql import functions as F

from src.lib.rules import MIN_AMOUNT, normalise_country


def clean_orders(orders):
    """Keep real orders and use ISO country codes."""
    return orders.filter(F.col("amount") >= MIN_AMOUNT).withColumn(
        "country", normalise_country("country")
    )


def enrich_orders(orders, customers):
    """Stream-static join: every order with its customer's name and segment."""
    return orders.join(customers, on="customer_id", how="left")
