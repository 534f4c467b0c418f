def clean(df, **options):
    return df.filter(df.amount > options.get("min_amount", 0))
