def clean(df, customers):
    return df.join(customers, "id")
