import os


def clean(df):
    here = os.path.dirname(__file__)
    return df.withColumnRenamed("id", here)
