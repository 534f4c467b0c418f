import pyspark.sql.functions as F


def clean(df):
    return df.withColumn("big", F.expr("amout > 100"))
