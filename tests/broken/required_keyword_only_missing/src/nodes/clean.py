def clean(df, *, min_amount):
    return df.filter(df.amount >= min_amount)
