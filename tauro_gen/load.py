"""Stage 1 — load: find a project's config files, parse them keeping every line number, apply
the environment overlay and build-time interpolation, and hand over plain dicts plus a map of
where each value was written.

Nothing here knows what a valid input or output looks like; that is `validate`'s job. Problems
found here are the ones only the loader can see: unreadable files, YAML syntax, duplicate keys,
an entry defined twice, and `${...}` references that resolve to nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Location, Report, did_you_mean

SECTIONS = ("pipelines", "nodes", "inputs", "outputs")

# Accepted file names per section, in the order they are read (SPEC 1.1).
FILE_NAMES = {
    "pipelines": ("pipelines", "pipeline"),
    "nodes": ("nodes", "node"),
    "inputs": ("inputs", "input"),
    "outputs": ("outputs", "output"),
    "global_settings": ("global_settings", "global", "settings"),
}
EXTENSIONS = (".yaml", ".yml", ".json")
DESCRIPTOR_NAMES = ("settings_yml.json", "settings_json.json")
DESCRIPTOR_KEYS = {
    "global_settings_path": "global_settings",
    "pipelines_config_path": "pipelines",
    "nodes_config_path": "nodes",
    "input_config_path": "inputs",
    "output_config_path": "outputs",
}

# ${name} or ${env:NAME} / ${env:NAME:-default}; `$${` escapes a literal `${`.
REFERENCE = re.compile(r"(?<!\$)\$\{([^}]*)\}")
ENV_REFERENCE = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)(:-.*)?$")

Path_ = tuple  # a key path such as ("inputs", "sales_stream", "options", "header")


@dataclass
class RawProject:
    """The merged, interpolated configuration of one environment, still untyped."""

    root: Path
    env: str
    sections: dict[str, dict[str, Any]]
    global_settings: dict[str, Any]
    key_locs: dict[Path_, Location] = field(default_factory=dict)
    value_locs: dict[Path_, Location] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    section_files: dict[str, str] = field(default_factory=dict)

    def where(self, path: Path_, value: bool = False) -> Location:
        """Location of a key (or of its value), falling back to the closest enclosing entry."""
        table = self.value_locs if value else self.key_locs
        for cut in range(len(path), 0, -1):
            loc = table.get(path[:cut]) or self.key_locs.get(path[:cut])
            if loc:
                return loc
        return Location(self.section_files.get(path[0], "config") if path else "config")


class _Tree:
    """A parsed YAML document: plain data plus key/value locations by key path."""

    def __init__(self, data: Any, key_locs: dict, value_locs: dict):
        self.data = data
        self.key_locs = key_locs
        self.value_locs = value_locs


def _loc(display: str, mark: yaml.Mark) -> Location:
    return Location(display, mark.line + 1, mark.column + 1)


def _parse(path: Path, display: str, report: Report) -> _Tree | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.error("TG100", Location(display), f"cannot read file: {exc}", "")
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _loc(display, mark) if mark else Location(display)
        problem = exc.problem or "invalid YAML"
        report.error(
            "TG100",
            loc,
            f"YAML syntax error: {problem}",
            "check indentation and quoting around this line",
        )
        return None
    key_locs: dict = {}
    value_locs: dict = {}
    if node is None:
        return _Tree({}, key_locs, value_locs)
    data = _construct(node, (), display, key_locs, value_locs, report)
    return _Tree(data, key_locs, value_locs)


def _construct(node, path, display, key_locs, value_locs, report) -> Any:
    value_locs[path] = _loc(display, node.start_mark)
    if isinstance(node, yaml.MappingNode):
        result: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                report.error(
                    "TG101",
                    _loc(display, key_node.start_mark),
                    "a key must be a plain name",
                    "use a string key",
                )
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                report.error(
                    "TG101",
                    _loc(display, key_node.start_mark),
                    "YAML merge keys ('<<') are not supported",
                    "use an environment overlay in config/<env>/ instead",
                )
                continue
            key = str(key_node.value)
            if key in result:
                first = key_locs[path + (key,)]
                report.error(
                    "TG102",
                    _loc(display, key_node.start_mark),
                    f"duplicate key '{key}' (first defined at line {first.line})",
                    "remove one of them; YAML would silently keep only the last",
                )
                continue
            key_locs[path + (key,)] = _loc(display, key_node.start_mark)
            result[key] = _construct(
                value_node, path + (key,), display, key_locs, value_locs, report
            )
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, path + (i,), display, key_locs, value_locs, report)
            for i, item in enumerate(node.value)
        ]
    return _SCALAR_LOADER.construct_object(node)


class _ScalarLoader(yaml.SafeLoader):
    def __init__(self) -> None:  # no stream: only used to construct single scalar nodes
        yaml.SafeLoader.__init__(self, "")


_SCALAR_LOADER = _ScalarLoader()


def _find_file(config_dir: Path, section: str) -> list[Path]:
    found = []
    for stem in FILE_NAMES[section]:
        for ext in EXTENSIONS:
            candidate = config_dir / f"{stem}{ext}"
            if candidate.is_file():
                found.append(candidate)
    return found


def _display(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _entries(tree: _Tree, section: str, display: str, report: Report):
    """Yield (name, value, key path in the tree) for a section file, wrapped or bare."""
    if not isinstance(tree.data, dict):
        report.error(
            "TG104",
            tree.value_locs.get((), Location(display)),
            f"{section} file must be a mapping of name -> entry",
            f"write `{section}:` followed by indented entries",
        )
        return
    for key, value in tree.data.items():
        if key == section and isinstance(value, dict):
            for name, entry in value.items():
                yield name, entry, (key, name)
        else:
            yield key, value, (key,)


def _descriptor_files(root: Path, env: str, report: Report) -> tuple[dict[str, Path], bool] | None:
    """Files named by a Tauro `settings_*.json` descriptor: base's, replaced by env's."""
    for name in DESCRIPTOR_NAMES:
        path = root / name
        if not path.is_file():
            continue
        tree = _parse(path, name, report)
        if tree is None:
            return {}, False
        env_config = tree.data.get("env_config") if isinstance(tree.data, dict) else None
        if not isinstance(env_config, dict):
            report.error(
                "TG105",
                tree.value_locs.get((), Location(name)),
                "descriptor has no 'env_config' mapping",
                "add env_config: {base: {pipelines_config_path: ..., ...}}",
            )
            return {}, False
        files: dict[str, Path] = {}
        for env_name in ("base", env) if env != "base" else ("base",):
            for key, value in (env_config.get(env_name) or {}).items():
                section = DESCRIPTOR_KEYS.get(key)
                if section is None:
                    report.warning(
                        "TG106",
                        tree.key_locs[("env_config", env_name, key)],
                        f"descriptor: unknown key '{key}' ignored",
                        "known keys: " + ", ".join(DESCRIPTOR_KEYS),
                    )
                    continue
                files[section] = root / str(value)
        return files, env in env_config
    return None


def load_project(root: Path, env: str = "base") -> tuple[RawProject, Report]:
    """Read and merge every config file of `root` for `env` (SPEC 1.1–1.4)."""
    report = Report()
    root = Path(root)
    config_dir = root / "config"
    raw = RawProject(root=root, env=env, sections={s: {} for s in SECTIONS}, global_settings={})

    descriptor = _descriptor_files(root, env, report)
    layers: list[list[tuple[str, Path]]] = []
    if descriptor is not None:
        files, env_known = descriptor
        layers.append(sorted(files.items()))
    else:
        env_known = env == "base"
        layers.append([(s, p) for s in (*SECTIONS, "global_settings") for p in _find_file(config_dir, s)])
        if env != "base":
            overlay_dir = config_dir / env
            if overlay_dir.is_dir():
                env_known = True
                layers.append(
                    [
                        (s, p)
                        for s in (*SECTIONS, "global_settings")
                        for p in _find_file(overlay_dir, s)
                    ]
                )
    if not config_dir.is_dir() and descriptor is None:
        report.error(
            "TG107",
            Location(_display(root, config_dir)),
            "no config/ folder in the project",
            "run tauro-gen from the project root or pass --project DIR",
        )
        return raw, report
    if not env_known:
        report.warning(
            "TG108",
            Location(_display(root, config_dir)),
            f"environment '{env}' has no config/{env}/ overlay; it uses the base values only",
            "that is fine if intended; create config/<env>/ to override values",
        )

    for depth, layer in enumerate(layers):
        seen_in_layer: dict[tuple[str, str], Location] = {}
        for section, path in layer:
            display = _display(root, path)
            if not path.is_file():
                report.error(
                    "TG100", Location(display), f"{section} file does not exist", "fix the path"
                )
                continue
            raw.files.append(path)
            if depth == 0:
                raw.section_files.setdefault(section, display)
            tree = _parse(path, display, report)
            if tree is None:
                continue
            if section == "global_settings":
                _merge_settings(raw, tree, display, report)
                continue
            for name, entry, tree_path in _entries(tree, section, display, report):
                name = str(name)
                here = tree.key_locs[tree_path]
                if (section, name) in seen_in_layer:
                    first = seen_in_layer[(section, name)]
                    report.error(
                        "TG103",
                        here,
                        f"{section[:-1]} '{name}' is defined twice (first at {first})",
                        "rename or remove one of the two definitions",
                    )
                    continue
                seen_in_layer[(section, name)] = here
                _merge_entry(raw, section, name, entry, tree, tree_path, overlay=depth > 0)

    _interpolate(raw, report)
    return raw, report


def _copy_locs(raw: RawProject, tree: _Tree, tree_path: tuple, target: tuple) -> None:
    n = len(tree_path)
    for table_src, table_dst in ((tree.key_locs, raw.key_locs), (tree.value_locs, raw.value_locs)):
        for path, loc in table_src.items():
            if path[:n] == tree_path:
                table_dst[target + path[n:]] = loc


def _merge_entry(raw, section, name, entry, tree, tree_path, overlay: bool) -> None:
    current = raw.sections[section]
    if overlay and name in current and isinstance(current[name], dict) and isinstance(entry, dict):
        current[name] = deep_merge(current[name], entry)
    else:
        current[name] = entry
    _copy_locs(raw, tree, tree_path, (section, name))


def _merge_settings(raw: RawProject, tree: _Tree, display: str, report: Report) -> None:
    if not isinstance(tree.data, dict):
        report.error(
            "TG104",
            tree.value_locs.get((), Location(display)),
            "global settings must be a mapping",
            "write `key: value` lines",
        )
        return
    data = tree.data
    if set(data) == {"global_settings"} and isinstance(data["global_settings"], dict):
        data = data["global_settings"]
        tree_path: tuple = ("global_settings",)
    else:
        tree_path = ()
    raw.global_settings = deep_merge(raw.global_settings, data)
    _copy_locs(raw, tree, tree_path, ("global_settings",))
    raw.section_files.setdefault("global_settings", display)


def deep_merge(base: dict, overlay: dict) -> dict:
    """Mappings merge key by key; scalars and lists from the overlay replace (SPEC 1.2)."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _lookup(settings: dict, dotted: str) -> tuple[bool, Any]:
    value: Any = settings
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _interpolate(raw: RawProject, report: Report) -> None:
    """Replace build-time `${name}` references from global settings, in place."""
    settings = raw.global_settings

    def resolve(text: str, path: tuple, depth: int = 0) -> Any:
        def one(match: re.Match) -> str:
            ref = match.group(1).strip()
            if ref.startswith("env:"):
                if not ENV_REFERENCE.match(ref):
                    report.error(
                        "TG110",
                        raw.where(path, value=True),
                        f"malformed environment reference '${{{ref}}}'",
                        "write ${env:NAME} or ${env:NAME:-default}",
                    )
                return match.group(0)
            found, value = _lookup(settings, ref)
            if not found or isinstance(value, (dict, list)):
                hint = did_you_mean(ref, _flat_keys(settings)) or (
                    "define it in config/global_settings.yaml, or use ${env:NAME} "
                    "for a value read when the job starts"
                )
                report.error(
                    "TG111",
                    raw.where(path, value=True),
                    f"unresolved reference '${{{ref}}}'",
                    hint,
                )
                return match.group(0)
            if depth < 10 and isinstance(value, str) and REFERENCE.search(value):
                value = resolve(value, path, depth + 1)
            return str(value)

        # A value that is exactly one reference keeps the referenced type (e.g. an int).
        whole = REFERENCE.fullmatch(text)
        if whole and not whole.group(1).strip().startswith("env:"):
            found, value = _lookup(settings, whole.group(1).strip())
            if found and not isinstance(value, (dict, list, str)):
                return value
        return REFERENCE.sub(one, text)

    def walk(value: Any, path: tuple) -> Any:
        if isinstance(value, str):
            return resolve(value, path) if "${" in value else value
        if isinstance(value, dict):
            return {k: walk(v, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, path + (i,)) for i, v in enumerate(value)]
        return value

    for section in SECTIONS:
        raw.sections[section] = {
            name: walk(entry, (section, name)) for name, entry in raw.sections[section].items()
        }
    raw.global_settings = {
        k: walk(v, ("global_settings", k)) for k, v in raw.global_settings.items()
    }


def _flat_keys(settings: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in settings.items():
        keys.append(prefix + str(key))
        if isinstance(value, dict):
            keys.extend(_flat_keys(value, f"{prefix}{key}."))
    return keys


def canonical_json(value: Any) -> str:
    """Stable text of a value, for digests."""
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
