"""JSON Schema (draft 2020-12) of every config file, derived from validate's key tables.

`validate.keys.KEY_TABLE` and `validate.keys.ALIASES` are the one definition of which keys an
entry takes, their types and allowed values; this module only translates them, so an editor
that loads the schema knows exactly the keys `tauro-gen validate` knows. The schema is a help for
editors (completion, hover text, early red squiggles); `tauro-gen validate` remains the judge
(it also checks references, wiring, code and the streaming rules a schema cannot express).
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import __version__
from .validate import keys, values

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Config file -> (wrapper keys accepted around its entries, entry kind).
FILES = {
    "pipelines": (("pipelines", "pipeline"), "pipeline"),
    "nodes": (("nodes", "node"), "node"),
    "inputs": (("inputs", "input"), "input"),
    "outputs": (("outputs", "output"), "output"),
}
GLOBAL_SETTINGS = "global_settings"
FILE_NAMES = (*FILES, GLOBAL_SETTINGS)
ENTRY_NAME = r"^\w[\w.\-]*$"  # identifiers.PLAIN_NAME, as an ECMA-262 pattern (its $ is the end)


def _case_insensitive(pattern: str) -> str:
    """ECMA-262 has no inline (?i): spell every letter as [xX] (escapes left alone)."""
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char.isalpha() and char.isascii():
            out.append(f"[{char.lower()}{char.upper()}]")
        else:
            out.append(char)
    return "".join(out)


def _interval() -> dict:
    schema: dict[str, Any] = {
        "type": "string",
        "description": "A Spark interval " + values.INTERVAL_EXAMPLES,
        "examples": ["10 seconds", "1 minute"],
    }
    part = values.INTERVAL_PART.pattern
    schema["pattern"] = _case_insensitive(r"^\s*(?:interval\s+)?(?:" + part + r"\s*)+$")
    return schema


def _enum(choices: tuple[str, ...], doc: str) -> dict:
    """validate accepts any case and surrounding spaces; editors complete the canonical one."""
    alternatives = "|".join(re.escape(c) for c in choices)
    schema: dict[str, Any] = {
        "type": "string",
        "anyOf": [
            {"enum": list(choices)},
            {"pattern": r"^\s*(?:" + _case_insensitive(alternatives) + r")\s*$"},
        ],
    }
    if doc:
        schema["description"] = doc
    return schema


def _names(doc: str) -> dict:
    name = {"type": "string", "minLength": 1}
    schema: dict[str, Any] = {"oneOf": [name, {"type": "array", "items": name}]}
    if doc:
        schema["description"] = doc
    return schema


def _key_schema(kind: str, key: str, spec: keys.Key) -> dict:
    doc = spec.doc
    if spec.kind == "str":
        schema: dict[str, Any] = {"type": ["string", "number"]}
        if key != "description":
            schema["minLength"] = 1
    elif spec.kind == "function":
        schema = {
            "oneOf": [
                {"type": "string", "minLength": 1},
                {
                    "type": "object",
                    "properties": {
                        "module": {"type": "string", "minLength": 1},
                        "function": {"type": "string", "minLength": 1},
                    },
                    "required": ["module", "function"],
                    "additionalProperties": False,
                },
            ]
        }
    elif spec.kind == "bool":
        schema = {"type": "boolean"}
    elif spec.kind == "map":
        schema = {"type": ["object", "null"]}
        if kind == "node" and key == "streaming":
            schema = {"$ref": "#/$defs/streaming"}
    elif spec.kind == "options":
        schema = {
            "type": ["object", "null"],
            "additionalProperties": {"type": ["string", "number", "boolean"]},
        }
    elif spec.kind == "names":
        return _names(doc)
    elif spec.kind == "dependencies":
        name = {"type": "string", "minLength": 1}
        single = {"type": "object", "minProperties": 1, "maxProperties": 1}
        schema = {
            "oneOf": [
                name,
                {"type": "array", "items": {"oneOf": [name, single]}},
                {"type": "object"},
            ]
        }
    elif spec.kind == "node_io":
        inline = {"input": "#/$defs/input", "output": "#/$defs/output"}.get(key)
        schema = _names("")
        if inline:
            schema["oneOf"].append({"$ref": inline})
    elif spec.kind == "enum":
        return _enum(spec.choices, doc)
    elif spec.kind == "trigger":
        schema = {"$ref": "#/$defs/trigger"}
    elif spec.kind == "schema":
        schema = {"$ref": "#/$defs/schema"}
    elif spec.kind == "watermark":
        schema = {"$ref": "#/$defs/watermark"}
    else:  # a kind this translator does not know yet: accept anything, say so
        schema = {}
        doc = (doc + "; " if doc else "") + f"({spec.kind})"
    if doc:
        schema["description"] = doc
    return schema


def entry_schema(kind: str) -> dict:
    """One entry (a pipeline, node, input, output, or a node's streaming block)."""
    table = keys.KEY_TABLE[kind]
    aliases = keys.ALIASES.get(kind, {})
    properties: dict[str, Any] = {}
    for key, spec in table.items():
        properties[key] = _key_schema(kind, key, spec)
    for alias, canonical in aliases.items():
        if canonical in table:
            schema = dict(_key_schema(kind, canonical, table[canonical]))
            note = f"Same as '{canonical}'."
            if (kind, alias) in keys.DEPRECATED:
                schema["deprecated"] = True
                note = f"Deprecated spelling of '{canonical}'."
            schema["description"] = note + (
                f" {schema['description']}" if "description" in schema else ""
            )
            properties[alias] = schema
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    required = [key for key, spec in table.items() if spec.required]
    exclusive = []
    for alias, canonical in sorted(aliases.items()):
        exclusive.append({"not": {"required": [alias, canonical]}})
    for a, b in _alias_pairs(aliases):
        exclusive.append({"not": {"required": [a, b]}})
    if required:
        # A required key may be written under one of its aliases.
        for key in required:
            spellings = [key] + [a for a, c in aliases.items() if c == key]
            if len(spellings) == 1:
                schema.setdefault("required", []).append(key)
            else:
                exclusive.append({"anyOf": [{"required": [s]} for s in spellings]})
    if exclusive:
        schema["allOf"] = exclusive
    return schema


def _alias_pairs(aliases: dict[str, str]) -> list[tuple[str, str]]:
    """Two aliases of the same key cannot both be written either."""
    pairs = []
    names = sorted(aliases)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if aliases[a] == aliases[b]:
                pairs.append((a, b))
    return pairs


def _trigger_def() -> dict:
    kinds_with_flag = ("available_now", "once")
    forms: list[dict] = []
    flag_words = sorted(w for w, k in values.TRIGGER_SPELLINGS.items() if k in kinds_with_flag)
    forms.append(
        {
            "description": "A processing-time interval, or " + ", ".join(flag_words),
            "anyOf": [_interval(), {"enum": flag_words}],
        }
    )
    for spelled, kind in sorted(values.TRIGGER_SPELLINGS.items()):
        value = {"const": True} if kind in kinds_with_flag else _interval()
        forms.append(
            {
                "type": "object",
                "properties": {spelled: value},
                "required": [spelled],
                "additionalProperties": False,
            }
        )
    forms.append(
        {
            "type": "object",
            "description": "Tauro's spelling: {type: processing_time, interval: '10 seconds'}",
            "properties": {
                "type": {"enum": sorted(values.TRIGGER_SPELLINGS)},
                "interval": _interval(),
            },
            "required": ["type"],
            "additionalProperties": False,
        }
    )
    return {
        "description": "When micro-batches run: {processing_time: '5 seconds'}, "
        "{available_now: true}, {continuous: '1 second'} or {once: true} (deprecated)",
        "anyOf": forms,
    }


def _schema_def() -> dict:
    return {
        "description": "A Spark DDL string ('id INT, amount DOUBLE'), a list of "
        "{name, type, nullable}, or a path to a .json/.ddl file",
        "oneOf": [
            {"type": "string", "minLength": 1},
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "type": {"type": "string", "minLength": 1},
                        "nullable": {"type": "boolean"},
                        "comment": {"type": "string"},
                    },
                    "required": ["name", "type"],
                    "additionalProperties": False,
                },
            },
        ],
    }


def _watermark_def() -> dict:
    return {
        "type": "object",
        "properties": {
            "column": {
                "type": "string",
                "minLength": 1,
                "description": "event-time column",
            },
            "delay": {
                **_interval(),
                "description": "how late data may arrive, e.g. '10 minutes'",
            },
        },
        "required": ["column", "delay"],
        "additionalProperties": False,
    }


def _defs() -> dict:
    defs: dict[str, Any] = {kind: entry_schema(kind) for kind in keys.KEY_TABLE}
    defs["trigger"] = _trigger_def()
    defs["schema"] = _schema_def()
    defs["watermark"] = _watermark_def()
    return defs


def file_schema(name: str) -> dict:
    """The schema of one config file: `name` is pipelines, nodes, inputs, outputs or
    global_settings."""
    header = {
        "$schema": DIALECT,
        "$id": f"https://tauro-gen.invalid/schema/{__version__}/{name}.schema.json",
        "title": f"tauro-gen {name} file",
    }
    if name == GLOBAL_SETTINGS:
        return {
            **header,
            "description": "Build-time settings: ${name} references resolve here; a few keys "
            "have a meaning of their own.",
            "type": ["object", "null"],
            "properties": {
                "checkpoint_root": {
                    "type": "string",
                    "minLength": 1,
                    "description": "folder of the default checkpoints "
                    "(<checkpoint_root>/<pipeline>/<output>); default: checkpoints",
                },
                "spark_conf": {
                    "type": ["object", "null"],
                    "additionalProperties": {"type": ["string", "number", "boolean"]},
                    "description": "Spark settings of every job; a pipeline's own spark_conf wins",
                },
            },
        }
    wrappers, kind = FILES[name]
    defs = _defs()
    entry = {"$ref": f"#/$defs/{kind}"}
    wrapped = {
        "type": ["object", "null"],
        "propertyNames": {"pattern": ENTRY_NAME},
        "additionalProperties": entry,
        "description": f"{name} wrapped in one top-level '{wrappers[0]}:' key",
    }
    return {
        **header,
        "description": f"A mapping of {kind} name -> {kind}, bare or wrapped in '{wrappers[0]}:'",
        "type": ["object", "null"],
        # `inputs:` wraps the entries, unless it is itself an entry named so (load decides
        # the same way: a wrapper holds only mappings).
        "properties": {
            w: {
                "if": {
                    "type": ["object", "null"],
                    "additionalProperties": {"type": "object"},
                },
                "then": wrapped,
                "else": entry,
            }
            for w in wrappers
        },
        "propertyNames": {"pattern": ENTRY_NAME},
        "additionalProperties": entry,
        "$defs": defs,
    }


def all_schemas() -> dict[str, dict]:
    return {name: file_schema(name) for name in FILE_NAMES}


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
