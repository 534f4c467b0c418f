from pyspark.sql.functions import *


def clean(df):
    return df.filter(col("amount") > 0)
