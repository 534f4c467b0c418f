def clean(df):
    df.createOrReplaceTempView("sales")
    return df.sparkSession.sql("SELECT customer, sum(amount) AS total FROM sales GROUP BY customer")
