from pyspark.sql import functions as F


def clean_orders(orders):
    return orders.filter(F.col("amount") > 0)


def enrich_orders(orders, customers):
    """Stream-static join: no state."""
    return orders.join(customers, on="customer_id", how="left")


def revenue_by_country(orders):
    hourly = F.window("ordered_at", "1 hour")
    return orders.groupBy(hourly, "country").agg(F.sum("amount").alias("revenue"))


def paid_orders(orders, payments):
    """Stream-stream join: state on both sides."""
    return orders.join(payments, on="order_id", how="inner")


def page_views(clicks):
    """Views per page, each (user, page, ts) counted once."""
    views = clicks.dropDuplicates(["user", "page", "ts"])
    return views.groupBy("page").count()


def clean_clicks(clicks):
    return clicks.filter(F.col("page").isNotNull()).selectExpr("to_json(struct(*)) AS value")
