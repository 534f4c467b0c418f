def clean(df):
    df.filter(df["amount"] > 0)
