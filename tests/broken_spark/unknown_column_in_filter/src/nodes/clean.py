def clean(df):
    return df.filter(df["amont"] > 0)
