import pyspark.sql.functions as F


def clean(df):
    return df.withColumn("rounded", F.expr("round_half_even_please(amount)"))
