def clean(df, connection_string):
    return df.filter(df.amount > 0)
