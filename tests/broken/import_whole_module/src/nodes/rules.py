def valid(df):
    return df
