def clean(df):
    customers = [row.customer for row in df.select("customer").distinct().collect()]
    return df.filter(df["customer"].isin(customers))
