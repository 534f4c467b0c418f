def clean(df):
    return df.filter(df["amount"] > 0)
