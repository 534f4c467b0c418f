import pyspark.sql.functions as F


def clean(df):
    df = df.withColumn("doubled", F.col("amount") * 2)
    df = df.withColumn("net", F.col("amount") - F.col("tax"))
    return df
