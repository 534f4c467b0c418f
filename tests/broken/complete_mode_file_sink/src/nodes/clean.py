def clean(df):
    return df.groupBy("id").count()
