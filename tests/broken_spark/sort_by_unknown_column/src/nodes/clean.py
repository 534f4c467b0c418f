def clean(df):
    return df.orderBy("sold")
