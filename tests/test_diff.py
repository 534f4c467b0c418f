"""`tauro-gen diff`: checkpoint safety of a change, rule by rule, on real generated jobs.

Every case copies tests/diff_cases/shop (five streaming queries: a stream-static join, a
windowed aggregation, a stream-stream join, a Kafka aggregation and a Kafka pass-through),
makes one edit to its config or node code, builds both versions with the real generator and
compares the manifests. The expected findings are exact: (verdict, rule, query) for each.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from harness import REPO, tauro_gen

from tauro_gen.diff import RULES, diff_manifests, render_text
from tauro_gen.generate import generate, load_and_validate
from tauro_gen.manifest import ForeachBatch, Manifest, from_json, to_json, to_plain

SHOP = Path(__file__).resolve().parent / "diff_cases" / "shop"


def edit(path: str, old: str, new: str):
    def apply(root: Path) -> None:
        target = root / path
        text = target.read_text()
        assert old in text, f"{old!r} not in {path}"
        target.write_text(text.replace(old, new, 1))

    return apply


def append(path: str, text: str):
    def apply(root: Path) -> None:
        with open(root / path, "a") as handle:
            handle.write(text)

    return apply


def both(*edits):
    def apply(root: Path) -> None:
        for one in edits:
            one(root)

    return apply


def manifests(root: Path) -> dict[str, Manifest]:
    """The manifests of a project's jobs, read back from the JSON build/ would get."""
    project, report = load_and_validate(root, "base")
    assert project is not None, "\n".join(d.render() for d in report.errors)
    return {
        job.pipeline: from_json(job.manifest, job.path)
        for job in generate(project, sorted(project.pipelines))
    }


@pytest.fixture(scope="module")
def base_manifests(tmp_path_factory):
    root = tmp_path_factory.mktemp("base") / "shop"
    shutil.copytree(SHOP, root)
    return manifests(root)


def findings_after(tmp_path: Path, base: dict, change) -> list:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    change(root)
    new = manifests(root)
    found = []
    for name in sorted(set(base) | set(new)):
        found.extend(diff_manifests(base.get(name), new.get(name)))
    return found


Q_ENRICHED, Q_REVENUE, Q_PAID = "shop.enriched_orders", "shop.revenue", "shop.paid"
Q_VIEWS, Q_CLICKS = "shop.page_views", "shop.clean_clicks"
ORDERS_QUERIES = (Q_ENRICHED, Q_REVENUE, Q_PAID)

CASES = {
    # --- sources -------------------------------------------------------------------------
    "file source path changed": (
        edit("config/inputs.yaml", "path: data/orders/", "path: data/orders_v2/"),
        {("unsafe", "source-files", q) for q in ORDERS_QUERIES},
    ),
    "kafka subscription changed": (
        edit("config/inputs.yaml", "subscribe: clicks", "subscribe: clicks_v2"),
        {("unsafe", "source-topics", Q_VIEWS), ("unsafe", "source-topics", Q_CLICKS)},
    ),
    "source format changed": (
        edit(
            "config/inputs.yaml",
            "format: json\n    path: data/payments/",
            "format: parquet\n    path: data/payments/",
        ),
        {("unsafe", "source-type", Q_PAID)},
    ),
    "streaming source added to a query": (
        both(
            append(
                "config/inputs.yaml",
                "  orders_eu:\n    format: json\n    path: data/orders_eu/\n    streaming: true\n"
                '    schema: "order_id BIGINT, customer_id INT, amount DOUBLE, country STRING,'
                ' ordered_at TIMESTAMP"\n',
            ),
            edit(
                "config/nodes.yaml",
                "input: clean_orders\n    output: revenue",
                "input: [clean_orders, orders_eu]\n    output: revenue",
            ),
            edit(
                "src/shop/nodes.py",
                "def revenue_by_country(orders):",
                "def revenue_by_country(orders, more):\n    orders = orders.unionByName(more)",
            ),
        ),
        {("unsafe", "source-count", Q_REVENUE), ("review", "stateful-code", Q_REVENUE)},
    ),
    "rate limit added": (
        edit(
            "config/inputs.yaml",
            "path: data/orders/\n",
            "path: data/orders/\n    options: {maxFilesPerTrigger: 5}\n",
        ),
        {("safe", "source-rate-limit", q) for q in ORDERS_QUERIES},
    ),
    "source reader option added": (
        edit(
            "config/inputs.yaml",
            "path: data/payments/\n",
            "path: data/payments/\n    options: {multiLine: true}\n",
        ),
        {("review", "source-options", Q_PAID)},
    ),
    "kafka starting offsets changed": (
        edit("config/inputs.yaml", "startingOffsets: earliest", "startingOffsets: latest"),
        {
            ("safe", "source-starting-offsets", Q_VIEWS),
            ("safe", "source-starting-offsets", Q_CLICKS),
        },
    ),
    "source schema changed": (
        edit("config/inputs.yaml", "method STRING", "method STRING, currency STRING"),
        {("review", "source-schema", Q_PAID)},
    ),
    "watermark delay changed": (
        edit(
            "config/inputs.yaml",
            "{column: ordered_at, delay: 10 minutes}",
            "{column: ordered_at, delay: 1 hour}",
        ),
        {("review", "source-watermark", q) for q in ORDERS_QUERIES},
    ),
    "static side of a stream-static join changed": (
        edit("config/inputs.yaml", "path: data/customers/", "path: data/customers_v2/"),
        {("safe", "source-static", Q_ENRICHED)},
    ),
    # --- stateful operators --------------------------------------------------------------
    "grouping keys changed": (
        edit(
            "src/shop/nodes.py",
            'groupBy(hourly, "country")',
            'groupBy(hourly, "country", "customer_id")',
        ),
        {("unsafe", "aggregation-changed", Q_REVENUE)},
    ),
    "window of an aggregation changed": (
        edit("src/shop/nodes.py", '"1 hour"', '"2 hours"'),
        {("unsafe", "aggregation-changed", Q_REVENUE)},
    ),
    "aggregate changed": (
        edit(
            "src/shop/nodes.py",
            'F.sum("amount").alias("revenue")',
            'F.avg("amount").alias("revenue")',
        ),
        {("unsafe", "aggregation-changed", Q_REVENUE)},
    ),
    "deduplication added to a stateless query": (
        edit(
            "src/shop/nodes.py",
            'return orders.join(customers, on="customer_id", how="left")',
            'return orders.dropDuplicates(["order_id"]).join(customers, on="customer_id", how="left")',
        ),
        {("unsafe", "stateful-added-removed", Q_ENRICHED)},
    ),
    "deduplication columns changed": (
        edit("src/shop/nodes.py", '["user", "page", "ts"]', '["user", "page"]'),
        {("unsafe", "deduplication-changed", Q_VIEWS)},
    ),
    "stream-stream join type changed": (
        edit(
            "src/shop/nodes.py",
            'on="order_id", how="inner"',
            'on="order_id", how="left"',
        ),
        {("unsafe", "join-changed", Q_PAID)},
    ),
    "filter added before an aggregation": (
        edit(
            "src/shop/nodes.py",
            "return views.groupBy",
            'return views.filter(F.col("user").isNotNull()).groupBy',
        ),
        {("review", "stateful-code", Q_VIEWS)},
    ),
    "filter added in a stateless query": (
        edit(
            "src/shop/nodes.py",
            'return orders.join(customers, on="customer_id", how="left")',
            'return orders.join(customers, on="customer_id", how="left").filter("segment IS NOT NULL")',
        ),
        {("review", "code", Q_ENRICHED)},
    ),
    "stream-static join type changed (no state)": (
        edit(
            "src/shop/nodes.py",
            'on="customer_id", how="left"',
            'on="customer_id", how="inner"',
        ),
        {("review", "code", Q_ENRICHED)},
    ),
    # --- sinks -----------------------------------------------------------------------------
    "output mode of an aggregation changed": (
        edit("config/outputs.yaml", "output_mode: update", "output_mode: complete"),
        {("unsafe", "output-mode", Q_VIEWS)},
    ),
    "output mode of a stateless query changed": (
        edit(
            "config/outputs.yaml",
            "topic: clean-clicks\n",
            "topic: clean-clicks\n    output_mode: update\n",
        ),
        {("review", "output-mode-stateless", Q_CLICKS)},
    ),
    "sink option added": (
        edit(
            "config/outputs.yaml",
            "path: data/enriched/\n",
            "path: data/enriched/\n    options: {compression: zstd}\n",
        ),
        {("review", "sink-options", Q_ENRICHED)},
    ),
    "file sink format changed": (
        edit(
            "config/outputs.yaml",
            "format: parquet\n    path: data/enriched/",
            "format: json\n    path: data/enriched/",
        ),
        {("unsafe", "sink-type", Q_ENRICHED)},
    ),
    "file sink replaced by a kafka sink": (
        edit(
            "config/outputs.yaml",
            "format: parquet\n    path: data/paid/",
            "format: kafka\n    options:\n      kafka.bootstrap.servers: ${env:KAFKA_BROKERS}\n"
            "      topic: paid",
        ),
        {("safe", "sink-type-allowed", Q_PAID)},
    ),
    "file sink directory changed": (
        edit("config/outputs.yaml", "path: data/enriched/", "path: data/enriched_v2/"),
        {("unsafe", "sink-path", Q_ENRICHED)},
    ),
    "kafka sink topic changed": (
        edit("config/outputs.yaml", "topic: page-views", "topic: page-views-v2"),
        {("safe", "sink-topic", Q_VIEWS)},
    ),
    "partitioning of a file sink changed": (
        edit(
            "config/outputs.yaml",
            "path: data/enriched/\n",
            "path: data/enriched/\n    partition_by: [country]\n",
        ),
        {("review", "sink-partitioning", Q_ENRICHED)},
    ),
    "trigger interval changed": (
        edit(
            "config/outputs.yaml",
            "processing_time: 10 seconds",
            "processing_time: 1 minute",
        ),
        {("safe", "trigger", Q_ENRICHED)},
    ),
    "trigger switched to continuous processing": (
        edit(
            "config/outputs.yaml",
            "topic: clean-clicks\n",
            "topic: clean-clicks\n    trigger: {continuous: 1 second}\n",
        ),
        {("review", "trigger-continuous", Q_CLICKS)},
    ),
    "query renamed": (
        edit(
            "config/outputs.yaml",
            "path: data/paid/\n",
            "path: data/paid/\n    query_name: paid_orders\n",
        ),
        {("review", "query-name", "paid_orders")},
    ),
    # --- checkpoints and settings ------------------------------------------------------------
    "checkpoint moved, sink kept": (
        edit(
            "config/outputs.yaml",
            "path: data/paid/\n",
            "path: data/paid/\n    checkpoint: checkpoints/shop/paid_v2\n",
        ),
        {("unsafe", "checkpoint-moved", Q_PAID)},
    ),
    "checkpoint and sink both moved (a fresh query)": (
        edit(
            "config/outputs.yaml",
            "path: data/paid/\n",
            "path: data/paid_v2/\n    checkpoint: checkpoints/shop/paid_v2\n",
        ),
        {("review", "checkpoint-reset", Q_PAID)},
    ),
    "shuffle partitions changed": (
        edit(
            "config/pipelines.yaml",
            "spark.sql.shuffle.partitions: 4",
            "spark.sql.shuffle.partitions: 8",
        ),
        {("unsafe", "checkpoint-conf", q) for q in (Q_REVENUE, Q_PAID, Q_VIEWS)}
        | {("review", "checkpoint-conf-stateless", q) for q in (Q_ENRICHED, Q_CLICKS)},
    ),
    "other spark setting changed": (
        edit(
            "config/pipelines.yaml",
            "spark.sql.shuffle.partitions: 4",
            "spark.sql.shuffle.partitions: 4\n      spark.sql.session.timeZone: UTC",
        ),
        {("review", "spark-conf", None)},
    ),
    "query added": (
        both(
            append(
                "config/outputs.yaml",
                "  raw_orders:\n    format: parquet\n    path: data/raw_orders/\n",
            ),
            edit(
                "config/nodes.yaml",
                "input: orders\n",
                "input: orders\n    output: raw_orders\n",
            ),
        ),
        {("safe", "query-added", "shop.raw_orders")},
    ),
    "query removed": (
        edit("config/pipelines.yaml", ", clean_clicks]", "]"),
        {("review", "query-removed", Q_CLICKS)},
    ),
    "nothing changed": (lambda root: None, set()),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule(case, tmp_path, base_manifests):
    change, expected = CASES[case]
    found = findings_after(tmp_path, base_manifests, change)
    got = {(f.verdict, f.rule, f.query) for f in found}
    assert got == expected, render_text(found)
    for finding in found:  # each finding cites its rule and the guide
        assert finding.verdict == RULES[finding.rule].verdict
        assert finding.guide


def test_every_rule_is_exercised():
    exercised = {rule for _, expected in CASES.values() for _, rule, _ in expected}
    untested = set(RULES) - exercised
    # Covered by other tests in this file, or by construction (two sides always agree).
    assert untested <= {
        "pipeline-added",
        "pipeline-removed",
        "query-name-memory",
        "sink-foreach-code",
        "arbitrary-state-changed",
        "limit-changed",
    }


def _build(root: Path) -> None:
    result = tauro_gen("build", "--all", cwd=root)
    assert result.returncode == 0, result.stderr


def _project(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(SHOP, root)
    _build(root)
    return root


def test_cli_diff_of_two_generated_jobs(tmp_path):
    old = _project(tmp_path, "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    edit("config/inputs.yaml", "subscribe: clicks", "subscribe: clicks_v2")(new)
    _build(new)
    result = tauro_gen("diff", str(old / "build/shop.py"), str(new / "build/shop.py"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "UNSAFE  [source-topics] input 'clicks': subscribe 'clicks' -> 'clicks_v2'" in result.stdout
    )
    assert "Changes to subscribed topics/files are generally not allowed" in result.stdout
    assert "2 unsafe, 0 to review, 0 safe" in result.stdout

    # Manifests directly, and whole build folders, give the same answer.
    by_manifest = tauro_gen(
        "diff",
        str(old / "build/shop.manifest.json"),
        str(new / "build/shop.manifest.json"),
    )
    by_folder = tauro_gen("diff", str(old / "build"), str(new / "build"))
    assert by_manifest.stdout == by_folder.stdout == result.stdout


def test_build_warns_when_a_rebuild_changes_what_a_checkpoint_recorded(tmp_path):
    """The shop's stateful queries recorded 4 shuffle partitions at their first start; a
    rebuild with 8 is still written (it may be meant), with one warning per query whose
    checkpoint cannot follow, and none for a safe change or an unchanged rebuild."""
    root = _project(tmp_path, "shop")
    edit(
        "config/pipelines.yaml",
        "spark.sql.shuffle.partitions: 4",
        "spark.sql.shuffle.partitions: 8",
    )(root)
    result = tauro_gen("build", "--all", cwd=root)
    assert result.returncode == 0, result.stderr
    assert '"spark.sql.shuffle.partitions": 8' in (root / "build/shop.manifest.json").read_text()
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    stateful = ["shop.page_views", "shop.paid", "shop.revenue"]  # not the two stateless ones
    assert len(warnings) == len(stateful), result.stderr
    for query in stateful:
        assert any(
            line.startswith(f"build/shop.py: warning: query {query}: ")
            and "spark.sql.shuffle.partitions: 4 -> 8 [checkpoint-conf]" in line
            and "start the query from a new checkpoint, or revert" in line
            for line in warnings
        ), (query, result.stderr)

    assert tauro_gen("build", "--all", cwd=root).stderr == ""  # nothing changed
    edit("config/outputs.yaml", "topic: page-views", "topic: page-views-v2")(root)
    safe = tauro_gen("build", "--all", cwd=root)
    assert safe.returncode == 0 and ": warning: " not in safe.stderr, safe.stderr


def test_cli_diff_safe_change_exits_0_and_json(tmp_path):
    old = _project(tmp_path, "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    edit("config/outputs.yaml", "topic: page-views", "topic: page-views-v2")(new)
    _build(new)
    result = tauro_gen("diff", "--format", "json", str(old / "build"), str(new / "build"))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"] == {"unsafe": 0, "review": 0, "safe": 1}
    (finding,) = data["findings"]
    assert (
        finding["rule"] == "sink-topic"
        and finding["guide"] == "Changes to output topic are allowed"
    )


def test_cli_diff_against_a_git_revision(tmp_path):
    root = _project(tmp_path, "repo")
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=root, check=True)
    edit("src/shop/nodes.py", 'on="order_id", how="inner"', 'on="order_id", how="left"')(root)
    _build(root)
    result = tauro_gen("diff", "--against", "HEAD", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[join-changed] join in node 'paid_orders': join_type inner -> left" in result.stdout
    unchanged = tauro_gen("diff", "--against", "HEAD", "-p", str(root / "src"))
    assert unchanged.returncode == 2 and "no *.manifest.json" in unchanged.stderr
    bad = tauro_gen("diff", "--against", "no-such-ref", cwd=root)
    assert bad.returncode == 2 and "unknown git revision 'no-such-ref'" in bad.stderr


def test_cli_diff_usage_errors(tmp_path):
    root = _project(tmp_path, "p")
    assert tauro_gen("diff").returncode == 2
    missing = tauro_gen("diff", str(root / "build/shop.py"), str(root / "build/nope.py"))
    assert missing.returncode == 2
    assert "nope.manifest.json not found" in missing.stderr
    assert "Traceback" not in missing.stderr
    garbage = tmp_path / "garbage.manifest.json"
    garbage.write_text("{not json")
    broken = tauro_gen("diff", str(garbage), str(root / "build/shop.manifest.json"))
    assert broken.returncode == 2 and "not a tauro-gen manifest" in broken.stderr


def test_pipeline_added_and_removed(base_manifests):
    (manifest,) = base_manifests.values()
    added = {(f.verdict, f.rule) for f in diff_manifests(None, manifest)}
    assert ("safe", "pipeline-added") in added and ("safe", "query-added") in added
    removed = {(f.verdict, f.rule) for f in diff_manifests(manifest, None)}
    assert removed == {("review", "pipeline-removed"), ("review", "query-removed")}


def test_node_parameters_are_read_into_operator_keys(tmp_path):
    """`groupBy(F.window(col, size))` with `params: {size: ...}`: a new size is new keys."""
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    edit(
        "src/shop/nodes.py",
        "def revenue_by_country(orders):",
        "def revenue_by_country(orders, size):",
    )(root)
    edit("src/shop/nodes.py", '"1 hour"', "size")(root)
    edit(
        "config/nodes.yaml",
        "output: revenue\n",
        "output: revenue\n    params: {size: 1 hour}\n",
    )(root)
    old = manifests(root)["shop"]
    edit("config/nodes.yaml", "size: 1 hour", "size: 2 hours")(root)
    found = diff_manifests(old, manifests(root)["shop"])
    assert {(f.verdict, f.rule, f.query) for f in found} == {
        ("unsafe", "aggregation-changed", Q_REVENUE)
    }
    assert "keys F.window('ordered_at', '1 hour'), 'country' -> " in found[0].message
    assert "F.window('ordered_at', '2 hours'), 'country'" in found[0].message


def with_sink(manifest: Manifest, name: str, **changes) -> Manifest:
    sinks = tuple(
        dataclasses.replace(s, **changes) if s.name == name else s for s in manifest.sinks
    )
    return dataclasses.replace(manifest, sinks=sinks)


def test_memory_sink_rename_and_foreach_code(base_manifests):
    """Rules whose sinks the shop project does not have, on edited manifests."""
    old = with_sink(base_manifests["shop"], "clean_clicks", format="memory")
    new = with_sink(
        old,
        "clean_clicks",
        query_name="clicks_table",
        foreach_batch=ForeachBatch(function="write_batch", code_sha256="1"),
    )
    got = {(f.verdict, f.rule) for f in diff_manifests(old, new)}
    assert got == {("unsafe", "query-name-memory"), ("review", "sink-foreach-code")}


def test_stateful_operators_are_read_from_the_code(base_manifests):
    sinks = {s["name"]: s for s in to_plain(base_manifests["shop"])["sinks"]}
    assert sinks["revenue"]["stateful_operators"] == [
        {
            "node": "revenue_by_country",
            "kind": "aggregation",
            "operation": "groupBy",
            "keys": "F.window('ordered_at', '1 hour'), 'country'",
            "aggregates": "agg(F.sum('amount').alias('revenue'))",
        }
    ]
    assert [op["kind"] for op in sinks["page_views"]["stateful_operators"]] == [
        "deduplication",
        "aggregation",
    ]
    assert sinks["paid"]["stateful_operators"][0]["join_type"] == "inner"
    assert sinks["enriched_orders"]["stateful_operators"] == []  # stream-static join
    assert sinks["enriched_orders"]["lineage"]["static_sources"] == ["customers"]


def test_manifest_is_deterministic_and_holds_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("KAFKA_BROKERS", "broker-secret-host:9092")
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    first, second = manifests(root), manifests(root)
    assert first == second
    text = to_json(first["shop"])
    assert "broker-secret-host" not in text
    assert "${env:KAFKA_BROKERS}" in text
    assert first["shop"].env_vars == ("KAFKA_BROKERS",)


def test_every_golden_manifest_reads_back_as_it_was_written():
    """diff and dry-run read manifests with the typed model: whatever build writes, it reads
    (a Tauro node without a function has `function: null`)."""
    goldens = sorted((REPO / "tests" / "golden").rglob("*.manifest.json"))
    assert len(goldens) > 20
    for path in goldens:
        text = path.read_text()
        assert to_json(from_json(text, str(path))) == text, path
