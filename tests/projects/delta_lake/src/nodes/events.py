from pyspark.sql import functions as F

ACTIONS = ("view", "click", "buy")


def valid_events(events):
    """Events with a known action and a user."""
    return events.filter(F.col("action").isin(*ACTIONS) & F.col("user").isNotNull())
