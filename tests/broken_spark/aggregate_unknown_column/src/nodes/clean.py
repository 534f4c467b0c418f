import pyspark.sql.functions as F


def clean(df):
    return df.groupBy("customer").agg(F.sum("amount_eur").alias("total"))
