def clean(df):
    return df.filter(df["Amount"] > 0)
