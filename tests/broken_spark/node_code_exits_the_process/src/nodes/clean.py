import sys


def clean(df):
    if "amount" in df.columns:
        sys.exit("no amounts today")
    return df
