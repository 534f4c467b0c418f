import sys

if sys.version_info >= (3, 10):

    def clean(df):
        return df
