import pyspark.sql.functions as F


def with_net(df):
    return df.withColumn("net", F.col("gross") * 0.8)


def clean(df):
    return with_net(df)
