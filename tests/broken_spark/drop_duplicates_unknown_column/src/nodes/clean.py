def clean(df):
    return df.dropDuplicates(["sale"])
