def log(df):
    return df


def clean(df):
    return log(df).filter(df.amount > 0)
