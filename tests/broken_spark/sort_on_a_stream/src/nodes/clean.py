def clean(df):
    return df.orderBy("amount")
