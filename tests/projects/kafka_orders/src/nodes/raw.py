def decode(raw_events):
    """Spark's Kafka columns, key and value decoded as UTF-8 text."""
    return raw_events.selectExpr(
        "CAST(key AS STRING) AS key",
        "CAST(value AS STRING) AS value",
        "topic",
        "partition",
        "offset",
    )
