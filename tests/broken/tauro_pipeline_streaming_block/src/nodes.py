def load(df, start_date=None, end_date=None):
    return df.filter(df.day.between(start_date, end_date))
