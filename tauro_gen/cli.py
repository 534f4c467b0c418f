"""The `tauro-gen` command line (SPEC 3).

Exit codes: 0 ok; 1 `check` found differences; 2 the project has errors; 3 a bug in tauro-gen
(reported in one line, never as a traceback: a user should not have to read our stack).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .diagnostics import Location, Report, did_you_mean
from .generate import generate, load_and_validate
from .write import write_files

EXIT_OK, EXIT_DIFF, EXIT_CONFIG, EXIT_BUG = 0, 1, 2, 3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Generate self-contained PySpark jobs from a Tauro-style project.",
)

ProjectOpt = typer.Option(Path("."), "--project", "-p", help="Project root (holds config/).")
EnvOpt = typer.Option("base", "--env", "-e", help="Environment overlay config/<ENV>/.")


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
    pipeline: Optional[List[str]] = typer.Option(None, "--pipeline", help="Pipeline to build (repeatable)."),
    all_: bool = typer.Option(False, "--all", help="Build every pipeline."),
    env: str = EnvOpt,
    project: Path = ProjectOpt,
    out: str = typer.Option("build", "--out", help="Output folder, relative to the project."),
) -> None:
    """Validate the project and write one PySpark job per pipeline."""
    model, report = _load(project, env)
    if model is None:
        _print_report(report)
        raise ConfigProblem()
    names = _select(model, pipeline, all_)
    _print_report(report)
    jobs = generate(model, names, out)
    changed = set(write_files({project / job.path: job.source for job in jobs}))
    for job in jobs:
        state = "written" if project / job.path in changed else "unchanged"
        typer.echo(f"{job.path} ({job.plan.kind}, {state})")
        typer.echo(f"  run: {job.plan.run_command}")


def _select(model, pipeline: Optional[List[str]], all_: bool) -> list[str]:
    if all_ == bool(pipeline):
        typer.echo("error: give --pipeline NAME (repeatable) or --all", err=True)
        raise ConfigProblem()
    if all_:
        return sorted(model.pipelines)
    unknown = [p for p in pipeline if p not in model.pipelines]
    for name in unknown:
        hint = did_you_mean(name, model.pipelines) or "pipelines: " + ", ".join(sorted(model.pipelines))
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
    if format_ not in ("text", "json"):
        typer.echo(f"error: --format must be text or json, got '{format_}'", err=True)
        raise ConfigProblem()
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


@app.command(name="list")
def list_(env: str = EnvOpt, project: Path = ProjectOpt) -> None:
    """Pipelines, their kind, inputs and outputs."""
    model, report = _load(project, env)
    if model is None:
        _print_report(report)
        raise ConfigProblem()
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
    except Exception as exc:  # noqa: BLE001 — the last line of defence
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
