def label(df):
    return df
