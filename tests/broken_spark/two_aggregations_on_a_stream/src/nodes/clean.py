import pyspark.sql.functions as F


def clean(df):
    per_customer = df.groupBy("customer", "day").agg(F.sum("amount").alias("total"))
    return per_customer.groupBy("day").agg(F.max("total").alias("best"))
