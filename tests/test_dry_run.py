"""`tauro-gen dry-run`: Spark's analysis of each job on empty inputs, located in the user's
node code or config. The corpus (tests/broken_spark/) runs on the shared session; the command
itself runs once as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import black
import pytest
import yaml
from golden_projects import golden_projects
from harness import REPO
from pyspark.sql import functions as F

from tauro_gen.dryrun import (
    STATEFUL_PLAN_NODES,
    dry_run,
    stateful_operators,
    watermark_columns,
)
from tauro_gen.generate import load_and_validate
from tauro_gen.nodecode import STATEFUL_KINDS
from tauro_gen.sourcemap import carry_over, map_copied

CORPUS = Path(__file__).resolve().parent / "broken_spark"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.yaml").is_file())


def test_the_corpus_is_large_enough_and_documented():
    assert len(CASES) >= 30
    documented = (REPO / "docs" / "diagnostics.md").read_text()
    for case in CASES:
        code = yaml.safe_load((case / "expected.yaml").read_text())["code"]
        assert f"| {code} |" in documented, f"{case.name}: {code} not in docs/diagnostics.md"


@pytest.mark.spark
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_mistake_spark_sees_is_located_in_the_users_code(spark, case):
    expected = yaml.safe_load((case / "expected.yaml").read_text())
    project, report = load_and_validate(case, "base")
    assert project is not None, [d.render() for d in report.errors]  # the YAML is fine
    result = dry_run(project, sorted(project.pipelines), spark)
    errors = result.report.errors
    shown = "\n".join(d.render() for d in result.report.sorted()) or "(nothing)"
    if expected["severity"] == "warning":
        assert not errors, shown
        (error,) = [d for d in result.report.warnings if d.code == expected["code"]]
    else:
        assert len(errors) == 1, shown
        (error,) = errors
        assert result.checked == [] and result.outputs == []
    assert error.code == expected["code"], shown
    assert error.location.file == expected["file"], shown
    assert error.location.line == expected["line"], shown
    if "column" in expected:
        assert error.location.column == expected["column"], shown
    assert expected["message"] in error.message, shown
    assert error.hint, shown


@pytest.mark.spark
def test_a_pipelines_sql_settings_apply_while_it_is_analyzed_and_only_then(spark):
    case = CORPUS / "column_case_under_the_pipelines_case_sensitive_setting"
    project, _ = load_and_validate(case, "base")
    assert spark.conf.get("spark.sql.caseSensitive") == "false"
    assert [d.code for d in dry_run(project, ["p"], spark).report.errors] == ["TG701"]
    assert spark.conf.get("spark.sql.caseSensitive") == "false"


@pytest.mark.spark
def test_every_golden_project_is_accepted_by_spark(spark):
    """Pipelines whose inputs' columns come from data (no schema declared or pinned, a Delta
    or catalog table) are skipped with a warning that says why; none has an error."""
    skipped = []
    for name, root in golden_projects().items():
        project, _ = load_and_validate(root, "base")
        result = dry_run(project, sorted(project.pipelines), spark)
        assert not result.report.errors, [d.render() for d in result.report.errors]
        assert all(d.code == "TG704" for d in result.report.warnings), name
        assert sorted(result.checked + result.skipped) == sorted(project.pipelines)
        skipped += [f"{name}/{p}" for p in result.skipped]
        for output in result.outputs:
            assert output.columns, output
    assert len(skipped) <= 6, skipped  # the tutorial, Tauro's batch example and Delta reads


STREAM_STATIC_JOIN_THEN_AGGREGATION = """\
~Deduplicate [a#0]
+- ~Aggregate [a#0], [a#0, sum(v#2) AS sum(v)#11]
   +- ~Project [a#0, t#1-T60000ms, v#2, w#4]
      +- ~Join Inner, (a#0 = a#3)
         :- ~EventTimeWatermark ae28, t#1: timestamp, 1 minutes
         :  +- StreamingRelation FileSource[/tmp/in], [a#0, t#1, v#2], name=<Unassigned>
         +- LogicalRDD [a#3, w#4], false
"""
STREAM_STREAM_JOIN_THEN_LIMIT = """\
~GlobalLimit 3
+- ~LocalLimit 3
   +- ~Project [a#0, t#1, v#2, t2#15]
      +- ~Join Inner, (a#0 = a#14)
         :- StreamingRelation FileSource[/tmp/a], [a#0, t#1, v#2], name=<Unassigned>
         +- StreamingRelation FileSource[/tmp/b], [a#14, t2#15], name=<Unassigned>
"""


def test_spark_s_stateful_plan_nodes_map_to_the_kinds_node_code_is_read_with():
    """One vocabulary for both answers TG706 compares."""
    assert set(STATEFUL_PLAN_NODES.values()) == STATEFUL_KINDS


def test_stateful_operators_are_read_from_spark_s_analyzed_plan():
    """Plans as Spark 4.2's explain prints them (measured): `~` marks a streaming node."""
    assert stateful_operators(STREAM_STATIC_JOIN_THEN_AGGREGATION) == {
        "aggregation",
        "deduplication",
    }
    assert stateful_operators(STREAM_STREAM_JOIN_THEN_LIMIT) == {"join", "limit"}
    assert stateful_operators("Aggregate [a#0], [a#0]\n+- LogicalRDD [a#0], false\n") == set()
    assert watermark_columns(STREAM_STATIC_JOIN_THEN_AGGREGATION) == {"t"}
    assert watermark_columns(STREAM_STREAM_JOIN_THEN_LIMIT) == set()


def test_a_line_of_the_formatted_job_maps_to_the_users_line():
    """black moves copied code across lines; the map follows it through the syntax trees."""
    user = "def clean(df):\n    return df.filter(df['amount'] > 0).select('a',\n  'b')\n"
    rendered = f"from __future__ import annotations\n\nX = 1\n{user}"
    formatted = black.format_str(rendered, mode=black.Mode())
    origins = carry_over(map_copied(rendered, [("src/n.py", 10, user)]), rendered, formatted)
    lines = formatted.splitlines()
    at = next(n for n, line in enumerate(lines, 1) if "df.filter" in line)
    where = origins.origin(at, lines[at - 1].index("df.filter"))
    assert (where.file, where.line) == ("src/n.py", 11)
    assert origins.origin(1) is None  # tauro-gen's own line


@pytest.mark.spark
def test_the_command_reports_located_errors_prints_schemas_and_writes_nothing(tutorial):
    inputs = tutorial / "config" / "inputs.yaml"
    inputs.write_text(
        inputs.read_text() + '    schema: "sale_id STRING, amount DOUBLE, date DATE"\n'
    )
    before = sorted(p.relative_to(tutorial) for p in tutorial.rglob("*"))

    def dry(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "tauro_gen", "dry-run", "--all", *args],
            cwd=tutorial,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=180,
        )

    accepted = dry()
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout == (
        "real_time_sales.processed_sales (stream): sale_id STRING,amount DOUBLE,date DATE,"
        "processed_at TIMESTAMP NOT NULL,day_of_week INT\n"
    )
    # Quiet: the JVM's own first line (which nothing can silence), the summary.
    assert accepted.stderr.splitlines() == [
        "WARNING: Using incubator modules: jdk.incubator.vector",
        "dry-run: 1 of 1 pipeline(s) accepted by Spark",
    ], accepted.stderr
    node = tutorial / "src" / "nodes" / "process_sales.py"
    # What node code prints does not mix with the report (stdout stays JSON).
    code = node.read_text().replace("df['amount']", "df['amont']")
    node.write_text(
        code.replace(
            '    """Process incoming sales data."""\n',
            '    """Process incoming sales data."""\n    print("node says hi")\n',
        )
    )
    refused = dry("--format", "json")
    assert refused.returncode == 2, refused.stderr
    assert "node says hi" in refused.stderr
    (diagnostic,) = json.loads(refused.stdout)["diagnostics"]
    line = next(n for n, text in enumerate(node.read_text().splitlines(), 1) if "amont" in text)
    assert (diagnostic["code"], diagnostic["file"], diagnostic["line"]) == (
        "TG701",
        "src/nodes/process_sales.py",
        line,
    )
    assert "Did you mean one of the following?" in diagnostic["message"]
    assert "`amount`" in diagnostic["message"]
    assert sorted(p.relative_to(tutorial) for p in tutorial.rglob("*")) == before


def test_without_java_the_command_says_what_it_needs(tutorial):
    result = subprocess.run(
        [sys.executable, "-m", "tauro_gen", "dry-run", "--all"],
        cwd=tutorial,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "JAVA_HOME": "/nonexistent",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "error: dry-run could not start Spark" in result.stderr
    assert "Java 17" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.spark
def test_pyspark_still_raises_its_own_errors_after_a_dry_run(spark):
    """dry-run silences pyspark's error loggers while it runs; they must stay pyspark's
    (a plain logger in their place made every later AnalysisException a TypeError)."""
    from pyspark.errors import AnalysisException

    case = CORPUS / "unknown_column_in_filter"
    project, _ = load_and_validate(case, "base")
    dry_run(project, ["p"], spark)
    with pytest.raises(AnalysisException, match="UNRESOLVED_COLUMN"):
        spark.range(1).select(F.col("nope"))
