import src.nodes.rules


def clean(df):
    return src.nodes.rules.valid(df)
