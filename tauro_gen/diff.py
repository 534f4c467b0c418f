"""Checkpoint safety of a change: compare two manifests query by query.

Every difference between two builds of a pipeline is classified for each streaming query it
touches, following Spark's Structured Streaming guide, "Recovery Semantics after Changes in a
Streaming Query":

- unsafe: the query must not be restarted from its existing checkpoint (Spark refuses, fails
  later, or silently does something else than the new code says);
- review: allowed by Spark, but whether the result is what you want depends on the data or the
  code — a person has to look;
- safe: Spark restarts from the checkpoint and the change means what it says.

Queries are matched by checkpoint location (that is what identifies a query to Spark), then by
output name. The rules are the table `RULES`; each finding names its rule. Manifests are
compared as the typed objects of manifest.py.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass

from .manifest import Manifest, QueryOperator, Sink, Source, Trigger, from_json, to_plain
from .manifest import ManifestError as ManifestError  # what load_manifest raises
from .model import FILE_FORMATS

UNSAFE, REVIEW, SAFE = "unsafe", "review", "safe"
ORDER = {UNSAFE: 0, REVIEW: 1, SAFE: 2}

# Quoted from Spark's guide (docs/streaming/apis-on-dataframes-and-datasets.md, section
# "Recovery Semantics after Changes in a Streaming Query") and, where marked, other Spark docs.
G_SOURCES = "Changes in the number or type (i.e. different source) of input sources: not allowed"
G_SOURCE_PARAMS = (
    "Changes in the parameters of input sources: whether this is allowed and whether the "
    "semantics of the change are well-defined depends on the source and the query"
)
G_RATE_LIMITS = "Addition/deletion/modification of rate limits is allowed"
G_TOPICS_FILES = (
    "Changes to subscribed topics/files are generally not allowed as the results are unpredictable"
)
G_STARTING = (
    "Kafka integration guide: startingOffsets only applies when a new query is started; "
    "resuming always picks up from where the query left off"
)
G_SINK_TYPE = (
    "Changes in the type of output sink: allowed between a few specific combinations (file "
    "sink to Kafka sink; Kafka sink to foreach, or vice versa); Kafka sink to file sink is not "
    "allowed; other combinations need case-by-case verification"
)
G_SINK_PARAMS = (
    "Changes in the parameters of output sink: whether this is allowed depends on the sink "
    "and the query"
)
G_SINK_DIR = "Changes to output directory of a file sink are not allowed"
G_SINK_TOPIC = "Changes to output topic are allowed"
G_FOREACH = (
    "Changes to the user-defined foreach sink code are allowed, but the semantics of the "
    "change depends on the code"
)
G_PROJECTIONS = (
    "Changes in projection / filter / map-like operations: some cases are allowed (adding or "
    "removing filters; projections with the same output schema; a different output schema "
    "only if the sink allows it)"
)
G_STATEFUL = (
    "Changes in stateful operations: any changes (additions, deletions, or schema "
    "modifications) to the stateful operations of a streaming query are not allowed"
)
G_AGG = "Streaming aggregation: any change in number or type of grouping keys or aggregates is not allowed"
G_DEDUP = (
    "Streaming deduplication: any change in number or type of deduplicating columns is not allowed"
)
G_JOIN = (
    "Stream-stream join: changes in the schema or equi-joining columns are not allowed; "
    "changes in join type (outer or inner) are not allowed"
)
G_ARBITRARY = (
    "Arbitrary stateful operation: any change to the schema of the user-defined state and "
    "the type of timeout is not allowed"
)
G_SHUFFLE = (
    "SQL configuration guide, spark.sql.shuffle.partitions: for structured streaming, this "
    "configuration cannot be changed between query restarts from the same checkpoint location"
)
G_CHECKPOINT = (
    "Recovering from Failures with Checkpointing: the checkpoint holds the progress "
    "(offsets) and the running state of the query"
)
G_NONE = "not covered by the guide"


@dataclass(frozen=True)
class Rule:
    id: str
    verdict: str
    title: str
    guide: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "pipeline-added",
            SAFE,
            "a new pipeline: its queries start with new checkpoints",
            G_NONE,
        ),
        Rule(
            "pipeline-removed",
            REVIEW,
            "a pipeline was removed: its checkpoints are left behind",
            G_NONE,
        ),
        Rule(
            "query-added",
            SAFE,
            "a new streaming query: it starts with a new checkpoint",
            G_NONE,
        ),
        Rule(
            "query-removed",
            REVIEW,
            "a streaming query was removed: its checkpoint is left behind",
            G_NONE,
        ),
        Rule(
            "checkpoint-moved",
            UNSAFE,
            "checkpoint location changed while the sink stayed: the query starts over and "
            "writes everything again into the same sink",
            G_CHECKPOINT,
        ),
        Rule(
            "checkpoint-reset",
            REVIEW,
            "checkpoint location and sink both changed: a fresh query; the old checkpoint and "
            "output are left behind",
            G_CHECKPOINT,
        ),
        Rule(
            "source-count",
            UNSAFE,
            "a streaming source was added to or removed from the query",
            G_SOURCES,
        ),
        Rule("source-type", UNSAFE, "a streaming source changed format", G_SOURCES),
        Rule("source-files", UNSAFE, "a file source reads another path", G_TOPICS_FILES),
        Rule(
            "source-topics",
            UNSAFE,
            "a Kafka source subscribes to other topics",
            G_TOPICS_FILES,
        ),
        Rule("source-rate-limit", SAFE, "a source's rate limit changed", G_RATE_LIMITS),
        Rule(
            "source-starting-offsets",
            SAFE,
            "where a new query starts reading changed",
            G_STARTING,
        ),
        Rule(
            "source-options",
            REVIEW,
            "a streaming source's options changed",
            G_SOURCE_PARAMS,
        ),
        Rule(
            "source-schema",
            REVIEW,
            "a streaming source's schema changed",
            G_PROJECTIONS,
        ),
        Rule("source-watermark", REVIEW, "a source's watermark changed", G_SOURCE_PARAMS),
        Rule(
            "source-static",
            SAFE,
            "a static (batch) input of a stream-static join changed: it is read again every "
            "micro-batch and is not part of the checkpoint",
            G_NONE,
        ),
        Rule("sink-type", UNSAFE, "the sink type changed", G_SINK_TYPE),
        Rule(
            "sink-type-allowed",
            SAFE,
            "the sink type changed in a way Spark allows",
            G_SINK_TYPE,
        ),
        Rule(
            "sink-path",
            UNSAFE,
            "the sink writes to another directory or table",
            G_SINK_DIR,
        ),
        Rule("sink-topic", SAFE, "the Kafka sink writes to another topic", G_SINK_TOPIC),
        Rule("sink-foreach-code", REVIEW, "the foreach_batch function changed", G_FOREACH),
        Rule("sink-options", REVIEW, "the sink's options changed", G_SINK_PARAMS),
        Rule(
            "sink-partitioning",
            REVIEW,
            "the sink's partition columns changed",
            G_SINK_PARAMS,
        ),
        Rule(
            "output-mode",
            UNSAFE,
            "the output mode of a stateful query changed: its state was kept and evicted for "
            "the old mode",
            G_STATEFUL,
        ),
        Rule(
            "output-mode-stateless",
            REVIEW,
            "the output mode of a query without state changed (append and update write the "
            "same rows there; complete needs an aggregation)",
            G_SINK_PARAMS,
        ),
        Rule(
            "trigger",
            SAFE,
            "the trigger changed",
            G_NONE + " (the trigger is not in the checkpoint)",
        ),
        Rule(
            "trigger-continuous",
            REVIEW,
            "the trigger changed between micro-batch and continuous processing",
            G_NONE + " (continuous processing supports only some sources, sinks and operations)",
        ),
        Rule(
            "query-name",
            REVIEW,
            "the query was renamed: Spark identifies it by the id in its checkpoint, but "
            "dashboards, alerts and listeners that use the name do not follow",
            G_NONE,
        ),
        Rule(
            "query-name-memory",
            UNSAFE,
            "a memory sink's query was renamed: the in-memory table is named after the query",
            G_NONE,
        ),
        Rule(
            "stateful-added-removed",
            UNSAFE,
            "a stateful operator was added or removed",
            G_STATEFUL,
        ),
        Rule("aggregation-changed", UNSAFE, "grouping keys or aggregates changed", G_AGG),
        Rule("deduplication-changed", UNSAFE, "deduplication columns changed", G_DEDUP),
        Rule(
            "join-changed",
            UNSAFE,
            "a stream-stream join's type or keys changed",
            G_JOIN,
        ),
        Rule(
            "arbitrary-state-changed",
            UNSAFE,
            "a user-defined stateful operation's arguments changed",
            G_ARBITRARY,
        ),
        Rule("limit-changed", UNSAFE, "a streaming limit changed", G_STATEFUL),
        Rule(
            "stateful-code",
            REVIEW,
            "code feeding stateful operators changed while the operators read the same: the "
            "state schema must stay the same (same key and aggregate types)",
            G_STATEFUL,
        ),
        Rule(
            "code",
            REVIEW,
            "node code or parameters changed in a query without state",
            G_PROJECTIONS,
        ),
        Rule(
            "checkpoint-conf",
            UNSAFE,
            "a setting recorded in the checkpoint changed for a stateful query: Spark keeps the "
            "recorded value and ignores the new one, so the state layout cannot change",
            G_SHUFFLE,
        ),
        Rule(
            "checkpoint-conf-stateless",
            REVIEW,
            "a setting recorded in the checkpoint changed: Spark keeps the recorded value for "
            "this query and ignores the new one (no state depends on it)",
            G_SHUFFLE,
        ),
        Rule("spark-conf", REVIEW, "a Spark setting of the pipeline changed", G_NONE),
    )
}

RATE_LIMITS = frozenset(
    {
        "maxFilesPerTrigger",
        "maxBytesPerTrigger",
        "maxOffsetsPerTrigger",
        "minOffsetsPerTrigger",
        "maxTriggerDelay",
    }
)
STARTING = frozenset(
    {
        "startingOffsets",
        "startingOffsetsByTimestamp",
        "startingTimestamp",
        "startingOffsetsByTimestampStrategy",
    }
)
SUBSCRIPTIONS = ("subscribe", "subscribePattern", "assign")
# Settings Spark records in the offset log and restores on restart (OffsetSeqMetadata), as
# found in the offsets files of a pyspark 4.2 checkpoint.
CHECKPOINT_CONF = frozenset(
    {
        "spark.sql.shuffle.partitions",
        "spark.sql.streaming.stateStore.encodingFormat",
        "spark.sql.streaming.stateStore.rocksdb.mergeOperatorVersion",
        "spark.sql.streaming.stateStore.rowChecksum.enabled",
        "spark.sql.streaming.queryEvolution.enableSourceEvolution",
        "spark.sql.optimizer.pruneFiltersCanPruneStreamingSubplan",
        "spark.sql.streaming.stateStore.providerClass",
        "spark.sql.streaming.multipleWatermarkPolicy",
        "spark.sql.streaming.flatMapGroupsWithState.stateFormatVersion",
        "spark.sql.streaming.aggregation.stateFormatVersion",
        "spark.sql.streaming.join.stateFormatVersion",
        "spark.sql.streaming.stateStore.compression.codec",
        "spark.sql.streaming.stateStore.rocksdb.formatVersion",
        "spark.sql.streaming.statefulOperator.useStrictDistribution",
    }
)
STATEFUL_RULE = {
    "aggregation": "aggregation-changed",
    "deduplication": "deduplication-changed",
    "join": "join-changed",
    "arbitrary_state": "arbitrary-state-changed",
    "limit": "limit-changed",
}


@dataclass(frozen=True)
class Finding:
    verdict: str
    rule: str
    pipeline: str
    query: str | None  # the query's name, None for the pipeline as a whole
    checkpoint: str | None
    message: str

    @property
    def guide(self) -> str:
        return RULES[self.rule].guide

    def as_json(self) -> dict:
        return {
            **asdict(self),
            "guide": self.guide,
            "rule_title": RULES[self.rule].title,
        }


def load_manifest(text: str, where: str) -> Manifest:
    """The manifest in `text`; ManifestError (naming `where`) when it cannot be read."""
    return from_json(text, where)


def diff_manifests(old: Manifest | None, new: Manifest | None) -> list[Finding]:
    """Every finding for one pipeline; `old` or `new` is None when it exists on one side only."""
    findings: list[Finding] = []
    if old is None and new is None:
        return findings
    name = (new or old).pipeline
    if old is None:
        findings.append(Finding(SAFE, "pipeline-added", name, None, None, f"new pipeline '{name}'"))
        for sink in new.queries():
            findings.append(_query_finding("query-added", name, sink, "new query"))
        return findings
    if new is None:
        findings.append(
            Finding(REVIEW, "pipeline-removed", name, None, None, f"pipeline '{name}' removed")
        )
        for sink in old.queries():
            findings.append(
                _query_finding(
                    "query-removed", name, sink, f"checkpoint {sink.checkpoint} is no longer used"
                )
            )
        return findings

    pairs: list[tuple[Sink, Sink]] = []
    unmatched_new = new.queries()
    unmatched_old = []
    for sink in old.queries():
        match = next((s for s in unmatched_new if s.checkpoint == sink.checkpoint), None)
        if match is None:
            match = next((s for s in unmatched_new if s.name == sink.name), None)
        if match is None:
            unmatched_old.append(sink)
            continue
        unmatched_new.remove(match)
        pairs.append((sink, match))
    for sink in unmatched_old:
        findings.append(
            _query_finding(
                "query-removed", name, sink, f"checkpoint {sink.checkpoint} is no longer used"
            )
        )
    for sink in unmatched_new:
        findings.append(_query_finding("query-added", name, sink, "new query"))
    for old_sink, new_sink in pairs:
        findings.extend(_QueryDiff(name, old, new, old_sink, new_sink).run())
    findings.extend(_conf_findings(name, old, new, pairs))
    return sorted(findings, key=_sort_key)


def _sort_key(f: Finding) -> tuple:
    return (f.pipeline, f.query or "", ORDER[f.verdict], f.rule, f.message)


def _query_finding(rule: str, pipeline: str, sink: Sink, message: str) -> Finding:
    return Finding(RULES[rule].verdict, rule, pipeline, sink.query_name, sink.checkpoint, message)


def _show(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return repr(value)
    return json.dumps(to_plain(value), sort_keys=True)


def _code(text) -> str:
    """Code as written (already canonical source text), or (none)."""
    return str(text) if text else "(none)"


def _stateful(sink: Sink) -> bool:
    return bool(sink.stateful_operators)


# What an operator's state is defined by, compared between two builds (alphabetical: the
# order the findings name them in).
OPERATOR_DETAILS = ("aggregates", "arguments", "join_type", "keys", "on", "operation")


class _QueryDiff:
    def __init__(self, pipeline: str, old: Manifest, new: Manifest, old_sink: Sink, new_sink: Sink):
        self.pipeline = pipeline
        self.old, self.new = old, new
        self.o, self.n = old_sink, new_sink
        self.findings: list[Finding] = []

    def add(self, rule: str, message: str) -> None:
        self.findings.append(
            Finding(
                RULES[rule].verdict,
                rule,
                self.pipeline,
                self.n.query_name,
                self.n.checkpoint,
                message,
            )
        )

    def run(self) -> list[Finding]:
        o, n = self.o, self.n
        if o.checkpoint != n.checkpoint:
            same_sink = (o.format, o.path, o.table, _topic(o)) == (
                n.format,
                n.path,
                n.table,
                _topic(n),
            )
            self.add(
                "checkpoint-moved" if same_sink else "checkpoint-reset",
                f"checkpoint {o.checkpoint!r} -> {n.checkpoint!r}",
            )
            return self.findings
        self.sources()
        stateful_changed = self.stateful()
        self.code(stateful_changed)
        self.sink()
        return self.findings

    # -- sources -----------------------------------------------------------------------------
    def sources(self) -> None:
        old_src = {s.name: s for s in self.old.sources}
        new_src = {s.name: s for s in self.new.sources}
        old_names = list(self.o.lineage.streaming_sources)
        new_names = list(self.n.lineage.streaming_sources)
        if len(old_names) != len(new_names):
            added = [x for x in new_names if x not in old_names]
            removed = [x for x in old_names if x not in new_names]
            parts = []
            if added:
                parts.append("added " + ", ".join(repr(x) for x in added))
            if removed:
                parts.append("removed " + ", ".join(repr(x) for x in removed))
            self.add(
                "source-count",
                f"streaming sources {len(old_names)} -> {len(new_names)}"
                + (f" ({'; '.join(parts)})" if parts else ""),
            )
            return
        # Pair by name, then what is left by position (a renamed input is the same source).
        pairs = [(x, x) for x in old_names if x in new_names]
        rest_old = [x for x in old_names if x not in new_names]
        rest_new = [x for x in new_names if x not in old_names]
        pairs += list(zip(rest_old, rest_new))
        for old_name, new_name in pairs:
            self.source(old_src[old_name], new_src[new_name])
        old_static = {x: old_src[x] for x in self.o.lineage.static_sources}
        new_static = {x: new_src[x] for x in self.n.lineage.static_sources}
        if old_static != new_static:
            changed = sorted(
                x
                for x in set(old_static) | set(new_static)
                if old_static.get(x) != new_static.get(x)
            )
            self.add(
                "source-static",
                "static input(s) " + ", ".join(repr(x) for x in changed) + " changed",
            )

    def source(self, o: Source, n: Source) -> None:
        label = f"input {n.name!r}" if o.name == n.name else f"input {o.name!r} -> {n.name!r}"
        if o.format != n.format:
            self.add("source-type", f"{label}: format {o.format!r} -> {n.format!r}")
            return
        if o.path != n.path or o.table != n.table:
            what = "path" if o.path != n.path else "table"
            self.add(
                "source-files",
                f"{label}: {what} {_show(getattr(o, what))} -> {_show(getattr(n, what))}",
            )
        oo, no = o.options, n.options
        for key in SUBSCRIPTIONS:
            if oo.get(key) != no.get(key):
                self.add(
                    "source-topics",
                    f"{label}: {key} {_show(oo.get(key))} -> {_show(no.get(key))}",
                )
        for key in sorted(set(oo) | set(no)):
            if key in SUBSCRIPTIONS or oo.get(key) == no.get(key):
                continue
            rule = (
                "source-rate-limit"
                if key in RATE_LIMITS
                else "source-starting-offsets" if key in STARTING else "source-options"
            )
            self.add(
                rule,
                f"{label}: option {key} {_show(oo.get(key))} -> {_show(no.get(key))}",
            )
        if (o.schema, o.schema_pinned_at) != (n.schema, n.schema_pinned_at):
            old_schema = o.schema or f"(pinned at first start in {o.schema_pinned_at})"
            new_schema = n.schema or f"(pinned at first start in {n.schema_pinned_at})"
            extra = (
                "; the stateful operators of this query must see the same key and value types"
                if _stateful(self.n)
                else ""
            )
            self.add("source-schema", f"{label}: schema {old_schema} -> {new_schema}{extra}")
        if (o.watermark, o.value_format) != (n.watermark, n.value_format):
            key = "watermark" if o.watermark != n.watermark else "value_format"
            self.add(
                "source-watermark" if key == "watermark" else "source-options",
                f"{label}: {key} {_show(getattr(o, key))} -> {_show(getattr(n, key))}",
            )

    # -- stateful operators and code ---------------------------------------------------------------
    def stateful(self) -> bool:
        old_ops, new_ops = self.o.stateful_operators, self.n.stateful_operators
        old_kinds = Counter(op.operator.kind for op in old_ops)
        new_kinds = Counter(op.operator.kind for op in new_ops)
        changed = False
        if old_kinds != new_kinds:
            for kind in sorted(set(old_kinds) | set(new_kinds)):
                delta = new_kinds[kind] - old_kinds[kind]
                if delta:
                    nodes = sorted(
                        {
                            op.node
                            for op in (new_ops if delta > 0 else old_ops)
                            if op.operator.kind == kind
                        }
                    )
                    verb = "added" if delta > 0 else "removed"
                    self.add(
                        "stateful-added-removed",
                        f"{abs(delta)} {kind} operator(s) {verb} (node {', '.join(repr(x) for x in nodes)})",
                    )
            return True
        by_kind_old: dict[str, list[QueryOperator]] = {}
        by_kind_new: dict[str, list[QueryOperator]] = {}
        for op in old_ops:
            by_kind_old.setdefault(op.operator.kind, []).append(op)
        for op in new_ops:
            by_kind_new.setdefault(op.operator.kind, []).append(op)
        for kind in sorted(by_kind_old):
            for o, n in zip(by_kind_old[kind], by_kind_new[kind]):
                details = [
                    k for k in OPERATOR_DETAILS if getattr(o.operator, k) != getattr(n.operator, k)
                ]
                if details:
                    text = "; ".join(
                        f"{k} {_code(getattr(o.operator, k))} -> {_code(getattr(n.operator, k))}"
                        for k in details
                    )
                    self.add(
                        STATEFUL_RULE.get(kind, "stateful-added-removed"),
                        f"{kind} in node {n.node!r}: {text}",
                    )
                    changed = True
        return changed

    def code(self, stateful_changed: bool) -> None:
        old_nodes = {x.name: x for x in self.old.nodes}
        new_nodes = {x.name: x for x in self.new.nodes}
        old_lineage, new_lineage = self.o.lineage.nodes, self.n.lineage.nodes
        changes = []
        for name in new_lineage:
            if name not in old_lineage:
                changes.append(f"node {name!r} added")
                continue
            o, n = old_nodes[name], new_nodes[name]
            what = [
                k
                for k in ("function", "code_sha256", "params", "inputs")
                if getattr(o, k) != getattr(n, k)
            ]
            if what:
                shown = ", ".join("code" if k == "code_sha256" else k for k in what)
                changes.append(f"node {name!r}: {shown} changed")
        changes += [f"node {name!r} removed" for name in old_lineage if name not in new_lineage]
        if not changes or stateful_changed:
            return
        self.add("stateful-code" if _stateful(self.n) else "code", "; ".join(changes))

    # -- sink --------------------------------------------------------------------------------------
    def sink(self) -> None:
        o, n = self.o, self.n
        type_changed = o.format != n.format
        if type_changed:
            allowed = _sink_change_allowed(o.format, n.format)
            self.add(
                "sink-type-allowed" if allowed else "sink-type",
                f"sink format {o.format!r} -> {n.format!r}",
            )
        for key in ("path", "table"):
            old_value, new_value = getattr(o, key), getattr(n, key)
            if old_value != new_value and not (
                type_changed and (old_value is None or new_value is None)
            ):
                self.add("sink-path", f"sink {key} {_show(old_value)} -> {_show(new_value)}")
        if _topic(o) != _topic(n) and not type_changed:
            self.add("sink-topic", f"sink topic {_show(_topic(o))} -> {_show(_topic(n))}")
        oo, no = o.options, n.options
        changed_options = [
            k for k in sorted(set(oo) | set(no)) if k != "topic" and oo.get(k) != no.get(k)
        ]
        if changed_options and not type_changed:
            text = "; ".join(
                f"{k} {_show(oo.get(k))} -> {_show(no.get(k))}" for k in changed_options
            )
            self.add("sink-options", f"sink option(s): {text}")
        if o.partition_by != n.partition_by:
            self.add(
                "sink-partitioning",
                f"partition_by {_show(o.partition_by)} -> {_show(n.partition_by)}",
            )
        if o.foreach_batch != n.foreach_batch and not type_changed:
            function = o.foreach_batch.function if o.foreach_batch else None
            self.add("sink-foreach-code", f"foreach_batch {_show(function)} changed")
        if o.output_mode != n.output_mode:
            rule = "output-mode" if _stateful(o) or _stateful(n) else "output-mode-stateless"
            self.add(rule, f"output mode {o.output_mode!r} -> {n.output_mode!r}")
        if o.trigger != n.trigger:
            kinds = {t.kind if t else None for t in (o.trigger, n.trigger)}
            rule = "trigger-continuous" if "continuous" in kinds else "trigger"
            self.add(
                rule,
                f"trigger {_trigger_text(o.trigger)} -> {_trigger_text(n.trigger)}",
            )
        if o.query_name != n.query_name:
            rule = "query-name-memory" if "memory" in (o.format, n.format) else "query-name"
            self.add(rule, f"query name {o.query_name!r} -> {n.query_name!r}")


def _topic(sink: Sink):
    return sink.options.get("topic")


def _sink_change_allowed(old: str, new: str) -> bool:
    """The combinations Spark's guide names as allowed."""
    foreach_like = ("foreach_batch", "jdbc")  # both are written with foreachBatch
    if old in FILE_FORMATS and new == "kafka":
        return True
    return (old, new) in (("kafka", f) for f in foreach_like) or (
        new == "kafka" and old in foreach_like
    )


def _trigger_text(trigger: Trigger | None) -> str:
    if not trigger:
        return "default (next micro-batch as soon as the previous one ends)"
    if trigger.interval:
        return f"{trigger.kind} {trigger.interval!r}"
    return str(trigger.kind)


def _unset(key: str, manifest: Manifest) -> str:
    if key == "spark.sql.shuffle.partitions" and manifest.sizes_shuffle_partitions:
        return "(not set: the job's cores at first start, or spark-submit --conf)"
    return "(not set: Spark's default or spark-submit --conf)"


def _conf_findings(pipeline: str, old: Manifest, new: Manifest, pairs) -> list[Finding]:
    oc, nc = old.spark_conf, new.spark_conf
    findings = []
    for key in sorted(set(oc) | set(nc)):
        if oc.get(key) == nc.get(key):
            continue
        old_value = _show(oc[key]) if key in oc else _unset(key, old)
        new_value = _show(nc[key]) if key in nc else _unset(key, new)
        text = f"{key}: {old_value} -> {new_value}"
        if key in CHECKPOINT_CONF and pairs:
            for old_sink, new_sink in pairs:
                rule = (
                    "checkpoint-conf"
                    if _stateful(old_sink) or _stateful(new_sink)
                    else "checkpoint-conf-stateless"
                )
                findings.append(
                    Finding(
                        RULES[rule].verdict,
                        rule,
                        pipeline,
                        new_sink.query_name,
                        new_sink.checkpoint,
                        text,
                    )
                )
        else:
            findings.append(Finding(REVIEW, "spark-conf", pipeline, None, None, text))
    return findings


def summary(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(f.verdict for f in findings)
    return {UNSAFE: counts[UNSAFE], REVIEW: counts[REVIEW], SAFE: counts[SAFE]}


def render_text(findings: list[Finding], colour: bool = False) -> str:
    """Findings grouped by pipeline and query, the worst first within each query."""
    tint = {UNSAFE: "\033[1;31m", REVIEW: "\033[1;33m", SAFE: "\033[32m"}
    lines: list[str] = []
    current: tuple | None = None
    for f in findings:
        group = (f.pipeline, f.query)
        if group != current:
            if lines:
                lines.append("")
            if f.query is None:
                lines.append(f"pipeline {f.pipeline}")
            else:
                lines.append(f"pipeline {f.pipeline}, query {f.query} (checkpoint {f.checkpoint})")
            current = group
        label = f"{f.verdict.upper() if f.verdict == UNSAFE else f.verdict:<6}"
        if colour:
            label = f"{tint[f.verdict]}{label}\033[0m"
        lines.append(f"  {label}  [{f.rule}] {f.message}")
        lines.append(f"          {RULES[f.rule].title}; Spark: {f.guide}")
    counts = summary(findings)
    if not findings:
        lines.append("no changes to any streaming query")
    else:
        lines.append("")
    verdict = (
        "the existing checkpoint(s) will not restore safely: start those queries from a new "
        "checkpoint, or revert the change"
        if counts[UNSAFE]
        else "every existing checkpoint can be restored"
    )
    lines.append(
        f"{counts[UNSAFE]} unsafe, {counts[REVIEW]} to review, {counts[SAFE]} safe: {verdict}"
    )
    return "\n".join(lines) + "\n"


def render_json(findings: list[Finding]) -> str:
    return (
        json.dumps(
            {"summary": summary(findings), "findings": [f.as_json() for f in findings]},
            indent=2,
        )
        + "\n"
    )
