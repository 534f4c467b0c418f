def clean(df):
    return df.select("sale_id", "amount")
