def clean(df, header):
    return df.filter(df.amount > 0)
