"""Stage 2 — validate: turn the loaded, untyped config into the typed `Project`, or explain
precisely why not.

`validate_project` runs the checks in order, each module one job:

- `keys`: the declarative key table (the one definition of every entry's keys, types, allowed
  values and aliases; `tauro-gen schema` derives the JSON Schema from it) and reading one
  entry through it; `values`: intervals, triggers, watermarks and schemas;
- `entries`: the typed inputs, outputs, nodes (with Tauro's inline ones), pipelines and
  settings; `connectors`: what each format needs and accepts (paths, options, Kafka);
- `names`: entry names and `params` keys, which become names in the job;
- `secrets`: literal secrets and where `${env:...}` may stand;
- `code`: node and foreach_batch functions, their signatures, the names they bring in;
- `wiring`: references, implied wiring, dependency order and cycles;
- `streaming`: batch/streaming kinds, output modes, watermarks, triggers, sink rules;
- `paths`: what each query must have to itself across pipelines (checkpoints, folders, names).

Every finding is a located `Diagnostic` with a stable code (docs/diagnostics.md lists them all);
nothing here raises on a user's mistake, so one run reports every problem at once.
"""

from __future__ import annotations

from ..diagnostics import Report
from ..load import RawProject
from ..model import Project, ResolvedPipeline
from . import code, connectors, entries, names, paths, secrets, streaming, wiring
from .context import Context

__all__ = ["validate_project"]


def validate_project(raw: RawProject) -> tuple[Project | None, Report]:
    """Check everything that can be checked at build time; return the model when error-free."""
    report = Report()
    ctx = Context(raw, report)
    names.check_names(ctx)
    secrets.check_env_placement(ctx)
    secrets.check_secrets(ctx)
    found = entries.read_entries(ctx)
    connectors.check_connector_settings(ctx, found.inputs, found.outputs)
    streaming.check_stream_inputs(ctx, found.inputs)
    names.check_param_keys(ctx, found.nodes)
    code.resolve_code(ctx, found.nodes, found.outputs)

    pipelines: dict[str, ResolvedPipeline] = {}
    for spec in found.pipelines.values():
        resolved = wiring.PipelineWiring(ctx, found, spec).resolve()
        if resolved is not None and streaming.check_declared_kinds(
            ctx, resolved, found.inputs, found.outputs
        ):
            pipelines[spec.name] = resolved
    paths.check_query_places(
        ctx, pipelines, found.inputs, found.outputs, found.settings.checkpoint_root
    )
    for pipeline in pipelines.values():
        streaming.check_inferred_schemas(ctx, pipeline, found.inputs)
        paths.check_query_names(ctx, pipeline, found.outputs)
        streaming.check_sinks(ctx, pipeline, found.nodes, found.inputs, found.outputs)
        code.check_code_names(ctx, pipeline, found.nodes, found.outputs)
        code.check_tauro_dates(ctx, pipeline, found.nodes)
    wiring.check_unused_nodes(ctx, found)

    project = Project(
        root=raw.root,
        env=raw.env,
        inputs=found.inputs,
        outputs=found.outputs,
        nodes=found.nodes,
        pipelines=pipelines,
        checkpoint_root=found.settings.checkpoint_root,
        spark_conf=found.settings.spark_conf,
    )
    return (None if report.has_errors else project), report
