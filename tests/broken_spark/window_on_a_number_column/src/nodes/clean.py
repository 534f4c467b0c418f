import pyspark.sql.functions as F


def clean(df):
    return (
        df.withWatermark("sold_at", "1 minute")
        .groupBy(F.window("amount", "5 minutes"))
        .count()
    )
