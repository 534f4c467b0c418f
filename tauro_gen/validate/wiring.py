"""Wiring (SPEC 2.2): which nodes a pipeline runs, which DataFrames each node receives and
which outputs it writes (written, or implied when the project leaves no choice), and the
order they run in. References to nothing (TG401-TG404), ambiguous or missing wiring (TG406),
names used twice (TG407, TG408, TG412) and cycles (TG405) are reported here."""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import did_you_mean
from ..model import NodeSpec, NodeWiring, PipelineSpec, ResolvedPipeline
from .code import check_arity
from .context import Context
from .entries import Entries
from .paths import normal_path


@dataclass(frozen=True)
class PipelineWiring:
    """One pipeline being wired against the project's entries."""

    ctx: Context
    entries: Entries
    spec: PipelineSpec

    def resolve(self) -> ResolvedPipeline | None:
        """Every edge of the pipeline made explicit and its nodes ordered; None when something
        is wrong (reported) or depends on an entry that is (reported where it is defined)."""
        members = self._members()
        if members is None:
            return None
        args = self._arguments(members)
        if args is None:
            return None
        sinks = self._sinks(members, args)
        if sinks is None:
            return None
        order = self._dependency_order(members, args)
        if order is None:
            return None
        return self._resolved(order, args, sinks)

    # ----------------------------------------------------------------------------------------
    # Which nodes

    def _members(self) -> list[str] | None:
        """The pipeline's nodes, once each; None when one of them is unknown or broken."""
        raw, spec = self.ctx.raw, self.spec
        members: list[str] = []
        complete = True
        for index, name in enumerate(spec.nodes):
            where = self.ctx.at("pipelines", spec.name, "nodes", index, value=True)
            if name in members:
                self.ctx.report.error(
                    "TG412",
                    where,
                    f"pipeline '{spec.name}': node '{name}' is listed twice",
                    "remove one",
                )
            elif name not in self.entries.nodes or name in self.entries.unwired:
                complete = False  # a broken node is reported where it is defined
                if name not in raw.sections["nodes"] and "nodes" not in raw.broken:
                    self.ctx.report.error(
                        "TG401",
                        where,
                        f"pipeline '{spec.name}': unknown node '{name}'",
                        did_you_mean(name, raw.sections["nodes"])
                        or "define it in config/nodes.yaml",
                    )
            else:
                members.append(name)
        return members if complete else None

    # ----------------------------------------------------------------------------------------
    # What each node receives

    def _arguments(self, members: list[str]) -> dict[str, tuple[str, ...]] | None:
        """The DataFrames each node is called with (input or node names, in order)."""
        ok = True
        args: dict[str, tuple[str, ...]] = {}
        for name in members:
            node = self.entries.nodes[name]
            if not self._dependencies_known(name, node, members):
                ok = False
            if node.inputs is not None:
                if not self._inputs_known(name, node, members):
                    ok = False
                args[name] = tuple(self._chained(ref, node) for ref in node.inputs)
                continue
            implied = self._implied_arguments(name, node)
            if implied is None:
                ok = False
            else:
                args[name] = implied
                check_arity(self.ctx, node, len(implied))
        return args if ok else None

    def _chained(self, ref: str, node: NodeSpec) -> str:
        """Tauro chains batch nodes through storage: node B reads, as an input, the folder
        its dependency A writes (TAURO_DIALECT 2.9). Such an input is A's DataFrame, passed
        in memory, as Tauro's documentation promises: the job reads no folder it has not
        written yet, and still writes A's output."""
        spec = self.entries.inputs.get(ref)
        if spec is None or spec.streaming or not spec.path:
            return ref
        for dep in node.dependencies:
            producer = self.entries.nodes.get(dep)
            for out in (producer.outputs or []) if producer else []:
                written = self.entries.outputs.get(out)
                if (
                    written is not None
                    and written.format == spec.format
                    and written.path
                    and normal_path(written.path) == normal_path(spec.path)
                ):
                    return dep
        return ref

    def _dependencies_known(self, name: str, node: NodeSpec, members: list[str]) -> bool:
        ok = True
        for index, dep in enumerate(node.dependencies):
            if dep not in members:
                self.ctx.report.error(
                    "TG404",
                    self.ctx.at("nodes", name, "dependencies", index, value=True),
                    f"node '{name}' depends on '{dep}', which is not a node of pipeline "
                    f"'{self.spec.name}'",
                    did_you_mean(dep, members)
                    or f"add '{dep}' to the pipeline's nodes, or remove the dependency",
                )
                ok = False
        return ok

    def _inputs_known(self, name: str, node: NodeSpec, members: list[str]) -> bool:
        """Each name in a node's `input:` is an input or a node of the pipeline (not both)."""
        raw, inputs = self.ctx.raw, self.entries.inputs
        ok = True
        if not node.inputs:
            ok = False
            self.ctx.report.error(
                "TG406",
                self.ctx.at("nodes", name, "input", value=True),
                f"node '{name}' has an empty input list",
                "name at least one input or node",
            )
        for i, ref in enumerate(node.inputs):
            where = self.ctx.at("nodes", name, "input", i, value=True)
            if ref in inputs and ref in members:
                self.ctx.report.error(
                    "TG408",
                    where,
                    f"node '{name}': '{ref}' is both an input and a node",
                    "rename one of them",
                )
                ok = False
            elif (ref in raw.sections["inputs"] and ref not in inputs) or (
                ref not in members and "inputs" in raw.broken
            ):
                ok = False  # the input itself is broken and reported
            elif ref not in inputs and ref not in members:
                hint = did_you_mean(ref, [*inputs, *members])
                if not hint and ref in raw.sections["nodes"]:
                    hint = (
                        f"node '{ref}' is not in pipeline '{self.spec.name}': add it to its nodes"
                    )
                self.ctx.report.error(
                    "TG402",
                    where,
                    f"node '{name}': unknown input '{ref}'",
                    hint
                    or "inputs and nodes of this pipeline: "
                    + ", ".join(sorted([*self.entries.declared_inputs, *members])),
                )
                ok = False
        return ok

    def _implied_arguments(self, name: str, node: NodeSpec) -> tuple[str, ...] | None:
        """A node without `input:` receives its one dependency, or the project's one input."""
        declared_inputs = self.entries.declared_inputs
        if len(node.dependencies) == 1:
            return (node.dependencies[0],)
        if not node.dependencies and "inputs" in self.ctx.raw.broken:
            return None  # which inputs exist is unknown: the inputs file is reported
        if not node.dependencies and len(declared_inputs) == 1:
            if declared_inputs[0] in self.entries.inputs:
                return (declared_inputs[0],)
            return None  # the one input is broken and reported
        if node.dependencies:
            candidates, why = node.dependencies, "depends on several nodes"
        else:
            candidates = declared_inputs
            why = (
                "the project defines several inputs"
                if declared_inputs
                else "the project defines no input"
            )
        self.ctx.report.error(
            "TG406",
            node.location,
            f"node '{name}' has no 'input:' and {why}, so which DataFrames it receives is "
            "ambiguous",
            (
                "add 'input: [...]' naming one or more of: " + (", ".join(candidates) or "(none)")
                if candidates
                else "define an input in config/inputs.yaml and name it in 'input:'"
            ),
        )
        return None

    # ----------------------------------------------------------------------------------------
    # What each node writes

    def _sinks(self, members: list[str], args: dict) -> dict[str, tuple[str, ...]] | None:
        """The outputs each node writes; each output written by one node."""
        consumers = {ref for name in members for ref in args[name]}
        ok = True
        sinks: dict[str, tuple[str, ...]] = {}
        writer_of: dict[str, str] = {}
        for name in members:
            node = self.entries.nodes[name]
            wired_outputs, known = self._outputs_of(name, node, name in consumers)
            if not known:
                ok = False
            if not self._single_writer(name, node, wired_outputs, writer_of):
                ok = False
            sinks[name] = wired_outputs
        return sinks if ok else None

    def _outputs_of(self, name: str, node: NodeSpec, consumed: bool) -> tuple[tuple, bool]:
        """The outputs a node writes (written, or the project's one output for a node whose
        result no node uses), and whether they all exist."""
        raw, outputs = self.ctx.raw, self.entries.outputs
        declared_outputs = self.entries.declared_outputs
        if node.outputs is not None:
            ok = True
            wired_outputs = tuple(node.outputs)
            if not wired_outputs and not consumed:
                self.ctx.report.error(
                    "TG406",
                    self.ctx.at("nodes", name, "output", value=True),
                    f"node '{name}' has an empty output list and no node uses its result",
                    "name an output, e.g. output: ["
                    + (declared_outputs[0] if declared_outputs else "my_output")
                    + "]",
                )
                ok = False
            for i, out in enumerate(wired_outputs):
                if (out in raw.sections["outputs"] and out not in outputs) or (
                    "outputs" in raw.broken
                ):
                    ok = False  # the output itself is broken and reported
                elif out not in outputs:
                    self.ctx.report.error(
                        "TG403",
                        self.ctx.at("nodes", name, "output", i, value=True),
                        f"node '{name}': unknown output '{out}'",
                        did_you_mean(out, outputs)
                        or "outputs: " + (", ".join(declared_outputs) or "(none defined)"),
                    )
                    ok = False
            return wired_outputs, ok
        if consumed:
            return (), True  # an intermediate result: another node receives it
        if "outputs" in raw.broken:
            return (), False
        if len(declared_outputs) == 1:
            return tuple(declared_outputs), declared_outputs[0] in outputs
        self.ctx.report.error(
            "TG406",
            node.location,
            f"node '{name}': its result is used by no node and written to no output",
            "add 'output: <name>' naming one of: "
            + (", ".join(declared_outputs) or "(no outputs defined)"),
        )
        return (), False

    def _single_writer(
        self, name: str, node: NodeSpec, wired_outputs: tuple, writer_of: dict[str, str]
    ) -> bool:
        """No output is written twice, by two nodes (TG407) or by one (TG412)."""
        ok = True
        for i, out in enumerate(wired_outputs):
            if out in writer_of and writer_of[out] != name:
                self.ctx.report.error(
                    "TG407",
                    (
                        self.ctx.at("nodes", name, "output", i, value=True)
                        if node.outputs
                        else node.location
                    ),
                    f"output '{out}' is written by two nodes of pipeline '{self.spec.name}': "
                    f"'{writer_of[out]}' and '{name}'",
                    "give each node its own output, or union the DataFrames in one node",
                )
                ok = False
            elif out in writer_of:
                self.ctx.report.error(
                    "TG412",
                    self.ctx.at("nodes", name, "output", i, value=True),
                    f"node '{name}': output '{out}' is listed twice",
                    "remove one",
                )
                ok = False
            writer_of[out] = name
        return ok

    # ----------------------------------------------------------------------------------------
    # In what order

    def _dependency_order(self, members: list[str], args: dict) -> list[str] | None:
        """Kahn's algorithm, ties broken by the order nodes are listed in the pipeline."""
        nodes = self.entries.nodes
        deps = {
            name: [r for r in args[name] if r in members]
            + [d for d in nodes[name].dependencies if d not in args[name]]
            for name in members
        }
        order: list[str] = []
        remaining = list(members)
        while remaining:
            ready = [n for n in remaining if all(d in order for d in deps[n])]
            if not ready:
                cycle = _find_cycle(remaining, deps)
                self.ctx.report.error(
                    "TG405",
                    nodes[cycle[0]].location,
                    f"pipeline '{self.spec.name}': dependency cycle "
                    + " -> ".join(cycle + [cycle[0]]),
                    "break the cycle: a node cannot (indirectly) depend on itself",
                )
                return None
            order.append(ready[0])
            remaining.remove(ready[0])
        return order

    def _resolved(self, order: list[str], args: dict, sinks: dict) -> ResolvedPipeline:
        """The pipeline as the model holds it: a node's result streams when one of its
        arguments does; the pipeline streams when it reads a stream, unless it says."""
        inputs = self.entries.inputs
        streaming_of: dict[str, bool] = {}
        read: list[str] = []
        wiring = []
        for name in order:
            refs = args[name]
            for ref in refs:
                if ref in inputs and ref not in read:
                    read.append(ref)
            streaming = any(inputs[r].streaming if r in inputs else streaming_of[r] for r in refs)
            streaming_of[name] = streaming
            wiring.append(NodeWiring(name, refs, sinks[name], streaming))
        streams = [i for i in read if inputs[i].streaming]
        kind = self.spec.type or ("streaming" if streams else "batch")
        written = [out for w in wiring for out in w.outputs]
        return ResolvedPipeline(
            spec=self.spec, kind=kind, order=wiring, inputs=read, outputs=written
        )


def _find_cycle(remaining: list[str], deps: dict[str, list[str]]) -> list[str]:
    start = remaining[0]
    path = [start]
    while True:
        nxt = next(d for d in deps[path[-1]] if d in remaining)
        if nxt in path:
            return path[path.index(nxt) :]
        path.append(nxt)


def check_unused_nodes(ctx: Context, entries: Entries) -> None:
    """A node no pipeline runs is usually a typo in a pipeline's node list (TG413)."""
    raw, pipeline_specs = ctx.raw, entries.pipelines
    listed = {n for spec in pipeline_specs.values() for n in spec.nodes}
    listed |= {
        n
        for data in raw.sections["pipelines"].values()
        if isinstance(data, dict)
        for n in (data.get("nodes") if isinstance(data.get("nodes"), list) else [])
        if isinstance(n, str)
    }
    if "pipelines" not in raw.section_files or len(pipeline_specs) != len(
        raw.sections["pipelines"]
    ):
        return  # a broken pipeline's node list is unknown: stay quiet rather than guess
    for name in entries.nodes:
        if name not in listed:
            similar = did_you_mean(name, listed)
            ctx.report.warning(
                "TG413",
                ctx.at("nodes", name),
                f"node '{name}' is not used by any pipeline",
                (similar and f"a pipeline lists a similar name: {similar}")
                or "add it to a pipeline's nodes, or remove it",
            )
