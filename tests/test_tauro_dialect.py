"""Tauro's own forms (../shared/TAURO_DIALECT.md) built as written: what each means in the
generated job. Refused forms are cases of the broken corpus (tests/broken/tauro_*); whole
projects run end to end in test_e2e_tauro.py."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tauro_gen.generate import generate, load_and_validate

NODES = """\
def with_config(df, node_config):
    return df.filter(df.value > len(node_config["name"]))


def alone(df):
    return df


def with_param(df, factor=1):
    return df.withColumn("scaled", df.value * factor)


def sink(batch, batch_id):
    batch.count()
"""


def job(tmp_path: Path, nodes_yaml: str, settings: str = "") -> tuple[str, list]:
    """The job built from a one-node streaming pipeline `t` and its warnings."""
    files = {
        "config/pipelines.yaml": "t:\n  type: streaming\n  nodes: [n]\n",
        "config/nodes.yaml": nodes_yaml,
        "config/global_settings.yaml": settings or "mode: local\n",
        "src/nodes.py": NODES,
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text))
    project, report = load_and_validate(tmp_path, "base")
    assert project is not None, "\n".join(d.render() for d in report.errors)
    (built,) = generate(project, ["t"])
    return built.source, [d.render() for d in report.sorted()]


RATE_TO_CONSOLE = """\
n:
  input: {format: rate}
  function: {module: nodes, function: %s}
  output: {format: console}
"""


def test_a_function_that_takes_node_config_gets_the_node_as_written(tmp_path):
    source, warnings = job(tmp_path, RATE_TO_CONSOLE % "with_config")
    assert warnings == []
    assert 'n = with_config(\n        n_input,\n        {\n            "name": "n",' in source
    assert '"function": {"module": "nodes", "function": "with_config"}' in source


@pytest.mark.parametrize("function", ["alone", "with_param"])
def test_a_function_without_a_place_for_node_config_is_called_without_it(tmp_path, function):
    nodes = RATE_TO_CONSOLE % function
    if function == "with_param":  # the second positional parameter is a param: not the config
        nodes += "  params: {factor: 3}\n"
    source, _ = job(tmp_path, nodes)
    expected = "n = alone(n_input)" if function == "alone" else "n = with_param(n_input, factor=3)"
    assert expected in source


def test_node_config_reads_secrets_when_the_job_starts(tmp_path):
    nodes = """\
    n:
      input:
        format: kafka
        options:
          kafka.bootstrap.servers: 127.0.0.1:9092
          subscribe: orders
          kafka.sasl.jaas.config: ${env:KAFKA_JAAS}
      function: {module: nodes, function: with_config}
      output: {format: console}
    """
    source, _ = job(tmp_path, nodes)
    assert '"kafka.sasl.jaas.config": env("${env:KAFKA_JAAS}")' in source
    assert 'REQUIRED_ENV = ("KAFKA_JAAS",)' in source


def test_tauros_defaults_for_an_inline_node(tmp_path):
    """No streaming block: a 10 second trigger, <pipeline>_<node>, the console untruncated."""
    source, _ = job(tmp_path, RATE_TO_CONSOLE % "alone")
    assert '.writeStream.queryName("t_n")' in source
    assert 'writer.trigger(processingTime="10 seconds")' in source
    assert '.option("numRows", "20")\n        .option("truncate", "false")' in source
    assert '.option("checkpointLocation", "checkpoints/t/n_output")' in source


def test_checkpoint_location_is_a_root_under_which_each_query_has_its_own(tmp_path):
    nodes = (RATE_TO_CONSOLE % "alone") + "  streaming:\n    checkpoint_location: /chk/tauro\n"
    source, _ = job(tmp_path, nodes)
    assert '.option("checkpointLocation", "/chk/tauro/t/n")' in source


def test_the_outputs_own_camel_case_keys_win_over_the_streaming_block(tmp_path):
    nodes = """\
    n:
      input: {format: rate}
      function: {module: nodes, function: alone}
      output:
        format: console
        queryName: from_output
        trigger: {processingTime: 2 seconds}
      streaming:
        query_name: from_block
        trigger: {type: processing_time, interval: 30 seconds}
    """
    source, warnings = job(tmp_path, nodes)
    assert '.queryName("from_output")' in source
    assert 'trigger(processingTime="2 seconds")' in source
    assert len([w for w in warnings if "which wins (as in Tauro)" in w]) == 2


def test_once_becomes_available_now(tmp_path):
    nodes = (RATE_TO_CONSOLE % "alone") + "  streaming:\n    trigger: {type: once}\n"
    source, warnings = job(tmp_path, nodes)
    assert "once=True" not in source
    assert "    writer = writer.trigger(availableNow=True)  # the output's trigger" in source
    assert any("the job uses available_now" in w for w in warnings)


def test_batch_function_and_delta_stream_with_change_feed(tmp_path):
    nodes = """\
    n:
      input:
        format: delta_stream
        path: data/table
        options: {readChangeFeed: true, startingVersion: 0}
      output:
        format: foreachBatch
        batch_function: {module: nodes, function: sink}
    """
    source, _ = job(tmp_path, nodes)
    assert 'spark.readStream.format("delta").options(**options).load(path)' in source
    assert '"readChangeFeed": "true", "startingVersion": "0"' in source
    assert ".foreachBatch(sink)" in source
    assert "def sink(batch, batch_id):" in source


def test_global_spark_config_is_applied_but_tauros_protected_settings(tmp_path):
    settings = """\
    input_path: data/in
    output_path: data/out
    mode: local
    spark_config:
      spark.sql.session.timeZone: UTC
      spark.executor.memory: 4g
    """
    source, warnings = job(tmp_path, RATE_TO_CONSOLE % "alone", settings)
    assert '.config("spark.sql.session.timeZone", "UTC")' in source
    assert "spark.executor.memory" not in source
    assert any("spark.executor.memory' is skipped, as Tauro skips it" in w for w in warnings)


BATCH_CODE = """\
def load(df, start_date=None, end_date=None):
    return df


def aggregate(df):
    return df
"""


def batch_job(tmp_path: Path, files: dict[str, str]) -> str:
    """The job of a Tauro batch pipeline `daily` (load -> aggregate) with `files` over it."""
    defaults = {
        "config/pipelines.yaml": "daily:\n  type: batch\n  nodes: [load, aggregate]\n",
        "config/nodes.yaml": """\
            load:
              module: nodes
              function: load
              input: [raw]
              output: [sales.clean.daily]
            aggregate:
              module: nodes
              function: aggregate
              input: [clean]
              output: [sales.agg.totals]
              dependencies: [load]
            """,
        "config/input.yaml": """\
            raw: {format: csv, filepath: data/in/sales.csv}
            clean: {format: parquet, filepath: data/out/base/sales/clean/daily}
            """,
        "config/output.yaml": "sales.clean.daily: {format: parquet}\n"
        "sales.agg.totals: {format: parquet}\n",
        "config/global_settings.yaml": """\
            input_path: data/in
            output_path: data/out
            mode: local
            start_date: "2024-01-01"
            end_date: "2024-01-31"
            """,
        "src/nodes.py": BATCH_CODE,
    }
    for rel, text in {**defaults, **files}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text))
    project, report = load_and_validate(tmp_path, "base")
    assert project is not None, "\n".join(d.render() for d in report.errors)
    (built,) = generate(project, ["daily"])
    return built.source


def test_the_keys_tauro_writes_but_does_not_act_on_are_accepted(tmp_path):
    """Tauro's template writes a pipeline's inputs/outputs; fail_fast and type: batch are
    Tauro's defaults. None changes the job."""
    plain = batch_job(tmp_path / "plain", {})
    pipelines = """\
    daily:
      type: batch
      inputs: [raw]
      outputs: [sales.agg.totals]
      nodes: [load, aggregate]
    """
    nodes = textwrap.dedent("""\
        load:
          module: nodes
          function: load
          input: raw
          output: sales.clean.daily
          fail_fast: true
          type: batch
        aggregate:
          module: nodes
          function: aggregate
          input: [clean]
          output: [sales.agg.totals]
          dependencies: [load]
        """)
    files = {"config/pipelines.yaml": pipelines, "config/nodes.yaml": nodes}
    assert batch_job(tmp_path / "written", files) == plain


@pytest.mark.parametrize("dependencies", ["{load: {}}", "[{load: {}}]", "[load]", "load"], ids=str)
def test_dependencies_in_each_of_tauros_forms_order_the_nodes(tmp_path, dependencies):
    nodes = f"""\
    aggregate:
      module: nodes
      function: aggregate
      input: [clean]
      output: [sales.agg.totals]
      dependencies: {dependencies}
    load:
      module: nodes
      function: load
      input: [raw]
      output: [sales.clean.daily]
    """
    source = batch_job(tmp_path, {"config/nodes.yaml": nodes})
    calls = [
        line.strip() for line in source.splitlines() if "= load(" in line or "aggregate(" in line
    ]
    assert calls.index(next(c for c in calls if "= load(" in c)) < calls.index(
        next(c for c in calls if "aggregate(load" in c)
    ), calls


def test_partition_filter_filters_the_rows_as_read(tmp_path):
    inputs = """\
    raw:
      format: csv
      filepath: data/in/sales.csv
      partition_filter: "amount > 0 AND note != 'it''s'"
    clean: {format: parquet, filepath: data/out/base/sales/clean/daily}
    """
    source = batch_job(tmp_path, {"config/input.yaml": inputs})
    reader = source[source.index("def read_raw(") :].split("\ndef ")[0]
    assert """.filter("amount > 0 AND note != 'it''s'")""" in reader, source


def test_requires_dates_false_passes_none(tmp_path):
    pipelines = "daily:\n  type: batch\n  requires_dates: false\n  nodes: [load, aggregate]\n"
    settings = "input_path: data/in\noutput_path: data/out\nmode: local\n"
    source = batch_job(
        tmp_path,
        {"config/pipelines.yaml": pipelines, "config/global_settings.yaml": settings},
    )
    assert "load(raw, start_date=None, end_date=None)" in source


def test_the_descriptors_base_path_prefixes_every_file(tmp_path):
    batch_job(tmp_path / "plain", {})  # writes the project
    project = tmp_path / "described"
    (project / "tauro").mkdir(parents=True)
    (tmp_path / "plain" / "config").rename(project / "tauro" / "conf")
    (tmp_path / "plain" / "src").rename(project / "src")
    files = {
        "global_settings_path": "conf/global_settings.yaml",
        "pipelines_config_path": "conf/pipelines.yaml",
        "nodes_config_path": "conf/nodes.yaml",
        "input_config_path": "conf/input.yaml",
        "output_config_path": "conf/output.yaml",
    }
    descriptor = {"base_path": "tauro", "env_config": {"base": files}}
    (project / "settings_json.json").write_text(json.dumps(descriptor))
    built, report = load_and_validate(project, "base")
    assert built is not None, "\n".join(d.render() for d in report.errors)
    assert report.sorted() == []


def test_a_csv_output_tauro_lays_out_doubles_quotes_as_tauro_writes_them(tmp_path):
    outputs = "sales.clean.daily: {format: csv}\nsales.agg.totals: {format: parquet}\n"
    inputs = """\
    raw: {format: csv, filepath: data/in/sales.csv}
    clean: {format: csv, filepath: data/out/base/sales/clean/daily}
    """
    source = batch_job(tmp_path, {"config/output.yaml": outputs, "config/input.yaml": inputs})
    writer = source[source.index("def write_sales_clean_daily(") :].split("\ndef ")[0]
    assert """.option("quote", '"')\n        .option("escape", '"')""" in writer, writer


RATE_TO_MEMORY = """\
n:
  input: {format: rate}
  output: {format: memory%s}
%s"""


@pytest.mark.parametrize(
    "output_keys,streaming,query_name",
    [
        ("", "", "memory_query"),  # Tauro's writer's own default
        (", options: {queryName: ticks}", "", "ticks"),
        (", queryName: ticks", "", "ticks"),
        ("", "  streaming: {query_name: ticks}\n", "ticks"),
    ],
    ids=["default", "option", "output key", "streaming block"],
)
def test_a_memory_sink_is_named_as_tauro_names_it(tmp_path, output_keys, streaming, query_name):
    source, warnings = job(tmp_path, RATE_TO_MEMORY % (output_keys, streaming))
    assert f'.writeStream.queryName("{query_name}")' in source
    assert '.option("queryName"' not in source  # one name, not two that Spark must choose from
    assert not [w for w in warnings if "queryName" in w]


def test_a_memory_sinks_queryname_option_wins_over_the_streaming_block(tmp_path):
    nodes = RATE_TO_MEMORY % (", options: {queryName: ticks}", "  streaming: {query_name: q}\n")
    source, warnings = job(tmp_path, nodes)
    assert '.writeStream.queryName("ticks")' in source
    assert any("the query name 'q' has no effect" in w for w in warnings), warnings
