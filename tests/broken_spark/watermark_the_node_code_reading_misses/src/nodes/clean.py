def clean(df):
    set_event_time = getattr(df, "withWatermark")
    return set_event_time("sold_at", "1 minute")
