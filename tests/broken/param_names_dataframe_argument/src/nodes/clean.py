def clean(df, min_amount=0):
    return df.filter(df.amount >= min_amount)
