def clean(df):
    return df.groupBy("value").count()
