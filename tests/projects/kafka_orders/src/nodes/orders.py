from pyspark.sql import functions as F

KAFKA_COLUMNS = ["kafka_key", "kafka_topic", "kafka_partition", "kafka_offset", "kafka_timestamp"]


def paid_orders(orders, status="paid"):
    """Orders with the given status, amounts also in cents; no Kafka bookkeeping."""
    return orders.filter(F.lower("status") == status).select(
        "order_id",
        "customer_id",
        F.col("amount").cast("string").alias("amount"),
        (F.col("amount") * 100).cast("int").alias("amount_cents"),
    )


def with_kafka_metadata(orders):
    """Every order as parsed, with the message's key, topic, partition, offset and time."""
    return orders.select("order_id", "customer_id", "amount", "status", "ordered_at", *KAFKA_COLUMNS)
