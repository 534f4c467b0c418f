from pyspark.sql import functions as F


def attribute_clicks(impressions, clicks, within="2 minutes"):
    """A click counts for an impression of the same ad shown at most `within` before it.

    The time bound and both watermarks let Spark drop old state from each side."""
    condition = (
        (F.col("click_ad_id") == F.col("ad_id"))
        & (F.col("click_time") >= F.col("impression_time"))
        & (F.col("click_time") <= F.col("impression_time") + F.expr(f"INTERVAL {within}"))
    )
    return impressions.join(clicks, condition, "inner").select(
        "ad_id", "campaign", "user_id", "impression_time", "click_time"
    )
