def clean(df, aws_secret_access_key):
    return df.filter(df.amount > 0)
