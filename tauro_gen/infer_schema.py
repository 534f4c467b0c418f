"""`tauro-gen infer-schema`: declare an input's schema from sample files.

This is the one command that runs Spark at build time: a local SparkSession reads the samples
with Spark's own inference (CSV with `inferSchema`, JSON and Parquet as Spark reads them), so
the declared schema is exactly what the job would have inferred. The result is written into
the input's `schema:` as a DDL string with ruamel.yaml's round-trip mode, which keeps the
file's comments, quoting and layout; every other line stays byte for byte as it was.
"""

from __future__ import annotations

import difflib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema as schema_mod
from .diagnostics import did_you_mean
from .load import REFERENCE, RawProject
from .plan import FORMAT_DEFAULT_OPTIONS

FORMATS = ("csv", "json", "parquet", "orc")
# Options that only matter to a stream, or that a one-off read must not inherit.
STREAM_ONLY_OPTIONS = frozenset(
    {
        "maxFilesPerTrigger",
        "maxBytesPerTrigger",
        "latestFirst",
        "fileNameOnly",
        "maxFileAge",
        "cleanSource",
        "sourceArchiveDir",
        "maxCachedFiles",
        "discardCachedInputRatio",
    }
)
LOG4J = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


class InferError(Exception):
    """A user-facing problem: reported in one line, exit code 2."""


@dataclass(frozen=True)
class Inferred:
    input: str
    ddl: str
    file: str  # config file (relative to the project) that declares the input
    samples: tuple[str, ...]
    replaced: str | None  # the schema that was there before, if any


def input_entry(raw: RawProject, name: str) -> dict:
    inputs = raw.sections.get("inputs", {})
    if name not in inputs:
        hint = did_you_mean(name, inputs) or (
            "inputs: " + ", ".join(sorted(inputs)) if inputs else "the project defines no inputs"
        )
        raise InferError(f"unknown input '{name}' ({hint})")
    entry = inputs[name]
    if not isinstance(entry, dict):
        raise InferError(f"input '{name}' is not a mapping of keys")
    return entry


def sample_paths(root: Path, name: str, entry: dict, sample: Path | None) -> list[Path]:
    """The files to infer from: --sample (a file or folder), else the input's own folder."""
    if sample is not None:
        target = sample if sample.is_absolute() else Path.cwd() / sample
        if not target.exists():
            raise InferError(f"sample '{sample}' does not exist")
        candidates = [target]
    else:
        path = entry.get("path", entry.get("filepath"))
        if not isinstance(path, str) or REFERENCE.search(path):
            raise InferError(
                f"input '{name}' has no local path to read samples from; give --sample FILE"
            )
        if "://" in path and not path.startswith("file://"):
            raise InferError(f"input '{name}' reads {path}; give a local --sample FILE")
        folder = Path(path.removeprefix("file://"))
        folder = folder if folder.is_absolute() else root / folder
        if not folder.exists():
            raise InferError(f"input '{name}': {path} does not exist yet; give --sample FILE")
        candidates = [folder]
    files = []
    for candidate in candidates:
        if candidate.is_file():
            files.append(candidate)
        else:
            files.extend(
                p
                for p in sorted(candidate.rglob("*"))
                if p.is_file() and not p.name.startswith((".", "_"))
            )
    if not files:
        raise InferError(f"no sample files in {candidates[0]}; give --sample FILE")
    return files


def reader_options(fmt: str, entry: dict) -> dict[str, str]:
    """The input's reader options as a batch read needs them (env references left out)."""
    options = {**FORMAT_DEFAULT_OPTIONS.get(fmt, {})}
    for key, value in (entry.get("options") or {}).items():
        if key in STREAM_ONLY_OPTIONS:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        text = str(value)
        if REFERENCE.search(text):
            continue  # read from the environment by the job; not needed to infer a schema
        options[str(key)] = text
    if fmt == "csv":
        options["inferSchema"] = "true"
    return options


def infer_ddl(fmt: str, files: list[Path], options: dict[str, str]) -> str:
    """Spark's inferred schema of the files, as canonical DDL."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="tauro-gen-infer-") as tmp:
        log4j = Path(tmp) / "log4j2.properties"
        log4j.write_text(LOG4J)
        try:
            from pyspark.sql import SparkSession

            # A session already running in this process (tests, a notebook) is reused and left
            # running. getActiveSession() only sees the current thread's, so also ask for the
            # process-wide one.
            existing = SparkSession.getActiveSession() or SparkSession._instantiatedSession
            spark = (
                SparkSession.builder.master("local[1]")
                .appName("tauro-gen infer-schema")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.warehouse.dir", str(Path(tmp) / "warehouse"))
                .config(
                    "spark.driver.extraJavaOptions",
                    f"-Dlog4j2.configurationFile=file:{log4j}",
                )
                .getOrCreate()
            )
        except Exception as exc:  # noqa: BLE001 — no Java or no pyspark: say so
            raise InferError(f"could not start a local Spark session: {_first_line(exc)}") from None
        try:
            reader = spark.read.format(fmt).options(**options)
            schema = reader.load([str(f) for f in files]).schema
        except Exception as exc:  # noqa: BLE001 — Spark's own message is the useful one
            raise InferError(f"Spark could not read the samples: {_first_line(exc)}") from None
        finally:
            if existing is None:  # a caller's session (tests, notebooks) stays up
                spark.stop()
    if not schema.fields:
        raise InferError("the samples have no columns")
    struct = schema_mod.from_json(json.loads(schema.json()))
    return schema_mod.to_ddl(struct)


# --------------------------------------------------------------------------------------------
# Writing the schema into the YAML file
# --------------------------------------------------------------------------------------------


def _yaml(mapping: int, offset: int):
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 1 << 16
    yaml.indent(mapping=mapping, sequence=mapping + offset, offset=offset)
    return yaml


def _dump(yaml, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _faithful_yaml(text: str):
    """A round-trip loader/dumper that reproduces `text` exactly, if there is one."""
    for mapping in (2, 4, 3):
        for offset in (0, 2, mapping):
            yaml = _yaml(mapping, offset)
            try:
                data = yaml.load(text)
            except Exception:  # noqa: BLE001 — load already parsed it
                return None, None
            if _dump(yaml, data) == text:
                return yaml, data
    return None, None


def _entry_mapping(data: Any, name: str):
    if not isinstance(data, dict):
        return None
    for wrapper in ("inputs", "input"):
        wrapped = data.get(wrapper)
        if isinstance(wrapped, dict) and isinstance(wrapped.get(name), dict):
            return wrapped[name]
    value = data.get(name)
    return value if isinstance(value, dict) else None


def write_schema(config_file: Path, name: str, ddl: str, force: bool) -> tuple[str, str | None]:
    """Set `schema:` of input `name` in `config_file`; return (new text, previous schema)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    text = config_file.read_text(encoding="utf-8")
    if config_file.suffix == ".json":
        raise InferError(
            f"{config_file.name} is JSON; infer-schema edits YAML files only. Add it by hand: "
            f'"schema": {json.dumps(ddl)}'
        )
    yaml, data = _faithful_yaml(text)
    if yaml is None:
        raise InferError(
            f"{config_file} cannot be rewritten without changing its layout; add this line "
            f"to input '{name}' by hand: schema: \"{ddl}\""
        )
    entry = _entry_mapping(data, name)
    if entry is None:
        raise InferError(f"input '{name}' is not defined in {config_file}")
    previous = None
    for key in ("schema",):
        if key in entry:
            previous = entry[key] if isinstance(entry[key], str) else json.dumps(entry[key])
            if not force:
                raise InferError(
                    f"input '{name}' already declares a schema ({_short(previous)}); "
                    "pass --force to replace it"
                )
    entry["schema"] = DoubleQuotedScalarString(ddl)
    new_text = _dump(yaml, data)
    _check_only_schema_changed(text, new_text, config_file)
    return new_text, previous


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _check_only_schema_changed(old: str, new: str, config_file: Path) -> None:
    """A last guard: every changed line must be a `schema` line (or part of the old one)."""
    matcher = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        added = new.splitlines()[j1:j2]
        if tag in ("insert", "replace") and not all("schema:" in line for line in added):
            raise InferError(
                f"{config_file}: writing the schema would change other lines; add it by hand"
            )


def declaring_file(raw: RawProject, name: str) -> Path:
    """The config file that declares input `name` (the overlay's, when it redefines it)."""
    loc = raw.key_locs.get(("inputs", name, "schema")) or raw.key_locs.get(("inputs", name))
    if loc is None:
        raise InferError(f"cannot tell which file declares input '{name}'")
    path = Path(loc.file)
    return path if path.is_absolute() else raw.root / path


def infer_and_write(
    raw: RawProject, name: str, sample: Path | None, force: bool, dry_run: bool
) -> Inferred:
    entry = input_entry(raw, name)
    fmt = str(entry.get("format", "")).strip().lower()
    if fmt not in FORMATS:
        raise InferError(
            f"input '{name}' has format '{fmt or '(none)'}'; infer-schema reads "
            + ", ".join(FORMATS)
        )
    if "schema" in entry and not force and not dry_run:
        raise InferError(f"input '{name}' already declares a schema; pass --force to replace it")
    files = sample_paths(raw.root, name, entry, sample)
    ddl = infer_ddl(fmt, files, reader_options(fmt, entry))
    config_file = declaring_file(raw, name)
    previous = None
    if not dry_run:
        new_text, previous = write_schema(config_file, name, ddl, force)
        _atomic_write(config_file, new_text)
    display = _display(raw.root, config_file)
    return Inferred(name, ddl, display, tuple(_display(raw.root, f) for f in files), previous)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _display(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def _atomic_write(path: Path, text: str) -> None:
    from .write import write_files

    write_files({path: text})
