def clean(df):
    return df.withWatermark("customer", "1 minute")
