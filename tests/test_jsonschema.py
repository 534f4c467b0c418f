"""`tauro-gen schema`: JSON Schema of every config file, derived from validate's key tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from harness import PROJECTS, REPO, tauro_gen

from tauro_gen.jsonschema import FILE_NAMES, all_schemas, file_schema
from tauro_gen.validate import keys

jsonschema = pytest.importorskip("jsonschema")

KIND = {
    "pipelines": "pipeline",
    "nodes": "node",
    "inputs": "input",
    "outputs": "output",
}


def errors(file: str, document) -> list[str]:
    validator = jsonschema.Draft202012Validator(file_schema(file))
    return [e.message for e in validator.iter_errors(document)]


def example_configs() -> list[Path]:
    roots = [REPO, *sorted(PROJECTS.iterdir()), REPO / "tests/diff_cases/shop"]
    files = []
    for root in roots:
        for path in (
            sorted((root / "config").glob("*.yaml")) if (root / "config").is_dir() else []
        ):
            if path.stem in FILE_NAMES:
                files.append(path)
    return files


def test_cli_prints_every_schema_and_they_are_valid_json_schema():
    result = tauro_gen("schema")
    assert result.returncode == 0, result.stderr
    schemas = json.loads(result.stdout)
    assert list(schemas) == list(FILE_NAMES)
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    assert schemas == json.loads(json.dumps(all_schemas()))


def test_cli_one_file_and_out_folder(tmp_path):
    one = tauro_gen("schema", "--file", "inputs")
    assert json.loads(one.stdout)["title"] == "tauro-gen inputs file"
    written = tauro_gen("schema", "--out", str(tmp_path / "schemas"))
    assert written.returncode == 0
    assert sorted(p.name for p in (tmp_path / "schemas").iterdir()) == sorted(
        f"{name}.schema.json" for name in FILE_NAMES
    )
    again = tauro_gen("schema", "--out", str(tmp_path / "schemas"))
    assert "(unchanged)" in again.stdout  # same bytes: editors are not told to reload
    bad = tauro_gen("schema", "--file", "input")
    assert bad.returncode == 2 and "--file must be one of" in bad.stderr


@pytest.mark.parametrize("path", example_configs(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_example_config_is_valid(path):
    assert errors(path.stem, yaml.safe_load(path.read_text())) == []


def test_derived_from_the_key_tables():
    """Every key, alias and allowed value validate knows, and nothing else."""
    for file, kind in KIND.items():
        entry = file_schema(file)["$defs"][kind]
        expected = set(keys.KEY_TABLE[kind]) | set(keys.ALIASES.get(kind, {}))
        assert set(entry["properties"]) == expected
        assert entry["additionalProperties"] is False
        for key, spec in keys.KEY_TABLE[kind].items():
            if spec.kind == "enum":
                assert entry["properties"][key]["anyOf"][0]["enum"] == list(spec.choices)
    known = {
        "str",
        "bool",
        "map",
        "function",
        "options",
        "names",
        "dependencies",
        "node_io",
        "enum",
        "trigger",
        "schema",
        "watermark",
    }
    kinds = {spec.kind for table in keys.KEY_TABLE.values() for spec in table.values()}
    assert kinds <= known, f"teach jsonschema.py the new key kind(s) {kinds - known}"


@pytest.mark.parametrize(
    "file,document,message",
    [
        ("inputs", {"inputs": {"s": {"fromat": "csv"}}}, "'fromat' was unexpected"),
        (
            "inputs",
            {"s": {"format": "xml"}},
            "is not valid under any of the given schemas",
        ),
        (
            "inputs",
            {"s": {"format": "csv", "path": "a", "filepath": "b"}},
            "should not be valid",
        ),
        (
            "outputs",
            {
                "o": {
                    "format": "parquet",
                    "trigger": {"processing_time": "5 lightyears"},
                }
            },
            "is not valid under any of the given schemas",
        ),
        (
            "outputs",
            {"o": {"format": "parquet", "output_mode": "upsert"}},
            "is not valid under any of the given schemas",
        ),
        (
            "inputs",
            {"s": {"format": "json", "watermark": {"column": "ts"}}},
            "'delay' is a required",
        ),
        (
            "pipelines",
            {"p": {"description": "no nodes"}},
            "'nodes' is a required property",
        ),
        (
            "nodes",
            {"n": {"function": "f", "dependencies": [1]}},
            "is not valid under any",
        ),
    ],
)
def test_mistakes_are_flagged(file, document, message):
    assert any(message in e for e in errors(file, document)), errors(file, document)


@pytest.mark.parametrize(
    "file,document",
    [
        (
            "inputs",
            {"s": {"format": "CSV", "path": "x", "streaming": True}},
        ),  # any case, like validate
        (
            "outputs",
            {"o": {"format": "parquet", "trigger": {"processingTime": "5 Seconds"}}},
        ),
        (
            "outputs",
            {
                "o": {
                    "format": "parquet",
                    "trigger": {"type": "processing_time", "interval": "1 minute"},
                }
            },
        ),
        ("outputs", {"o": {"format": "console", "trigger": "available_now"}}),
        ("outputs", {"outputs": None}),
        (
            "outputs",
            {
                "o": {
                    "format": "parquet",
                    "partitionBy": ["a"],
                    "checkpointLocation": "c",
                }
            },
        ),
        ("nodes", {"n": {"function": "f", "input": {"format": "csv", "path": "x"}}}),
        ("inputs", {"s": {"format": "csv", "schema": [{"name": "a", "type": "int"}]}}),
        ("global_settings", {"checkpoint_root": "state", "data_root": "data"}),
        ("nodes", {"n": {"function": "f", "dependencies": {"a": {}}}}),
        ("nodes", {"n": {"function": "f", "dependencies": [{"a": {}}, "b"]}}),
        ("nodes", {"n": {"module": "m", "function": "f", "fail_fast": False, "type": "batch"}}),
        ("inputs", {"s": {"format": "csv", "filepath": "x", "partition_filter": "a > 0"}}),
        ("pipelines", {"p": {"nodes": ["n"], "requires_dates": False, "inputs": ["s"]}}),
    ],
)
def test_valid_spellings_are_accepted(file, document):
    assert errors(file, document) == []


def test_validate_agrees_on_a_misspelt_key(tutorial):
    """The schema and `tauro-gen validate` flag the same mistake."""
    path = tutorial / "config/outputs.yaml"
    path.write_text(path.read_text().replace("format: parquet", "fromat: parquet"))
    assert errors("outputs", yaml.safe_load(path.read_text()))
    result = tauro_gen("validate", cwd=tutorial)
    assert result.returncode == 2 and "unknown key 'fromat'" in result.stderr
