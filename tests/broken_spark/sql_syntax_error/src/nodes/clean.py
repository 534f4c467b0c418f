def clean(df):
    return df.filter("amount >")
