def clean(df, minimum="ten"):
    return df.filter(df["amount"] > int(minimum))
