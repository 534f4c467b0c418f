def f(df, node_config):
    return df


def sink(df, batch_id):
    pass
