def clean(df, services):
    return df.filter(df.amount > 0)
