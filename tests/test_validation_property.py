"""Property: whatever a user does to a valid config, tauro-gen answers with located
diagnostics and exit code 0 or 2 — never a traceback — and a config it accepts generates.

Hypothesis takes the valid example projects (the seed tutorial and tests/projects/*), mutates
one config file (drop, rename or retype a key, put garbage in a value, or damage the text),
and runs `tauro-gen validate --format json` in process.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
from pathlib import Path

import yaml
from harness import PROJECTS, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tauro_gen.cli import main
from tauro_gen.generate import generate, load_and_validate

FOLDER_CODES = {"TG107", "TG108", "TG116", "TG117"}  # about a folder: no line to point at


def _projects() -> dict[str, Path]:
    found = {"tutorial": REPO}
    for path in sorted(PROJECTS.iterdir()):
        if (path / "config").is_dir():
            project, _ = load_and_validate(path, "base")
            if project is not None:  # only projects that are valid to begin with
                found[path.name] = path
    return found


BASES = _projects()

# Strings a user might plausibly (or implausibly) type where a value goes.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
PLAUSIBLE = st.sampled_from(
    [
        "",
        " ",
        "csv",
        "kafka",
        "rate",
        "console",
        "memory",
        "delta",
        "jdbc",
        "table",
        "foreach_batch",
        "append",
        "update",
        "complete",
        "overwrite",
        "streaming",
        "batch",
        "5 seconds",
        "5 secs",
        "1.5 minutes",
        "-1 seconds",
        "${data_root}",
        "${nope}",
        "${env:HOME}",
        "${env:1X}",
        "${",
        "$${x}",
        "a/b",
        "../x",
        "x y",
        "it's",
        "src.nodes.missing.f",
        "src/nodes/x.py",
        "os.path.join",
        "data/in/",
        "data/out/",
        "id INT, amount DOUBLE",
        "id INTT",
        "schema.ddl",
        "jdbc:postgresql://u:p@h/db",
        "true",
        "null",
    ]
)
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
    | PLAUSIBLE,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(TEXT | PLAUSIBLE, inner, max_size=3),
    max_leaves=6,
)
KEYS = TEXT | st.sampled_from(
    [
        "format",
        "fromat",
        "path",
        "filepath",
        "table",
        "streaming",
        "options",
        "schema",
        "watermark",
        "mode",
        "output_mode",
        "trigger",
        "checkpoint",
        "query_name",
        "input",
        "output",
        "inputs",
        "depends_on",
        "dependencies",
        "function",
        "module",
        "params",
        "nodes",
        "type",
        "spark_conf",
        "password",
        "partition_by",
        "value_format",
        "foreach_batch",
        "key_column",
        "<<",
    ]
)


def _paths(tree, prefix=()):
    """Every position in a YAML tree: (container path, key or index)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield prefix, key
            yield from _paths(value, prefix + (key,))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield prefix, i
            yield from _paths(value, prefix + (i,))


def _get(tree, path):
    for part in path:
        tree = tree[part]
    return tree


def _copy(name: str, tmp: Path) -> Path:
    source = BASES[name]
    root = tmp / name
    shutil.copytree(source / "config", root / "config")
    for extra in ("src", "schemas"):
        if (source / extra).is_dir():
            shutil.copytree(source / extra, root / extra)
    for descriptor in ("settings_yml.json", "settings_json.json"):
        if (source / descriptor).is_file():
            shutil.copy(source / descriptor, root / descriptor)
    return root


def _run(root: Path) -> tuple[int, list[dict]]:
    out = io.StringIO()
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", "--project", str(root), "--format", "json"])
    assert "Traceback" not in err.getvalue(), err.getvalue()
    assert "internal error" not in err.getvalue(), err.getvalue()
    return code, json.loads(out.getvalue())


def _check(root: Path) -> None:
    code, diagnostics = _run(root)
    assert code in (0, 2), (code, diagnostics)
    errors = [d for d in diagnostics if d["severity"] == "error"]
    assert (code == 2) == bool(errors), diagnostics
    for d in diagnostics:
        assert set(d) == {"severity", "code", "file", "line", "column", "message", "hint"}
        assert d["code"].startswith("TG") and d["file"] and d["message"] and d["hint"], d
        if d["code"] not in FOLDER_CODES:
            assert d["line"] >= 1 and d["column"] >= 1, d
        assert "\n" not in d["message"], d
    assert diagnostics == sorted(
        diagnostics, key=lambda d: (d["file"], d["line"], d["column"], d["code"])
    )
    if code == 0:
        # What validate accepts must generate: no config mistake reaches a later stage.
        project, report = load_and_validate(root, "base")
        assert project is not None, [d.render() for d in report.errors]
        generate(project, sorted(project.pipelines))


MUTATIONS = ("drop", "rename", "retype", "retype", "add")


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_mutated_config_is_reported_never_crashes(data):
    name = data.draw(st.sampled_from(sorted(BASES)), label="project")
    with tempfile.TemporaryDirectory() as tmp:
        root = _copy(name, Path(tmp))
        files = sorted(p for p in (root / "config").rglob("*") if p.suffix in (".yaml", ".yml"))
        target = data.draw(st.sampled_from(files), label="file")
        tree = yaml.safe_load(target.read_text()) or {}
        positions = list(_paths(tree))
        op = data.draw(st.sampled_from(MUTATIONS), label="mutation")
        if not positions or op == "add":
            parent = (
                _get(tree, data.draw(st.sampled_from([p for p, _ in positions]), label="at"))
                if positions
                else tree
            )
            if isinstance(parent, dict):
                parent[data.draw(KEYS, label="key")] = data.draw(VALUES, label="value")
            elif isinstance(parent, list):
                parent.append(data.draw(VALUES, label="value"))
        else:
            where, key = data.draw(st.sampled_from(positions), label="position")
            parent = _get(tree, where)
            if op == "drop":
                del parent[key]
            elif op == "rename" and isinstance(parent, dict):
                parent[data.draw(KEYS, label="new key")] = parent.pop(key)
            else:
                parent[key] = data.draw(VALUES, label="value")
        target.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False))
        _check(root)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_text_is_reported_never_crashes(data):
    """Typing accidents: a character inserted or deleted anywhere in a config file."""
    name = data.draw(st.sampled_from(sorted(BASES)), label="project")
    with tempfile.TemporaryDirectory() as tmp:
        root = _copy(name, Path(tmp))
        files = sorted(p for p in (root / "config").rglob("*") if p.suffix in (".yaml", ".yml"))
        target = data.draw(st.sampled_from(files), label="file")
        text = target.read_text()
        for _ in range(data.draw(st.integers(1, 3), label="edits")):
            at = data.draw(st.integers(0, len(text)), label="at")
            if text and data.draw(st.booleans(), label="delete"):
                text = text[:at] + text[at + 1 :]
            else:
                char = data.draw(
                    st.sampled_from(list(":-[]{}'\"#&*!|>%@`\t\n ,?x0$")) | TEXT, label="char"
                )
                text = text[:at] + char + text[at:]
        target.write_text(text)
        _check(root)
