def clean(df):
    totals = df.groupBy("costumer").sum("amount")
    return totals
