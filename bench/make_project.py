"""Write a synthetic Tauro-style project with N pipelines (default 500) for generator timing.

The mix is what a real data platform looks like: streaming csv → parquet jobs with declared
schemas, windowed aggregations with watermarks, stream-static joins, and batch reports. Node
code lives in a handful of shared modules (with a shared helper library), so a generator that
re-parsed node modules per pipeline would show it; the first pipeline alone uses
`src/nodes/solo.py` (SOLO_MODULE), the module bench c edits to time an incremental build.

    .venv/bin/python bench/make_project.py DIR [--pipelines 500]

`write_hostile_project` writes a small project of every source and sink kind with awkward
names and strings, for checking the formatter against black (tests/test_format.py,
bench/check_format.py).
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

DOMAINS = ["sales", "orders", "clicks", "payments", "shipments", "inventory", "returns", "users"]
# Pipeline names of realistic, varied lengths ("orders_eu_mobile_17"), fixed by a seed.
WORDS = [
    "eu",
    "us",
    "apac",
    "latam",
    "daily",
    "hourly",
    "mobile",
    "web",
    "store",
    "partner",
    "wholesale",
    "retail",
    "marketplace",
    "subscriptions",
    "b2b",
    "fraud",
    "loyalty",
    "v2",
]

LIB = '''"""Helpers shared by every node module."""

from pyspark.sql import functions as F

MIN_AMOUNT = 0
CURRENCIES = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17}


def positive(column):
    return F.col(column) > MIN_AMOUNT


def in_eur(amount, currency):
    rate = F.lit(1.0)
    for code, value in sorted(CURRENCIES.items()):
        rate = F.when(F.col(currency) == code, F.lit(value)).otherwise(rate)
    return F.col(amount) * rate
'''

NODE_MODULE = '''"""Nodes for the {domain} domain."""

from pyspark.sql import functions as F

from src.lib.common import in_eur, positive


def clean(df):
    """Valid rows only, amounts in EUR, with a processing timestamp."""
    return (
        df.filter(positive("amount"))
        .withColumn("amount_eur", in_eur("amount", "currency"))
        .withColumn("processed_at", F.current_timestamp())
    )


def per_minute(df, window="1 minute"):
    """Totals per key and event-time window."""
    return df.groupBy(F.window("event_time", window), "key").agg(
        F.count(F.lit(1)).alias("events"), F.sum("amount").alias("amount")
    )


def enrich(events, dims):
    """Stream-static join with a dimension table."""
    return events.join(dims, on="key", how="left")


def daily(df):
    """Batch report: totals per day and key."""
    return df.groupBy(F.to_date("event_time").alias("day"), "key").agg(
        F.sum("amount").alias("amount")
    )
'''

SCHEMA = "id BIGINT, key STRING, amount DOUBLE, currency STRING, event_time TIMESTAMP"
# The node module only the first pipeline uses.
SOLO_MODULE = "src/nodes/solo.py"


def write_project(root: Path, pipelines: int) -> Path:
    if root.exists():
        shutil.rmtree(root)
    (root / "config").mkdir(parents=True)
    (root / "src" / "lib").mkdir(parents=True)
    (root / "src" / "nodes").mkdir(parents=True)
    (root / "src" / "lib" / "common.py").write_text(LIB)
    for domain in DOMAINS:
        (root / "src" / "nodes" / f"{domain}.py").write_text(NODE_MODULE.format(domain=domain))
    (root / SOLO_MODULE).write_text(NODE_MODULE.format(domain="first pipeline's"))

    inputs, outputs, nodes, pipes = [], [], [], []
    rng = random.Random(pipelines)
    for i in range(pipelines):
        domain = DOMAINS[i % len(DOMAINS)]
        words = rng.sample(WORDS, rng.randint(1, 3))
        name = "_".join([domain, *words, str(i)])
        kind = i % 4  # 0: csv→parquet, 1: windowed agg, 2: stream-static join, 3: batch
        fn = "src.nodes.solo" if i == 0 else f"src.nodes.{domain}"
        src = f"{name}_in"
        inputs.append(
            f"{src}:\n  format: csv\n  path: data/{name}/in/\n"
            f"  streaming: {'false' if kind == 3 else 'true'}\n"
            f'  schema: "{SCHEMA}"\n'
            + ("  watermark: {column: event_time, delay: 10 minutes}\n" if kind == 1 else "")
        )
        out = f"{name}_out"
        if kind == 3:
            outputs.append(
                f"{out}:\n  format: parquet\n  path: data/{name}/out/\n  mode: overwrite\n"
            )
        else:
            mode = "  output_mode: append\n" if kind == 1 else ""
            outputs.append(
                f"{out}:\n  format: parquet\n  path: data/{name}/out/\n  streaming: true\n{mode}"
            )
        if kind == 0:
            nodes.append(
                f"{name}_clean:\n  function: {fn}.clean\n  input: {src}\n  output: {out}\n"
            )
            members = [f"{name}_clean"]
        elif kind == 1:
            nodes.append(f"{name}_clean:\n  function: {fn}.clean\n  input: {src}\n")
            nodes.append(
                f"{name}_agg:\n  function: {fn}.per_minute\n  input: {name}_clean\n"
                f"  output: {out}\n  params: {{window: 5 minutes}}\n"
            )
            members = [f"{name}_clean", f"{name}_agg"]
        elif kind == 2:
            dims = f"{name}_dims"
            inputs.append(
                f"{dims}:\n  format: parquet\n  path: data/{name}/dims/\n"
                '  schema: "key STRING, label STRING"\n'
            )
            nodes.append(f"{name}_clean:\n  function: {fn}.clean\n  input: {src}\n")
            nodes.append(
                f"{name}_enrich:\n  function: {fn}.enrich\n  input: [{name}_clean, {dims}]\n"
                f"  output: {out}\n"
            )
            members = [f"{name}_clean", f"{name}_enrich"]
        else:
            nodes.append(
                f"{name}_daily:\n  function: {fn}.daily\n  input: {src}\n  output: {out}\n"
            )
            members = [f"{name}_daily"]
        conf = "  spark_conf:\n    spark.sql.shuffle.partitions: 2\n" if kind == 1 else ""
        pipes.append(f"{name}:\n  nodes: [{', '.join(members)}]\n{conf}")

    config = root / "config"
    config.joinpath("inputs.yaml").write_text("".join(inputs))
    config.joinpath("outputs.yaml").write_text("".join(outputs))
    config.joinpath("nodes.yaml").write_text("".join(nodes))
    config.joinpath("pipelines.yaml").write_text("".join(pipes))
    return root


# A project of every source and sink kind with names and strings chosen to be awkward for a
# formatter: names long enough that black splits every line they are on, one-letter names,
# quotes, backslashes and non-ASCII text in paths, options and descriptions, node code as
# people write it (no spaces, comments above decorators, classes, a string holding code), and
# node code that narrows black's target versions (a `match` statement beside a long `with`).
HOSTILE = {
    "config/inputs.yaml": r"""
clicks_with_a_rather_long_input_name_that_keeps_going_and_going:
  description: "Clicks \"quoted\", it's got a backslash \\ and ünïcödé; and \"\"\" too"
  format: csv
  path: "data/it's \"here\"/\\back\\ünï/"
  streaming: true
  schema: "id BIGINT, user STRING, page STRING, ts TIMESTAMP, amount DOUBLE"
  watermark: {column: ts, delay: 10 minutes}
  options: {sep: ";", quote: "'", escape: "\\", maxFilesPerTrigger: 3}
k:
  format: kafka
  streaming: true
  value_format: json
  schema: "order_id BIGINT, customer_id STRING, amount DECIMAL(10,2), status STRING"
  options:
    kafka.bootstrap.servers: ${env:KAFKA_BROKERS:-localhost:9092}
    subscribe: "orders,\"other\""
    startingOffsets: earliest
raw:
  format: kafka
  streaming: true
  options:
    kafka.bootstrap.servers: ${env:KAFKA_BROKERS}
    subscribePattern: "raw.*"
changes:
  format: delta
  streaming: true
  path: data/delta/changes
  options: {readChangeFeed: true, startingVersion: 0}
dims:
  format: parquet
  path: data/dims
  schema: "user STRING, segment STRING"
ticks:
  format: rate
  streaming: true
  options: {rowsPerSecond: 5}
undeclared:
  format: json
  path: data/undeclared/
  streaming: true
batch_in:
  format: orc
  path: data/batch_in
  schema: "id BIGINT, `weird name` STRING, nested STRUCT<a: INT, b: ARRAY<MAP<STRING, DECIMAL(38,18)>>>"
"""[
        1:
    ],
    "config/outputs.yaml": r"""
parquet_out_with_an_equally_long_name_so_that_black_has_to_split_lines:
  format: parquet
  path: "data/out/it's \"there\""
  partition_by: [page, user]
  trigger: {processing_time: 10 seconds}
  options: {compression: zstd}
kafka_out:
  format: kafka
  key_column: customer_id
  options:
    kafka.bootstrap.servers: ${env:KAFKA_BROKERS:-localhost:9092}
    topic: "paid-\"orders\""
jdbc_out:
  format: jdbc
  options:
    url: jdbc:postgresql://localhost:5432/db
    dbtable: public.orders
    user: app
    password: ${env:PG_PASSWORD}
each:
  format: foreach_batch
  foreach_batch: src.sinks.batches.write_each
mem:
  format: memory
  query_name: ticks_table
con:
  format: console
  trigger: {continuous: 1 second}
delta_out:
  format: delta
  path: data/delta/out
  output_mode: append
table_out:
  format: table
  table: db.some_table
batch_out:
  format: csv
  path: data/batch_out
  mode: overwrite
delta_auto:
  format: delta
  path: data/delta/auto
"""[
        1:
    ],
    "config/nodes.yaml": r"""
clean_clicks:
  function: src.nodes.hostile.clean
  input: clicks_with_a_rather_long_input_name_that_keeps_going_and_going
  output: parquet_out_with_an_equally_long_name_so_that_black_has_to_split_lines
enrich:
  function: src.nodes.hostile.enrich
  input: [clicks_with_a_rather_long_input_name_that_keeps_going_and_going, dims]
  output: [each, delta_out]
  params: {how: left, label: "it's \"x\"", limits: [1, 2.5, null, true], nested: {a: [1, {b: "c"}]}}
orders:
  function: src.nodes.narrow.by_status
  input: k
  output: [kafka_out, jdbc_out]
decode:
  function: src.nodes.hostile.decode
  input: raw
  output: table_out
feed:
  function: src.nodes.hostile.passthrough
  input: changes
  output: mem
tick:
  function: src.nodes.hostile.passthrough
  input: ticks
  output: con
auto:
  function: src.nodes.hostile.passthrough
  input: undeclared
  output: delta_auto
batch:
  function: src.nodes.hostile.passthrough
  input: batch_in
  output: batch_out
"""[
        1:
    ],
    "config/pipelines.yaml": r"""
a_pipeline_whose_name_is_long_enough_to_push_every_generated_line_past_the_limit:
  description: "A description with \"quotes\", 'single' ones, a backslash \\ and \"\"\" triple quotes."
  nodes: [clean_clicks, enrich]
  spark_conf: {spark.sql.shuffle.partitions: 3, "spark.some.key": "va'l\"ue"}
p:
  nodes: [orders]
raw_to_table:
  nodes: [decode]
feed:
  nodes: [feed, tick]
auto_schema:
  nodes: [auto]
batch_report:
  nodes: [batch]
"""[
        1:
    ],
    "src/nodes/hostile.py": r'''
"""Node code written the way people write it, and a few ways they should not."""
import functools
from pyspark.sql import functions as F
THRESHOLD=10 # no spaces
LABELS = {'a':1,'b':2,
  'c':3}
TEMPLATE = """
def not_a_function():


    pass
# not a comment
@not_a_decorator
"""
# A comment right above a decorated function.
def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper
class Rules:
    """Only a docstring."""
class Thresholds( object ):
    low=1
    def high(self): return THRESHOLD
@logged
def clean(df):
    # keep the good rows
    df = df.filter(F.col('amount')>Thresholds().high()).withColumn('label', F.lit(TEMPLATE[:5]))  # a trailing comment that makes this line long
    return df
def enrich(events, dims, how="inner", label="x", limits=(), nested=None):
    with open("/dev/null") as first_handle_with_a_long_name, open("/dev/null") as second_handle_name:
        pass
    return events.join(dims, on="user", how=how).withColumn("label", F.lit(label)).withColumn("n", F.lit(len(LABELS)))
def decode(df):
    return df.selectExpr("CAST(value AS STRING) AS value")


def passthrough(df):
    return df
'''[
        1:
    ],
    "src/nodes/narrow.py": r"""
from pyspark.sql import functions as F


def status_of(row):
    match row:
        case {"status": status}:
            return status
        case _:
            return None


def by_status(df):
    with open("/dev/null") as first_handle_with_a_long_name, open("/dev/null") as second_handle_name:
        wanted = status_of({"status": "paid"})
    return df.filter(F.col("status") == wanted).select("customer_id", F.to_json(F.struct("*")).alias("value_json"), "order_id")
"""[
        1:
    ],
    "src/sinks/batches.py": r"""
def write_each(batch, batch_id):
    batch.write.mode("append").parquet(f"data/each/{batch_id}")
"""[
        1:
    ],
}


def write_hostile_project(root: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    for name, text in HOSTILE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--pipelines", type=int, default=500)
    args = parser.parse_args()
    write_project(args.dir, args.pipelines)
    print(f"wrote {args.pipelines} pipelines to {args.dir}")


if __name__ == "__main__":
    main()
