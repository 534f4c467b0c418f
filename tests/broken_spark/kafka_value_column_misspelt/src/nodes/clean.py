def clean(df):
    return df.filter(df["ammount"] > 0)
