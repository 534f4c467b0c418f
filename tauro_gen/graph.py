"""The DAG of one job — inputs → nodes → outputs — as Mermaid or Graphviz DOT, from its plan.

Inputs show their format, whether they stream, and where they read; outputs their format,
where they write, and for streaming queries the trigger and output mode. Mermaid renders on
GitHub and GitLab inside a ```mermaid block, so a project README can show the graph as is.
"""

from __future__ import annotations

import re

from .plan import EnvValue, JobPlan

FORMATS = ("mermaid", "dot")


def render_graph(plan: JobPlan, fmt: str = "mermaid") -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown graph format {fmt!r}")
    graph = _Graph(plan)
    return graph.mermaid() if fmt == "mermaid" else graph.dot()


def _where(value) -> str:
    if isinstance(value, EnvValue):
        return value.template
    return str(value)


def _trigger_text(trigger) -> str:
    if trigger is None:
        return "trigger: default"
    if trigger.interval:
        return f"trigger: {trigger.kind.replace('_', ' ')} {trigger.interval}"
    return f"trigger: {trigger.kind.replace('_', ' ')}"


class _Graph:
    def __init__(self, plan: JobPlan):
        self.plan = plan
        self.ids: dict[str, str] = {}
        self.vertices: list[tuple[str, str, list[str]]] = []  # (id, role, label lines)
        self.edges: list[tuple[str, str, str]] = []  # (from, to, label)
        taken: set[str] = set()

        def ident(prefix: str, name: str) -> str:
            base = f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"
            candidate, n = base, 2
            while candidate in taken:
                candidate, n = f"{base}_{n}", n + 1
            taken.add(candidate)
            return candidate

        by_var: dict[str, str] = {}
        for source in plan.sources:
            vid = ident("in", source.name)
            by_var[source.var] = vid
            lines = [
                source.name,
                f"{source.format} {'stream' if source.streaming else 'batch'}",
            ]
            topic = dict(source.options).get("subscribe") or dict(source.options).get(
                "subscribePattern"
            )
            if source.path is not None:
                lines.append(_where(source.path))
            elif source.table is not None:
                lines.append(f"table {_where(source.table)}")
            elif topic is not None:
                lines.append(f"topic {_where(topic)}")
            if source.watermark:
                lines.append(f"watermark {source.watermark.column} {source.watermark.delay}")
            self.vertices.append((vid, "input", lines))
        for node in plan.nodes:
            vid = ident("node", node.name)
            by_var[node.result] = vid
            self.vertices.append((vid, "node", [node.name, f"{node.function}()"]))
            for position, arg in enumerate(node.args, 1):
                label = str(position) if len(node.args) > 1 else ""
                self.edges.append((by_var[arg], vid, label))
        for sink in plan.sinks:
            vid = ident("out", sink.name)
            lines = [
                sink.name,
                f"{sink.format} {'stream' if sink.streaming else 'batch'}",
            ]
            topic = dict(sink.options).get("topic")
            if sink.path is not None:
                lines.append(_where(sink.path))
            elif sink.table is not None:
                lines.append(f"table {_where(sink.table)}")
            elif topic is not None:
                lines.append(f"topic {_where(topic)}")
            if sink.streaming:
                lines.append(f"{_trigger_text(sink.trigger)} · {sink.output_mode}")
            else:
                lines.append(f"mode: {sink.mode}")
            self.vertices.append((vid, "output", lines))
            self.edges.append((by_var[sink.var], vid, ""))

    def mermaid(self) -> str:
        shapes = {
            "input": ('[/"', '"/]'),
            "node": ('["', '"]'),
            "output": ('[("', '")]'),
        }
        out = [
            f"%% {self.plan.kind} pipeline '{self.plan.pipeline}' (env: {self.plan.env})",
            "flowchart LR",
        ]
        for vid, role, lines in self.vertices:
            left, right = shapes[role]
            out.append(f"    {vid}{left}{'<br/>'.join(_mermaid_text(t) for t in lines)}{right}")
        for start, end, label in self.edges:
            arrow = f' -- "{_mermaid_text(label)}" --> ' if label else " --> "
            out.append(f"    {start}{arrow}{end}")
        out.append("    classDef input fill:#e8f1fb,stroke:#4a7ab5")
        out.append("    classDef output fill:#eaf6ea,stroke:#4a9a4a")
        for role in ("input", "output"):
            ids = [vid for vid, r, _ in self.vertices if r == role]
            if ids:
                out.append(f"    class {','.join(ids)} {role}")
        return "\n".join(out) + "\n"

    def dot(self) -> str:
        shapes = {"input": "parallelogram", "node": "box", "output": "cylinder"}
        name = _dot_text(self.plan.pipeline)
        out = [
            f'digraph "{name}" {{',
            f'    label="{self.plan.kind} pipeline {name} (env: {_dot_text(self.plan.env)})";',
            "    rankdir=LR;",
            '    node [fontname="Helvetica", fontsize=11];',
        ]
        for vid, role, lines in self.vertices:
            label = "\\n".join(_dot_text(t) for t in lines)
            out.append(f'    {vid} [shape={shapes[role]}, label="{label}"];')
        for start, end, label in self.edges:
            extra = f' [label="{_dot_text(label)}"]' if label else ""
            out.append(f"    {start} -> {end}{extra};")
        out.append("}")
        return "\n".join(out) + "\n"


def _mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label (entity codes for what would end or break it)."""
    codes = {"#": "#35;", "&": "#38;", '"': "#34;", "<": "#60;", ">": "#62;", "\n": " "}
    return "".join(codes.get(char, char) for char in str(text))


def _dot_text(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
