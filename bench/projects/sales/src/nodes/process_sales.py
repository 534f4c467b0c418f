def process_sales(df):
    """Process incoming sales data."""
    # Add processing timestamp
    import pyspark.sql.functions as F

    df = df.withColumn("processed_at", F.current_timestamp())

    # Only keep valid sales
    df = df.filter(df["amount"] > 0)

    # Add day of week
    df = df.withColumn("day_of_week", F.dayofweek(F.col("date")))

    return df
