def clean(df, gcp_json):
    return df.filter(df.amount > 0)
