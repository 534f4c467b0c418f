try:
    from src.nodes.helpers import RATE
except ImportError:
    RATE = 1


def clean(df):
    return df.withColumn("rate", df.amount * RATE)
