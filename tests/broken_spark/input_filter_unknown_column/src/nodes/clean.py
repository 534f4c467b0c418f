def clean(df):
    return df
