clean = lambda df: df.filter(df.amount > 0)
