# Limpieza de ventas (año fiscal)
def clean(df):
    return df
