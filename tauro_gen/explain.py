"""`tauro-gen explain`: the configuration one pipeline really runs with, and where each value
came from.

Values are shown after the environment overlay (config/<env>/) and build-time `${name}`
interpolation, each with the file:line it was written at (the overlay's line when an overlay
set it). Values nobody wrote — defaults and implied wiring — are listed too, with the rule that
produced them. `${env:NAME}` references stay references: the job reads them when it starts,
and explain never looks at the environment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .load import RawProject
from .model import TAURO_BATCH_SINK_OPTIONS, TAURO_MEMORY_QUERY, TAURO_SINK_OPTIONS, Project
from .plan import FORMAT_DEFAULT_OPTIONS, EnvValue, JobPlan
from .validate.keys import ALIASES

KIND_OF_SECTION = {
    "pipelines": "pipeline",
    "nodes": "node",
    "inputs": "input",
    "outputs": "output",
}
WIDTH = 56  # where the "# origin" comments start, unless a line is longer


@dataclass(frozen=True)
class Row:
    path: tuple  # e.g. ("inputs", "sales_stream", "path")
    value: Any  # a plain value; None with `heading` for a mapping's own line
    origin: str  # "config/inputs.yaml:3:11", or "default: ..." / "implied: ..." / "derived: ..."
    heading: bool = False

    def as_json(self) -> dict:
        return {
            "path": ".".join(str(p) for p in self.path),
            "value": self.value,
            "origin": self.origin,
        }


def _from_streaming_block(raw: RawProject, node: str) -> list[tuple[str, Any, str]]:
    """The query settings a Tauro node's `streaming:` block gives its inline output."""
    block = raw.sections["nodes"].get(node, {}).get("streaming")
    rows = []
    for key, value in (block or {}).items() if isinstance(block, dict) else ():
        canonical = ALIASES["streaming"].get(str(key), str(key))
        if canonical not in ("trigger", "output_mode", "checkpoint", "query_name"):
            continue
        where = raw.where(("nodes", node, "streaming", key))
        rows.append((canonical, _plain(value), f"node's streaming: {where}"))
    return rows


def _tauro_sink_defaults(spec, sink) -> list[tuple[str, Any, str]]:
    """What a Tauro node's inline output gets that nobody wrote (model.TAURO_*)."""
    rows: list[tuple[str, Any, str]] = []
    if spec.checkpoint:
        rows.append(
            (
                "checkpoint (used)",
                sink.checkpoint,
                "Tauro: <checkpoint_location>/<pipeline>/<node>, without Tauro's run id "
                "(with it a restart never resumes)",
            )
        )
    else:
        rows.append(
            ("checkpoint", sink.checkpoint, "default: <checkpoint_root>/<pipeline>/<output>")
        )
    if spec.format == "memory":
        why = f"Tauro default for memory: options.queryName, else {TAURO_MEMORY_QUERY}"
    else:
        why = "Tauro default: <pipeline>_<node>"
    rows.append(("query_name", sink.query_name, why))
    for key, value in TAURO_SINK_OPTIONS.get(spec.format, {}).items():
        if key not in spec.options:
            rows.append((f"options.{key}", value, f"Tauro default for {spec.format}"))
    return rows


def explain_rows(raw: RawProject, project: Project, plan: JobPlan) -> list[Row]:
    """Every value of the pipeline's entries, then what the plan decided that nobody wrote."""
    pipeline = project.pipelines[plan.pipeline]
    rows: list[Row] = []
    lines = _SourceLines(raw.root)

    def walk(path: tuple, value: Any, kind: str | None) -> None:
        if isinstance(value, dict) and value:
            for key, item in value.items():
                key_path = path + (key,)
                if isinstance(item, dict) and item:
                    rows.append(
                        Row(
                            key_path,
                            None,
                            _origin(raw, key_path, lines, item, kind, key),
                            True,
                        )
                    )
                    walk(key_path, item, None)
                elif isinstance(item, list) and any(isinstance(x, dict) for x in item):
                    rows.append(
                        Row(
                            key_path,
                            None,
                            _origin(raw, key_path, lines, item, kind, key),
                            True,
                        )
                    )
                    for i, element in enumerate(item):
                        rows.append(
                            Row(
                                key_path + (i,),
                                element,
                                str(raw.where(key_path + (i,), True)),
                            )
                        )
                else:
                    rows.append(
                        Row(
                            key_path,
                            item,
                            _origin(raw, key_path, lines, item, kind, key),
                        )
                    )

    def entry(section: str, name: str, derived: list[tuple[str, Any, str]]) -> None:
        path = (section, name)
        data = raw.sections[section].get(name)
        rows.append(Row(path, None, str(raw.where(path)), True))
        if isinstance(data, dict):
            walk(path, data, KIND_OF_SECTION[section])
        written = {ALIASES.get(KIND_OF_SECTION[section], {}).get(k, k) for k in (data or {})}
        for key, value, why in derived:  # the first reason given for a key is the one
            if key not in written:
                rows.append(Row(path + (key,), value, why))
                written.add(key)

    rows.append(Row(("pipelines",), None, "", True))
    first_streaming = next(
        (project.inputs[i].name for i in pipeline.inputs if project.inputs[i].streaming),
        None,
    )
    kind_why = (
        f"derived: input '{first_streaming}' streams"
        if first_streaming
        else "derived: no input streams"
    )
    entry("pipelines", plan.pipeline, [("type", pipeline.kind, kind_why)])

    rows.append(Row(("nodes",), None, "", True))
    for wiring in pipeline.order:
        spec = project.nodes[wiring.node]
        derived = []
        if spec.inputs is None:
            derived.append(
                (
                    "input",
                    list(wiring.args),
                    _implied_input_reason(spec, wiring, project),
                )
            )
        if spec.outputs is None and wiring.outputs:
            derived.append(("output", list(wiring.outputs), "implied: the project's only output"))
        if spec.inputs is not None and list(wiring.args) != spec.inputs:
            derived.append(
                (
                    "input (used)",
                    list(wiring.args),
                    "Tauro's chain: an input its dependency writes is that node's DataFrame",
                )
            )
        for key in spec.tauro_dates:
            derived.append(
                (
                    f"params.{key}",
                    _plain(spec.params[key]),
                    f"Tauro: global setting {key}, passed to a node written module: + function:",
                )
            )
        entry("nodes", wiring.node, derived)

    rows.append(Row(("inputs",), None, "", True))
    sources = {s.name: s for s in plan.sources}
    for name in pipeline.inputs:
        source = sources.get(name)
        spec = project.inputs[name]
        derived: list[tuple[str, Any, str]] = [("streaming", spec.streaming, "default: false")]
        for key, value in FORMAT_DEFAULT_OPTIONS.get(spec.format, {}).items():
            if key not in spec.options:
                derived.append(
                    (
                        f"options.{key}",
                        value,
                        f"default for {spec.format}: tauro-gen reads a header row",
                    )
                )
        if source is not None and source.pin_schema:
            derived.append(
                (
                    "schema",
                    None,
                    f"none: inferred at the first start, pinned in {source.schema_store}",
                )
            )
        entry("inputs", name, derived)

    rows.append(Row(("outputs",), None, "", True))
    trigger_from_pipeline = project.pipelines[plan.pipeline].spec.trigger
    for sink in plan.sinks:
        spec = project.outputs[sink.name]
        derived = []
        if sink.streaming and spec.tauro_node:
            derived += _tauro_sink_defaults(spec, sink)
        elif sink.streaming:
            derived.append(
                (
                    "checkpoint",
                    sink.checkpoint,
                    "default: <checkpoint_root>/<pipeline>/<output>",
                )
            )
            derived.append(("query_name", sink.query_name, "default: <pipeline>.<output>"))
        if sink.streaming:
            derived.append(("output_mode", sink.output_mode, "default: append"))
            if sink.trigger is None:
                derived.append(
                    (
                        "trigger",
                        None,
                        "default: Spark's (next micro-batch as soon as the previous ends)",
                    )
                )
            elif spec.trigger is None and spec.tauro_node and trigger_from_pipeline is None:
                derived.append(("trigger", _trigger(sink.trigger), "Tauro default"))
            elif spec.trigger is None and trigger_from_pipeline is not None:
                derived.append(
                    (
                        "trigger",
                        _trigger(sink.trigger),
                        f"from pipeline '{plan.pipeline}'",
                    )
                )
        elif spec.tauro_layout:
            derived.append(
                ("path", spec.path, "Tauro: <output_path>/<env>/<schema>/<sub_folder>/<table>")
            )
            derived.append(("mode", sink.mode, "Tauro default: overwrite"))
            for key, value in TAURO_BATCH_SINK_OPTIONS.get(spec.format, {}).items():
                if key not in spec.options:
                    derived.append((f"options.{key}", value, f"Tauro default for {spec.format}"))
        else:
            derived.append(("mode", sink.mode, "default: error (refuse to overwrite)"))
        if spec.tauro_node:
            derived = _from_streaming_block(raw, spec.tauro_node) + derived
        entry("outputs", sink.name, derived)

    rows.append(Row(("global_settings",), None, "", True))
    if raw.global_settings:
        walk(("global_settings",), raw.global_settings, None)
    if "checkpoint_root" not in (raw.global_settings or {}):
        rows.append(
            Row(
                ("global_settings", "checkpoint_root"),
                project.checkpoint_root,
                "default",
            )
        )

    rows.append(Row(("job",), None, "", True))
    rows.append(Row(("job", "script"), plan.script_path, f"derived: env '{plan.env}'"))
    rows.append(Row(("job", "kind"), plan.kind, "derived"))
    rows.append(
        Row(
            ("job", "spark_conf"),
            {setting.key: _plain(setting.value) for setting in plan.spark_conf},
            "tauro-gen's defaults, then global_settings spark_conf, then the pipeline's",
        )
    )
    rows.append(
        Row(
            ("job", "env_vars"),
            list(plan.env_names),
            "read from the environment when the job starts",
        )
    )
    rows.append(Row(("job", "run"), plan.run_command, "derived"))
    return rows


def _implied_input_reason(spec, wiring, project: Project) -> str:
    if len(spec.dependencies) == 1:
        return f"implied: the result of its only dependency '{spec.dependencies[0]}'"
    return "implied: the project's only input"


def _trigger(trigger) -> Any:
    if trigger is None:
        return None
    return {trigger.kind: trigger.interval if trigger.interval else True}


def _plain(value: Any) -> Any:
    return value.template if isinstance(value, EnvValue) else value


def _origin(
    raw: RawProject,
    path: tuple,
    lines: _SourceLines,
    value: Any,
    kind: str | None,
    key: str,
) -> str:
    loc = raw.where(path, value=True)
    text = str(loc)
    if kind and key in ALIASES.get(kind, {}):
        text += f" (alias of {ALIASES[kind][key]})"
    if isinstance(value, (dict, list)):
        return text  # a mapping or list: its own lines say how they were written
    written = lines.scalar_at(loc)
    if written and "${" in written and not (isinstance(value, str) and written == value):
        text += f" (written {written})"
    return text


class _SourceLines:
    """The text as written at a location, to show what `${name}` a value was built from."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.cache: dict[str, list[str]] = {}

    def scalar_at(self, loc) -> str | None:
        if not loc.line:
            return None
        if loc.file not in self.cache:
            try:
                path = Path(loc.file)
                path = path if path.is_absolute() else self.root / path
                self.cache[loc.file] = path.read_text(encoding="utf-8").splitlines()
            except OSError:
                self.cache[loc.file] = []
        text_lines = self.cache[loc.file]
        if loc.line > len(text_lines):
            return None
        text = text_lines[loc.line - 1][max(loc.column - 1, 0) :].strip()
        if " #" in text:
            text = text.split(" #", 1)[0].rstrip()
        # Inside a flow collection the scalar ends before the closing brackets.
        while text and (
            text.endswith(",")
            or text.endswith("}")
            and text.count("}") > text.count("{")
            or text.endswith("]")
            and text.count("]") > text.count("[")
        ):
            text = text[:-1].rstrip()
        if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1]
        return text or None


def _scalar(value: Any) -> str:
    """A value as YAML would show it (flow style for short lists and mappings)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in value.items()) + "}"
    text = str(value)
    plain = (
        text
        and text == text.strip()
        and not any(c in text for c in ":#{}[],&*!|>'\"%@`")
        and text.lower() not in ("true", "false", "null", "yes", "no", "on", "off", "~")
        and not _looks_numeric(text)
    )
    return text if plain else json.dumps(text, ensure_ascii=False)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def render_text(rows: list[Row], plan: JobPlan) -> str:
    out = [
        f"# tauro-gen explain: pipeline '{plan.pipeline}', env '{plan.env}' ({plan.kind})",
        "# Values after the config/<env>/ overlay and ${name} interpolation, each with where it",
        "# was written, or the rule that set it. ${env:NAME} is read by the job when it starts;",
        "# its value is never shown.",
    ]
    for row in rows:
        depth = len(row.path) - 1
        key = row.path[-1]
        label = "-" if isinstance(key, int) else f"{key}:"
        left = "  " * depth + label
        if not row.heading:
            left += " " + _scalar(row.value)
        if row.origin:
            left = left.ljust(WIDTH) + f"  # {row.origin}"
        if depth == 0 and out:
            out.append("")
        out.append(left.rstrip())
    return "\n".join(out) + "\n"


def render_json(rows: list[Row], plan: JobPlan) -> str:
    return (
        json.dumps(
            {
                "pipeline": plan.pipeline,
                "env": plan.env,
                "kind": plan.kind,
                "values": [row.as_json() for row in rows if not row.heading],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
