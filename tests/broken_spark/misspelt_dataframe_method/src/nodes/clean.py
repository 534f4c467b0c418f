def clean(df):
    return df.filterr(df["amount"] > 0)
