"""The `tauro-gen` command line (SPEC 3).

Exit codes: 0 ok; 1 `check` found differences; 2 the project has errors; 3 a bug in tauro-gen
(reported in one line, never as a traceback: a user should not have to read our stack).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from . import __version__
from . import diff as diff_mod
from . import explain as explain_mod
from . import launch as launch_mod
from .check import MISSING, ORPHAN, STALE, build_files, check_build, unsafe_checkpoint_changes
from .compare import CompareError, compare_builds, manifest_pairs
from .diagnostics import Location, Report, did_you_mean
from .generate import generate, load_and_validate
from .gitrefs import manifest_pairs_at
from .graph import FORMATS as GRAPH_FORMATS
from .graph import render_graph
from .infer_schema import InferError, infer_and_write
from .jobcheck import JobRefused
from .jsonschema import FILE_NAMES, all_schemas, dumps, file_schema
from .load import load_project
from .plan import job_path, plan_job
from .scaffold import ScaffoldError, init_project
from .validate import validate_project
from .write import out_folder_problem, write_files

EXIT_OK, EXIT_DIFF, EXIT_CONFIG, EXIT_BUG = 0, 1, 2, 3

app = typer.Typer(
    add_completion=True,
    # Plain help: rich's layout labels every flag `<bool>` and rewraps docstrings mid-line.
    rich_markup_mode=None,
    no_args_is_help=True,
    help="Generate self-contained PySpark jobs from a Tauro-style project.",
)

ProjectOpt = typer.Option(Path("."), "--project", "-p", help="Project root (holds config/).")
EnvOpt = typer.Option("base", "--env", "-e", help="Environment overlay config/<ENV>/.")


def _checked_out(out: str) -> str:
    problem = out_folder_problem(out)
    if problem is not None:
        raise typer.BadParameter(problem)
    return out


OutOpt = typer.Option(
    "build", "--out", help="Output folder, relative to the project.", callback=_checked_out
)


def _generate(model, names: list[str], out: str, project: Path) -> list:
    """generate(), with the jobs the safety net refuses reported like config errors."""
    try:
        return generate(model, names, out, reuse_from=project)
    except JobRefused as refused:
        _print_report(Report(refused.diagnostics))
        raise ConfigProblem() from None


class ConfigProblem(Exception):
    """The project has errors: already reported, exit 2."""


def _colour(stream) -> bool:
    return stream.isatty()


def _print_report(report: Report) -> None:
    colour = _colour(sys.stderr)
    for item in report.sorted():
        typer.echo(item.render(colour), err=True)
    errors, warnings = len(report.errors), len(report.warnings)
    if errors:
        typer.echo(f"{errors} error(s), {warnings} warning(s)", err=True)


def _load(project: Path, env: str):
    if not project.is_dir():
        typer.echo(f"{project}: error: project folder does not exist", err=True)
        raise ConfigProblem()
    result, report = load_and_validate(project, env)
    return result, report


@app.command()
def build(
    pipeline: list[str] | None = typer.Option(
        None, "--pipeline", help="Pipeline to build (repeatable)."
    ),
    all_: bool = typer.Option(False, "--all", help="Build every pipeline."),
    env: str = EnvOpt,
    project: Path = ProjectOpt,
    out: str = OutOpt,
) -> None:
    """Validate the project and write one PySpark job per pipeline."""
    _build(project, env, out, pipeline, all_)


def _build(project: Path, env: str, out: str, pipeline: list[str] | None, all_: bool) -> list:
    """What `build` does and prints (and `run` before it runs the job): the jobs written."""
    model, report = _load(project, env)
    if model is None:
        _print_report(report)
        raise ConfigProblem()
    names = _select(model, pipeline, all_)
    _print_report(report)
    jobs = _generate(model, names, out, project)
    for change in unsafe_checkpoint_changes(jobs, project):
        finding = change.finding
        typer.echo(
            f"{change.job}: warning: query {finding.query}: {finding.message} "
            f"[{finding.rule}]; a checkpoint it already wrote ({finding.checkpoint}) will "
            "not restore this change: start the query from a new checkpoint, or revert "
            "(tauro-gen diff explains)",
            err=True,
        )
    changed = set(write_files(build_files(jobs, project)))
    for job in jobs:
        state = "written" if project / job.path in changed else "unchanged"
        typer.echo(f"{job.path} ({job.plan.kind}, {state})")
        typer.echo(f"  run: {job.plan.run_command}")
    return jobs


@app.command()
def run(
    pipeline: str = typer.Option(..., "--pipeline", help="Pipeline to build and run."),
    env: str = EnvOpt,
    project: Path = ProjectOpt,
    out: str = OutOpt,
    available_now: bool = typer.Option(
        False, "--available-now", help="Process what is there, then exit (streaming)."
    ),
    submit_args: list[str] | None = typer.Argument(
        None,
        metavar="SPARK_SUBMIT_ARGS",
        help="After --: passed to spark-submit, e.g. -- --master yarn --conf k=v.",
    ),
) -> None:
    """Build a pipeline's job, then run it with spark-submit in the project folder.

    Exactly what `build` writes, run with the pinned pyspark's spark-submit and the
    connector packages the job needs. Ctrl+C stops the job as it would under spark-submit
    (a restart resumes); the exit code is the job's. For deployment, use the build and
    spark-submit pair that `build` prints.
    """
    (job,) = _build(project, env, out, [pipeline], False)
    if available_now and not job.plan.streaming:
        _fail(f"--available-now is for streaming pipelines; '{pipeline}' is a batch one")
    try:
        command = launch_mod.launch(
            project,
            job.path,
            job.plan.packages,
            ("--available-now",) if available_now else (),
            tuple(submit_args or ()),
        )
        code = launch_mod.run(command)
    except launch_mod.LaunchError as exc:
        _fail(str(exc))
    raise SystemExit(code)


def _select(model, pipeline: list[str] | None, all_: bool) -> list[str]:
    if all_ == bool(pipeline):
        typer.echo("error: give --pipeline NAME (repeatable) or --all", err=True)
        raise ConfigProblem()
    if all_:
        return sorted(model.pipelines)
    unknown = [p for p in pipeline if p not in model.pipelines]
    for name in unknown:
        hint = did_you_mean(name, model.pipelines) or "pipelines: " + ", ".join(
            sorted(model.pipelines)
        )
        typer.echo(f"error: unknown pipeline '{name}' ({hint})", err=True)
    if unknown:
        raise ConfigProblem()
    return list(dict.fromkeys(pipeline))


@app.command()
def validate(
    env: str = EnvOpt,
    project: Path = ProjectOpt,
    format_: str = typer.Option("text", "--format", help="text, or json for editors and CI."),
) -> None:
    """Report every error and warning of every pipeline, at once.

    Text goes to stderr, one `file:line:column: severity: message (hint)` per line, sorted;
    `--format json` prints the same diagnostics as a JSON list on stdout (docs/diagnostics.md).
    Exit 0 when there is no error (warnings allowed), 2 otherwise.
    """
    _text_or_json(format_)
    if project.is_dir():
        model, report = load_and_validate(project, env)
    else:
        model, report = None, Report()
        report.error(
            "TG107",
            Location(str(project)),
            "project folder does not exist",
            "pass --project DIR naming the folder that holds config/",
        )
    if format_ == "json":
        typer.echo(report.to_json())
    else:
        _print_report(report)
        if model is not None:
            warnings = len(report.warnings)
            typer.echo(
                f"ok: {len(model.pipelines)} pipeline(s), env '{env}'"
                + (f", {warnings} warning(s)" if warnings else "")
            )
    if model is None:
        raise ConfigProblem()


def _text_or_json(format_: str) -> None:
    if format_ not in ("text", "json"):
        typer.echo(f"error: --format must be text or json, got '{format_}'", err=True)
        raise ConfigProblem()


@app.command(name="list")
def list_(env: str = EnvOpt, project: Path = ProjectOpt) -> None:
    """Pipelines, their kind, inputs and outputs."""
    model = _model(project, env)
    for name in sorted(model.pipelines):
        p = model.pipelines[name]
        typer.echo(f"{name}  [{p.kind}]")
        typer.echo(f"  inputs:  {', '.join(p.inputs)}")
        typer.echo(f"  nodes:   {', '.join(w.node for w in p.order)}")
        typer.echo(f"  outputs: {', '.join(p.outputs)}")


@app.command()
def version() -> None:
    """Print the tauro-gen version."""
    typer.echo(__version__)


# --------------------------------------------------------------------------------------------
# Review and CI workflow: check, diff, graph, explain, init, infer-schema, schema
# --------------------------------------------------------------------------------------------


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise ConfigProblem()


def _model(project: Path, env: str):
    """The validated project, or exit 2 after printing its errors (warnings stay quiet)."""
    model, report = _load(project, env)
    if model is None:
        _print_report(report)
        raise ConfigProblem()
    return model


def _plan_of(model, pipeline: str, env: str, out: str):
    _select(model, [pipeline], False)
    return plan_job(model, pipeline, job_path(pipeline, env, out))


@app.command()
def check(
    pipeline: list[str] | None = typer.Option(
        None, "--pipeline", help="Check only this pipeline (repeatable)."
    ),
    all_: bool = typer.Option(False, "--all", help="Check every pipeline (the default)."),
    env: str = EnvOpt,
    project: Path = ProjectOpt,
    out: str = OutOpt,
) -> None:
    """Exit 1 with a unified diff when build/ is stale (CI, pre-commit).

    Regenerates every job and manifest in memory, compares them with the files in build/,
    and reports files no pipeline produces. Fast enough for a pre-commit hook (see
    .pre-commit-hooks.yaml).
    """
    model = _model(project, env)
    names = _select(model, pipeline, all_) if pipeline else sorted(model.pipelines)
    jobs = _generate(model, names, out, project)
    result = check_build(project, jobs, out, env, full=not pipeline)
    for difference in result.differences:
        if difference.kind == MISSING:
            typer.echo(f"missing: {difference.path}")
        elif difference.kind == STALE:
            typer.echo(difference.diff, nl=False)
        else:
            typer.echo(f"orphan: {difference.path} (no pipeline of env '{env}' produces it)")
    if not result.ok:
        stale, missing, orphans = (result.paths(k) for k in (STALE, MISSING, ORPHAN))
        env_flag = "" if env == "base" else f" --env {env}"
        fix = [f"run: tauro-gen build --all{env_flag}"] if stale or missing else []
        fix += [f"remove: {' '.join(orphans)}"] if orphans else []
        typer.echo(
            f"{len(stale)} stale, {len(missing)} missing, {len(orphans)} orphaned file(s) "
            f"in {out}/; " + "; ".join(fix),
            err=True,
        )
        raise SystemExit(EXIT_DIFF)
    typer.echo(f"ok: {result.expected} file(s) in {out}/ match the project (env '{env}')")


@app.command(name="dry-run")
def dry_run_(
    pipeline: list[str] | None = typer.Option(
        None, "--pipeline", help="Pipeline to analyze (repeatable)."
    ),
    all_: bool = typer.Option(False, "--all", help="Analyze every pipeline."),
    env: str = EnvOpt,
    project: Path = ProjectOpt,
    format_: str = typer.Option("text", "--format", help="text, or json for tools."),
) -> None:
    """Analyze each pipeline's job with Spark on empty inputs, before deploying it.

    Runs the job `build` would write (in memory) on a local Spark session: its readers on
    empty DataFrames of the schemas the job reads with, its node functions as the job calls
    them, and each streaming query started once on empty input against a no-op sink. What
    Spark would reject when the job starts is reported located in the node code or the
    config; every output's analyzed schema is printed. No data is read, nothing is written
    outside a temporary folder, no broker, database or table is contacted.
    Exit 0 when Spark accepts every pipeline, 2 otherwise.
    """
    from . import dryrun as dryrun_mod

    _text_or_json(format_)
    model, report = _load(project, env)
    if model is None:
        _print_report(report)
        raise ConfigProblem()
    names = _select(model, pipeline, all_)
    try:
        result = dryrun_mod.dry_run(model, names)
    except dryrun_mod.SparkUnavailable as unavailable:
        _fail(str(unavailable))
    result.report.items[:0] = report.items  # validation's warnings first
    if format_ == "json":
        typer.echo(result.to_json())
    else:
        _print_report(result.report)
        for output in result.outputs:
            kind = "stream" if output.streaming else "batch"
            typer.echo(f"{output.pipeline}.{output.output} ({kind}): {output.schema}")
        skipped = f", {len(result.skipped)} skipped" if result.skipped else ""
        typer.echo(
            f"dry-run: {len(result.checked)} of {len(names)} pipeline(s) accepted by Spark"
            f"{skipped}",
            err=True,
        )
    if result.report.has_errors:
        raise ConfigProblem()


@app.command(name="diff")
def diff_(
    old: Path | None = typer.Argument(
        None, help="Old build: a generated job (.py), its .manifest.json, or a build folder."
    ),
    new: Path | None = typer.Argument(None, help="New build, same kinds as OLD."),
    against: str | None = typer.Option(
        None, "--against", help="Git revision: compare its build/ with build/ in the work tree."
    ),
    project: Path = ProjectOpt,
    out: str = OutOpt,
    format_: str = typer.Option("text", "--format", help="text, or json for CI."),
) -> None:
    """Can each streaming query restart from its checkpoint after a change?

    Compares the manifests of two builds and classifies every change of every query as
    safe, unsafe or to review, following Spark's rules for restarting from a checkpoint.
    Exit 1 when anything is unsafe.
    """
    if format_ not in ("text", "json"):
        _fail("--format must be text or json")
    if against is not None and (old is not None or new is not None):
        _fail("give OLD NEW, or --against REF, not both")
    if against is None and (old is None or new is None):
        _fail("give two builds to compare (OLD NEW), or --against REF")
    try:
        if against is not None:
            pairs = manifest_pairs_at(project, out, against)
        else:
            pairs = manifest_pairs(old, new)
        findings = compare_builds(pairs)
    except (CompareError, diff_mod.ManifestError) as exc:
        _fail(str(exc))
    if format_ == "json":
        typer.echo(diff_mod.render_json(findings), nl=False)
    else:
        typer.echo(diff_mod.render_text(findings, _colour(sys.stdout)), nl=False)
    if diff_mod.summary(findings)[diff_mod.UNSAFE]:
        raise SystemExit(EXIT_DIFF)


@app.command()
def graph(
    pipeline: str = typer.Option(..., "--pipeline", help="Pipeline to draw."),
    format_: str = typer.Option("mermaid", "--format", help="mermaid (renders on GitHub) or dot."),
    env: str = EnvOpt,
    project: Path = ProjectOpt,
) -> None:
    """The DAG of inputs -> nodes -> outputs, with formats, triggers and output modes."""
    if format_ not in GRAPH_FORMATS:
        _fail("--format must be mermaid or dot")
    plan = _plan_of(_model(project, env), pipeline, env, "build")
    typer.echo(render_graph(plan, format_), nl=False)


@app.command()
def explain(
    pipeline: str = typer.Option(..., "--pipeline", help="Pipeline to explain."),
    env: str = EnvOpt,
    project: Path = ProjectOpt,
    format_: str = typer.Option("text", "--format", help="text, or json for tools."),
) -> None:
    """The resolved config of a pipeline, and where each value came from.

    Values after the env overlay and ${...} interpolation, each with its file:line, plus
    the defaults and implied wiring the job uses. ${env:NAME} is shown as a reference,
    never a value.
    """
    if format_ not in ("text", "json"):
        _fail("--format must be text or json")
    if not project.is_dir():
        _fail(f"{project}: project folder does not exist")
    raw, report = load_project(project, env)
    model, checks = validate_project(raw)
    report.extend(checks)
    if report.has_errors or model is None:
        _print_report(report)
        raise ConfigProblem()
    plan = _plan_of(model, pipeline, env, "build")
    rows = explain_mod.explain_rows(raw, model, plan)
    render = explain_mod.render_json if format_ == "json" else explain_mod.render_text
    typer.echo(render(rows, plan), nl=False)


@app.command()
def init(directory: Path = typer.Argument(..., help="Folder for the new project.")) -> None:
    """Scaffold the streaming tutorial project, ready to build and run.

    Config, node code, sample data and a README, as the tutorial writes them. Never
    overwrites a file.
    """
    try:
        written = init_project(directory)
    except (ScaffoldError, OSError) as exc:
        _fail(str(exc))
    for name in written:
        typer.echo(f"created {directory / name}")
    typer.echo(f"next: cd {directory} && tauro-gen build --all   (then see README.md)")


@app.command(name="infer-schema")
def infer_schema(
    input_: str = typer.Argument(..., metavar="INPUT", help="Name of the input in inputs.yaml."),
    sample: Path | None = typer.Option(
        None, "--sample", help="Sample file or folder (default: the input's own path)."
    ),
    env: str = EnvOpt,
    project: Path = ProjectOpt,
    force: bool = typer.Option(False, "--force", help="Replace a schema the input declares."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the schema; change no file."),
) -> None:
    """Infer an input's schema from sample files and write it into the config.

    Reads csv, json, parquet or orc samples with a local SparkSession (a few seconds: the
    only command that runs Spark) and writes the schema as a DDL string into the input's
    `schema:`, keeping the YAML file's comments and layout.
    """
    if not project.is_dir():
        _fail(f"{project}: project folder does not exist")
    raw, report = load_project(project, env)
    if report.has_errors:
        _print_report(report)
        raise ConfigProblem()
    try:
        result = infer_and_write(raw, input_, sample, force, dry_run)
    except InferError as exc:
        _fail(str(exc))
    source = f"{len(result.samples)} sample file(s)"
    if dry_run:
        typer.echo(f'schema: "{result.ddl}"')
        typer.echo(f"(inferred from {source}; nothing written: --dry-run)", err=True)
        return
    verb = "replaced" if result.replaced is not None else "written"
    typer.echo(f"{result.file}: input '{result.input}': schema {verb}, inferred from {source}:")
    typer.echo(f'  schema: "{result.ddl}"')
    typer.echo(f"next: tauro-gen build --all{'' if env == 'base' else f' --env {env}'}")


@app.command()
def schema(
    file: str | None = typer.Option(
        None, "--file", help="Only this file: pipelines, nodes, inputs, outputs, global_settings."
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Write <file>.schema.json files into this folder instead."
    ),
) -> None:
    """Print the JSON Schema of every config file, for editors.

    Derived from the same key tables as `validate`; point your editor's YAML extension at
    it (see docs/review-workflow.md).
    """
    if file is not None and file not in FILE_NAMES:
        _fail(f"--file must be one of: {', '.join(FILE_NAMES)}")
    names = [file] if file else list(FILE_NAMES)
    if out_dir is not None:
        written = write_files({out_dir / f"{n}.schema.json": dumps(file_schema(n)) for n in names})
        for name in names:
            path = out_dir / f"{name}.schema.json"
            typer.echo(f"{path} ({'written' if path in written else 'unchanged'})")
        return
    typer.echo(dumps(file_schema(file) if file else all_schemas()), nl=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point: maps outcomes to exit codes; no traceback reaches a user.

    0 ok, 1 `check` found differences, 2 the project (or the command line) has errors, 130
    interrupted, 141 output pipe closed; 3 is a bug in tauro-gen, reported in one line (set
    TAURO_GEN_DEBUG=1 for the traceback).
    """
    try:
        result = app(args=argv, standalone_mode=False)
    except ConfigProblem:
        return EXIT_CONFIG
    except SystemExit as exc:  # a command's own exit code, e.g. check's 1
        return _exit_code(exc.code)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tauro-gen validate --format json | head`
        _silence_stdout()
        return 141
    except OSError as exc:  # the machine, not tauro-gen: a full disk, a read-only folder
        if os.environ.get("TAURO_GEN_DEBUG"):
            raise
        where = f": {exc.filename}" if exc.filename else ""
        typer.echo(f"tauro-gen: error: {exc.strerror or exc}{where}", err=True)
        return EXIT_BUG
    except Exception as exc:  # the last line of defence
        # typer ships its own copy of click, so its exceptions are recognised by class name.
        kinds = {cls.__name__ for cls in type(exc).__mro__}
        if "ClickException" in kinds:  # a wrong option or argument: click explains it
            exc.show()
            return EXIT_CONFIG
        if "Abort" in kinds:  # Ctrl+C inside a command
            return 130
        if "Exit" in kinds:
            return _exit_code(getattr(exc, "exit_code", 0))
        if os.environ.get("TAURO_GEN_DEBUG"):
            raise
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        typer.echo(
            f"tauro-gen {__version__}: internal error, sorry — please report it: "
            f"{type(exc).__name__}" + (f": {detail}" if detail else ""),
            err=True,
        )
        return EXIT_BUG
    # Without standalone mode click returns the code of a `typer.Exit(code)` raised inside a
    # command; a command that finishes normally returns None.
    return result if isinstance(result, int) and not isinstance(result, bool) else EXIT_OK


def _exit_code(code: object) -> int:
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    typer.echo(str(code), err=True)  # sys.exit("message"): Python prints it and exits 1
    return 1


def _silence_stdout() -> None:
    """Python flushes stdout at exit; to a closed pipe that raises again. Point it nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
