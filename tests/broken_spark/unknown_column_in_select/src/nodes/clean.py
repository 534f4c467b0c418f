import pyspark.sql.functions as F


def clean(df):
    kept = df.select("sale_id", F.col("amont"))
    return kept
