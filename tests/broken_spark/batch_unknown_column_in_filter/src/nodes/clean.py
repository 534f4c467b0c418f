def clean(df):
    return df.where(df.amout > 0)
