import pyspark.sql.functions as F


def clean(df):
    return df.withColumn("items", F.explode(F.col("amount")))
