"""Unit tests of load + validate: the Tauro dialects become one typed model, aliases are
normalised in one place, and the rules that are easier to state as code than as a broken
project (interval grammar, secret keys, all errors at once, sorting)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tauro_gen.diagnostics import Location, Report, did_you_mean, one_line
from tauro_gen.generate import load_and_validate
from tauro_gen.load import load_project
from tauro_gen.model import Trigger, Watermark
from tauro_gen.validate.keys import ALIASES, DEPRECATED, KEY_TABLE
from tauro_gen.validate.secrets import is_secret_key
from tauro_gen.validate.values import interval_problem

NODE_CODE = """\
def clean(df):
    return df.filter(df.amount > 0)


def enrich(orders, customers):
    return orders.join(customers, "id")
"""


def make(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    if not (tmp_path / "src/nodes/clean.py").exists():
        (tmp_path / "src/nodes").mkdir(parents=True, exist_ok=True)
        (tmp_path / "src/nodes/clean.py").write_text(NODE_CODE)
    return tmp_path


def ok(root: Path, env: str = "base"):
    project, report = load_and_validate(root, env)
    assert project is not None, "\n".join(d.render() for d in report.errors)
    return project, report


def codes(report: Report) -> list[str]:
    return [d.code for d in report.sorted()]


# --------------------------------------------------------------------------- intervals
@pytest.mark.parametrize(
    "text",
    [
        "5 seconds",
        "5 second",
        "1.5 seconds",
        ".5 seconds",
        "interval 5 seconds",
        "INTERVAL 5 seconds",
        "1 minute 30 seconds",
        "5 SECONDS",
        "0 seconds",
        "2 weeks",
        "500 milliseconds",
        "10 microseconds",
        "1 days 2 hours",
        "  5 seconds  ",
        "+5 seconds",
        "1 minute -30 seconds",
    ],
)
def test_intervals_spark_accepts(text):
    # Each of these was checked against pyspark's trigger(processingTime=...) parser.
    assert interval_problem(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "5 secs",
        "5s",
        "5",
        "5seconds",
        "1.5 minutes",
        "5.5 milliseconds",
        "1 minute, 30 seconds",
        "1 hr",
        "10 ms",
        "-1 seconds",
        "- 5 seconds",
        "1 month",
        "1 year",
        "5 seconds ago",
        "interval5 seconds",
        "1e3 seconds",
        "99999999999999 seconds",
        "",
        "   ",
    ],
)
def test_intervals_spark_refuses(text):
    assert interval_problem(text) is not None


def test_watermark_delays_may_use_months():
    assert interval_problem("1 month", months_allowed=True) is None


# --------------------------------------------------------------------------- secrets
@pytest.mark.parametrize(
    "key",
    [
        "password",
        "db_password",
        "DB_PASSWORD",
        "kafka.sasl.password",
        "token",
        "auth_token",
        "apiKey",
        "api_key",
        "client_secret",
        "spark.hadoop.fs.s3a.secret.key",
        "privateKey",
        "passwd",
        "sslpassword",
        "spark.ssl.keyStorePassword",
        "spark.authenticate.secret",
        "spark.hadoop.fs.s3a.access.key",
        "fs.s3a.session.token",
        "fs.s3a.bucket.logs.secret.key",
        "fs.s3a.encryption.key",
        "spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net",
        "fs.azure.account.oauth2.client.secret.acct.dfs.core.windows.net",
        "fs.azure.sas.container.acct.blob.core.windows.net",
        "fs.gs.auth.service.account.private.key",
        "kafka.ssl.truststore.password",
        "kafka.sasl.oauthbearer.client.credentials.client.secret",
        "aws_secret_access_key",
        "AccountKey",
        "SharedAccessSignature",
    ],
)
def test_secret_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "max_tokens",
        "token_column",
        "user",
        "url",
        "tokenizer",
        "tokenizer_path",
        "key_column",
        "password_column",
        "secret_scope",
        "spark.authenticate.secret.file",
        "spark.hadoop.fs.s3a.aws.credentials.provider",
        "fs.azure.sas.token.provider.type",
        "fs.azure.account.oauth2.client.id",
        "google.cloud.auth.service.account.json.keyfile",
        "kafka.ssl.keystore.location",
    ],
)
def test_not_secret_keys(key):
    assert not is_secret_key(key)


# --------------------------------------------------------------------------- dialects
BASE = {
    "config/pipelines.yaml": "sales:\n  nodes: [clean]\n",
    "config/nodes.yaml": "clean:\n  function: src.nodes.clean.clean\n",
    "config/inputs.yaml": "raw:\n  format: csv\n  path: data/in/\n  schema: 'id INT, amount DOUBLE'\n",
    "config/outputs.yaml": "out:\n  format: parquet\n  path: data/out/\n",
}


def test_flat_and_wrapped_files_mix(tmp_path):
    root = make(
        tmp_path,
        {
            **BASE,
            "config/nodes.yaml": "nodes:\n  clean:\n    function: src.nodes.clean.clean\n",
            "config/inputs.yaml": "inputs:\n  raw:\n    format: csv\n    filepath: data/in/\n"
            "    schema: 'id INT, amount DOUBLE'\n",
        },
    )
    project, _ = ok(root)
    assert project.inputs["raw"].path == "data/in/"  # filepath is an alias of path
    assert [w.args for w in project.pipelines["sales"].order] == [("raw",)]


def test_module_and_function_pair(tmp_path):
    root = make(
        tmp_path,
        {
            **BASE,
            "config/nodes.yaml": "clean:\n  module: src.nodes.clean\n  function: clean\n"
            "  input: raw\n  output: out\n",
        },
    )
    project, _ = ok(root)
    assert project.nodes["clean"].code.function == "clean"


def test_descriptor_maps_files_and_env_replaces_them(tmp_path):
    descriptor = {
        "env_config": {
            "base": {
                "pipelines_config_path": "conf/pipelines.yaml",
                "nodes_config_path": "conf/nodes.yaml",
                "input_config_path": "conf/input.yaml",
                "output_config_path": "conf/output.yaml",
            },
            "dev": {"output_config_path": "conf/dev/output.yaml"},
        }
    }
    root = make(
        tmp_path,
        {
            "settings_yml.json": json.dumps(descriptor),
            "conf/pipelines.yaml": BASE["config/pipelines.yaml"],
            "conf/nodes.yaml": BASE["config/nodes.yaml"],
            "conf/input.yaml": BASE["config/inputs.yaml"],
            "conf/output.yaml": BASE["config/outputs.yaml"],
            "conf/dev/output.yaml": "out:\n  format: json\n  path: data/dev-out/\n",
        },
    )
    project, report = ok(root)
    assert project.outputs["out"].format == "parquet"
    assert not report.warnings
    dev, report = ok(root, "dev")
    assert dev.outputs["out"].format == "json"
    assert not report.warnings


def test_env_overlay_deep_merges(tmp_path):
    root = make(
        tmp_path,
        {
            **BASE,
            "config/outputs.yaml": "out:\n  format: parquet\n  path: data/out/\n"
            "  options: {compression: snappy, x: 1}\n",
            "config/dev/outputs.yaml": "out:\n  options: {compression: zstd}\n",
        },
    )
    project, _ = ok(root, "dev")
    assert project.outputs["out"].options == {"compression": "zstd", "x": 1}
    assert project.outputs["out"].path == "data/out/"


def test_depends_on_and_tauro_trigger_spellings(tmp_path):
    root = make(
        tmp_path,
        {
            "config/pipelines.yaml": """\
                sales:
                  nodes: [clean, enrich]
                  trigger: {processingTime: 10 seconds}
                """,
            "config/nodes.yaml": """\
                clean:
                  function: src.nodes.clean.clean
                  input: orders
                enrich:
                  function: src.nodes.clean.enrich
                  input: [clean, customers]
                  depends_on: [clean]
                  outputs: [a, b, c]
                """,
            "config/inputs.yaml": """\
                orders: {format: json, path: data/orders/, streaming: true, schema: 'id INT'}
                customers: {format: csv, path: data/customers/, schema: 'id INT'}
                """,
            "config/outputs.yaml": """\
                a:
                  format: parquet
                  path: data/a/
                  trigger: {type: processing_time, interval: 5 seconds}
                  checkpointLocation: state/a
                  partitionBy: id
                b:
                  format: console
                  trigger: {availableNow: true}
                  outputMode: append
                  queryName: b_query
                c:
                  format: console
                  trigger: available_now
                """,
        },
    )
    project, report = ok(root)
    assert project.nodes["enrich"].dependencies == ["clean"]
    assert project.pipelines["sales"].spec.trigger == Trigger("processing_time", "10 seconds")
    a, b, c = (project.outputs[n] for n in "abc")
    assert a.trigger == Trigger("processing_time", "5 seconds")
    assert (a.checkpoint, a.partition_by) == ("state/a", ["id"])
    assert b.trigger == Trigger("available_now")
    assert (b.output_mode, b.query_name) == ("append", "b_query")
    assert c.trigger == Trigger("available_now")
    assert codes(report) == ["TG205"]  # `outputs:` on a node is a deprecated spelling


def test_inline_streaming_node(tmp_path):
    root = make(
        tmp_path,
        {
            "config/pipelines.yaml": "live:\n  nodes: [clean]\n",
            "config/nodes.yaml": """\
                clean:
                  function: src.nodes.clean.clean
                  input:
                    format: kafka
                    options:
                      kafka.bootstrap.servers: ${env:BROKERS}
                      subscribe: sales
                  output:
                    format: console
                  streaming:
                    trigger: {type: processing_time, interval: 10 seconds}
                    output_mode: update
                    checkpoint_location: state/clean
                    query_name: clean_q
                    watermark: {column: timestamp, delay: 1 minute}
                    options: {truncate: false}
                """,
        },
    )
    project, report = ok(root)
    source, sink = project.inputs["clean_input"], project.outputs["clean_output"]
    assert source.streaming and source.format == "kafka"
    assert source.watermark == Watermark("timestamp", "1 minute")
    assert sink.trigger == Trigger("processing_time", "10 seconds")
    assert (sink.output_mode, sink.checkpoint, sink.query_name) == (
        "update",
        "state/clean",
        "clean_q",
    )
    assert sink.options == {"truncate": False}
    assert project.pipelines["live"].kind == "streaming"
    assert not report.items


def test_inline_block_diagnostics_point_into_the_node(tmp_path):
    root = make(
        tmp_path,
        {
            "config/pipelines.yaml": "live:\n  nodes: [clean]\n",
            "config/nodes.yaml": """\
                clean:
                  function: src.nodes.clean.clean
                  input: {format: rate}
                  output: {format: parquet, path: data/out/}
                  streaming:
                    output_mode: complete
                """,
        },
    )
    _, report = load_and_validate(root, "base")
    (error,) = report.errors
    assert error.code == "TG505"
    assert error.location == Location("config/nodes.yaml", 6, 18)


def test_key_tables_are_consistent():
    for kind, aliases in ALIASES.items():
        for alias, canonical in aliases.items():
            assert canonical in KEY_TABLE[kind], (kind, alias)
            assert alias not in KEY_TABLE[kind], (kind, alias)
    for kind, alias in DEPRECATED:
        assert alias in ALIASES[kind]


# --------------------------------------------------------------------------- interpolation
def test_whole_reference_keeps_its_type_and_text_uses_yaml_spelling(tmp_path):
    root = make(
        tmp_path,
        {
            **BASE,
            "config/global_settings.yaml": "stream: true\nroot: data\nflag: false\n",
            "config/inputs.yaml": "raw:\n  format: csv\n  path: ${root}/in/${flag}/\n"
            "  streaming: ${stream}\n  schema: 'id INT, amount DOUBLE'\n",
        },
    )
    project, _ = ok(root)
    assert project.inputs["raw"].streaming is True
    assert project.inputs["raw"].path == "data/in/false/"


def test_env_references_survive_to_the_job(tmp_path):
    root = make(
        tmp_path,
        {
            **BASE,
            "config/global_settings.yaml": "bucket: s3a://${env:BUCKET}\n",
            "config/outputs.yaml": "out:\n  format: parquet\n  path: ${bucket}/out/\n",
        },
    )
    project, _ = ok(root)
    assert project.outputs["out"].path == "s3a://${env:BUCKET}/out/"


def test_broken_settings_file_does_not_cascade(tmp_path):
    root = make(
        tmp_path,
        {
            **BASE,
            "config/global_settings.yaml": "root: [unclosed\n",
            "config/inputs.yaml": "raw:\n  format: csv\n  path: ${root}/in/\n",
        },
    )
    _, report = load_and_validate(root, "base")
    assert codes(report) == ["TG100"]


# --------------------------------------------------------------------------- all at once
def test_every_mistake_reported_in_one_run_sorted(tmp_path):
    root = make(
        tmp_path,
        {
            "config/pipelines.yaml": "sales:\n  nodes: [clean, nope, missing]\n",
            "config/nodes.yaml": "clean:\n  function: src.nodes.clean.clean\n  input: raw\n"
            "  output: out\n  descripton: x\n",
            "config/inputs.yaml": "raw:\n  fromat: csv\n  path: data/in/\n",
            "config/outputs.yaml": "out:\n  format: parquet\n  path: data/out/\n"
            "  output_mode: upsert\n",
        },
    )
    _, report = load_and_validate(root, "base")
    found = [(d.code, d.location.file, d.location.line) for d in report.errors]
    assert found == [
        ("TG201", "config/inputs.yaml", 2),
        ("TG201", "config/nodes.yaml", 5),
        ("TG203", "config/outputs.yaml", 4),
        ("TG401", "config/pipelines.yaml", 2),
        ("TG401", "config/pipelines.yaml", 2),
    ]
    assert [(d.location.column, d.message) for d in report.errors[-2:]] == [
        (18, "pipeline 'sales': unknown node 'nope'"),
        (24, "pipeline 'sales': unknown node 'missing'"),
    ]


def test_alias_spelled_value_is_located_where_written(tmp_path):
    root = make(
        tmp_path,
        {
            **BASE,
            "config/nodes.yaml": "clean:\n  function: src.nodes.clean.clean\n"
            "  depends_on: [ghost]\n",
        },
    )
    _, report = load_and_validate(root, "base")
    (error,) = report.errors
    assert (error.code, error.location) == ("TG404", Location("config/nodes.yaml", 3, 16))


def test_unknown_key_close_to_a_required_one_is_one_error(tmp_path):
    root = make(
        tmp_path, {**BASE, "config/nodes.yaml": "clean:\n  fucntion: src.nodes.clean.clean\n"}
    )
    _, report = load_and_validate(root, "base")
    assert codes(report) == ["TG201"]


def test_seed_tutorial_is_valid_with_one_warning():
    repo = Path(__file__).resolve().parent.parent
    project, report = ok(repo)
    assert list(project.pipelines) == ["real_time_sales"]
    assert codes(report) == ["TG503"]


# --------------------------------------------------------------------------- diagnostics
def test_diagnostics_are_one_line_and_json_is_stable():
    report = Report()
    report.error("TG212", Location("config/a.yaml", 2, 1), "name 'a\nb'", "use 'a_b'\t")
    report.warning("TG503", Location("config/a.yaml", 1, 3), "no schema", "declare one")
    first, second = json.loads(report.to_json())
    assert first == {
        "severity": "warning",
        "code": "TG503",
        "file": "config/a.yaml",
        "line": 1,
        "column": 3,
        "message": "no schema",
        "hint": "declare one",
    }
    assert second["message"] == "name 'a\\nb'" and second["hint"] == "use 'a_b'\\t"
    assert report.errors[0].render() == "config/a.yaml:2:1: error: name 'a\\nb' (use 'a_b'\\t)"


def test_helpers():
    assert did_you_mean("fromat", ["format", "path"]) == "did you mean 'format'?"
    assert did_you_mean("zzz", ["format"]) == ""
    assert one_line("plain") == "plain"


def test_load_keeps_locations_for_keys_and_values(tmp_path):
    root = make(tmp_path, BASE)
    raw, report = load_project(root)
    assert not report.items
    assert raw.where(("inputs", "raw", "path")) == Location("config/inputs.yaml", 3, 3)
    assert raw.where(("inputs", "raw", "path"), value=True) == Location("config/inputs.yaml", 3, 9)


def test_inline_output_options_merge_with_the_streaming_block(tmp_path):
    node = """\
        clean:
          function: src.nodes.clean.clean
          input: {format: rate}
          output: {format: console, options: {numRows: 5}}
          streaming:
            options: {truncate: false}
        """
    root = make(
        tmp_path, {"config/pipelines.yaml": "live:\n  nodes: [clean]\n", "config/nodes.yaml": node}
    )
    project, _ = ok(root)
    assert project.outputs["clean_output"].options == {"numRows": 5, "truncate": False}
    (root / "config/nodes.yaml").write_text(
        textwrap.dedent(node).replace("truncate: false", "numRows: 7")
    )
    _, report = load_and_validate(root, "base")
    assert [(d.code, d.location.line) for d in report.errors] == [("TG207", 6)]


@pytest.mark.parametrize(
    "written, expected",
    [
        ('"day, date"', ["day", "date"]),
        ("day,date", ["day", "date"]),
        ("day", ["day"]),
        ("[day, date]", ["day", "date"]),
    ],
)
def test_partition_by_as_comma_separated_names(tmp_path, written, expected):
    """`partition_by: "day_of_week, date"` was taken as one column named with a comma."""
    outputs = f"out:\n  format: parquet\n  path: data/out/\n  partition_by: {written}\n"
    project, _ = ok(make(tmp_path, {**BASE, "config/outputs.yaml": outputs}))
    assert list(project.outputs["out"].partition_by) == expected


def test_an_empty_name_between_commas_is_an_error(tmp_path):
    outputs = 'out:\n  format: parquet\n  path: data/out/\n  partition_by: "a,,b"\n'
    project, report = load_and_validate(
        make(tmp_path, {**BASE, "config/outputs.yaml": outputs}), "base"
    )
    assert project is None and codes(report) == ["TG202"]


@pytest.mark.parametrize("text", ["---\n", "", "~\n", "--- ~\n"])
def test_a_file_of_only_a_document_marker_is_an_empty_file(tmp_path, text):
    """`---` alone was "must be a mapping, got nothing" while an empty file was fine."""
    root = make(tmp_path, {**BASE, "config/outputs.yaml": text})
    project, report = load_and_validate(root, "base")
    # the pipeline's output is then undeclared (TG4xx), but the file itself is fine
    assert project is None and not [c for c in codes(report) if c.startswith("TG1")]


def test_a_node_module_with_a_utf8_bom_is_read(tmp_path):
    """Editors on Windows save a BOM; it was refused as 'invalid non-printable character'."""
    root = make(tmp_path, BASE)
    node = root / "src" / "nodes" / "clean.py"
    node.write_bytes(b"\xef\xbb\xbf" + node.read_bytes())
    project, _ = ok(root)
    assert project.nodes["clean"].code.function == "clean"


def test_a_path_that_leaves_the_input_folder_by_dotdot_is_not_inside_it(tmp_path):
    """`data/in/../out/` is data/out: it was refused as writing into the input data/in/."""
    streaming = {
        "config/inputs.yaml": "raw:\n  format: csv\n  path: data/in/\n  streaming: true\n"
        "  schema: 'id INT, amount DOUBLE'\n",
        "config/outputs.yaml": "out:\n  format: parquet\n  path: data/in/../out/\n"
        "  streaming: true\n",
    }
    ok(make(tmp_path, {**BASE, **streaming}))


# --------------------------------------------------------------------------- YAML aliases
def test_a_large_file_without_aliases_is_read(tmp_path):
    values = "".join(f"      - {i}\n" for i in range(150_000))  # more than the alias limit
    nodes = "clean:\n  function: src.nodes.clean.clean\n  params:\n    ids:\n" + values
    clean = "def clean(df, ids):\n    return df\n"
    root = make(tmp_path, {**BASE, "config/nodes.yaml": nodes, "src/nodes/clean.py": clean})
    project, _ = ok(root)
    assert len(project.nodes["clean"].params["ids"]) == 150_000


def test_aliases_that_expand_without_end_are_refused(tmp_path):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    bomb = "\n".join(f"    {line}" for line in levels)
    nodes = "clean:\n  function: src.nodes.clean.clean\n  params:\n" + bomb + "\n"
    root = make(tmp_path, {**BASE, "config/nodes.yaml": nodes})
    _, report = load_and_validate(root, "base")
    assert codes(report) == ["TG101"]
    assert "aliases expand to more than 100000 values" in report.sorted()[0].message


# --------------------------------------------------------------------------- merge keys
def test_merge_keys_read_as_pyyaml_and_tauro_read_them(tmp_path):
    """`<<: *defaults` brings the anchored mapping's keys in; the mapping's own keys win, and
    in `<<: [*a, *b]` the earlier mapping wins."""
    outputs = textwrap.dedent("""\
        _defaults: &defaults {format: csv, mode: overwrite, options: {sep: ";"}}
        _parquet: &parquet {format: parquet, mode: append, partition_by: [id]}
        out:
          <<: [*parquet, *defaults]
          path: data/out/
          mode: ignore
        """)
    raw, report = load_project(make(tmp_path, {**BASE, "config/outputs.yaml": outputs}))
    assert report.sorted() == []
    assert raw.sections["outputs"]["out"] == {
        "format": "parquet",
        "mode": "ignore",
        "partition_by": ["id"],
        "options": {"sep": ";"},
        "path": "data/out/",
    }
    # A merged key is located where the anchored mapping writes it.
    assert raw.where(("outputs", "out", "partition_by")).line == 2
    assert raw.where(("outputs", "out", "mode")).line == 6


def test_a_mistake_in_a_merged_value_is_located_in_the_anchored_mapping(tmp_path):
    outputs = "_d: &d {format: parquett}\nout:\n  <<: *d\n  path: data/out/\n"
    root = make(tmp_path, {**BASE, "config/outputs.yaml": outputs})
    _, report = load_and_validate(root, "base")
    found = [d for d in report.sorted() if d.code == "TG203"]
    # Output '_d' (an entry like any other) and 'out', both at the text that is wrong.
    assert [(d.location.file, d.location.line) for d in found] == [("config/outputs.yaml", 1)] * 2
    assert {d.message.split(":")[0] for d in found} == {"output '_d'", "output 'out'"}
