def clean(df, lookup_url):
    return df.filter(df.amount > 0)
