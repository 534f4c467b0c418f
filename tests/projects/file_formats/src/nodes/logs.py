from pyspark.sql import functions as F

SEPARATOR = " "


def parse_lines(lines):
    """'LEVEL message...' lines into (level, message, line_length)."""
    parts = F.split(F.col("value"), SEPARATOR, 2)
    return lines.select(
        parts.getItem(0).alias("level"),
        parts.getItem(1).alias("message"),
        F.length("value").cast("int").alias("line_length"),
    )


def select_errors(records, levels=("ERROR",)):
    assert isinstance(levels, list), "params keep their YAML type"
    return records.filter(F.col("level").isin(levels))
