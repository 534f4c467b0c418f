def clean(df):
    return df.selectExpr("sale_id", "upper(custmer) AS customer")
