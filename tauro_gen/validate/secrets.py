"""Secrets and `${env:NAME}`: a literal password would be written into a generated file that is
committed, so it is refused (TG601, TG602); `${env:NAME}` is read when the job starts, so it may
only stand where the job reads a value at run time (TG112)."""

from __future__ import annotations

import re
from typing import Any

from ..load import ENV_REFERENCE, REFERENCE
from .context import SECTION_OF, Context

# Keys whose values the generated job may read from the environment when it starts
# (`${env:NAME}`); everything else must be known when the job is generated.
ENV_ALLOWED_KEYS = frozenset({"path", "filepath", "table", "description"})
ENV_ALLOWED_MAPS = frozenset({"options", "params", "spark_conf"})

# A key names a secret when its last word (or last two) is one of these.
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "passphrase",
        "credential",
        "credentials",
    }
)
SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("account", "key"),
        ("access", "token"),
        ("auth", "token"),
        ("client", "secret"),
        ("sas", "token"),
    }
)
URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]+:([^/\s@]+)@")
INLINE_PASSWORD = re.compile(r"""password\s*=\s*(["'])(.*?)\1""", re.IGNORECASE)

KIND_OF_SECTION = {section: kind for kind, section in SECTION_OF.items()}
# The sections whose entries may hold a secret or an `${env:...}`, in the order they are walked.
WALKED_SECTIONS = ("inputs", "outputs", "nodes", "pipelines")


def is_secret_key(key: Any) -> bool:
    """`password`, `db_password`, `kafka.sasl.token`, `spark...secret.key`: yes; `max_tokens`,
    `token_column`: no."""
    words = _name_words(str(key))
    if not words:
        return False
    return words[-1] in SECRET_WORDS or tuple(words[-2:]) in SECRET_PAIRS


def env_inside(value: Any) -> bool:
    """Whether a `${env:NAME}` reference stands anywhere in `value`."""
    if isinstance(value, str):
        return any(ENV_REFERENCE.match(m.group(1).strip()) for m in REFERENCE.finditer(value))
    if isinstance(value, dict):
        return any(env_inside(v) for v in value.values())
    if isinstance(value, list):
        return any(env_inside(v) for v in value)
    return False


def check_secrets(ctx: Context) -> None:
    """A literal password in config ends up in a generated file that is committed: refuse."""

    def walk(value: Any, path: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                literal = isinstance(item, (str, int, float)) and not isinstance(item, bool)
                if literal and is_secret_key(key):
                    text = str(item)
                    if text.strip() and not _only_env_references(text):
                        ctx.report.error(
                            "TG601",
                            ctx.at(*path, key, value=True),
                            f"{_owner(path)}'{key}' holds a literal secret; it would be written "
                            "into the generated job",
                            f"read it when the job starts: {key}: ${{env:{_env_name(key)}}}",
                        )
                walk(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,))
        elif isinstance(value, str):
            _check_embedded_secret(ctx, value, path)

    for section in WALKED_SECTIONS:
        for name, entry in ctx.raw.sections[section].items():
            walk(entry, (section, name))
    walk(ctx.raw.global_settings, ("global_settings",))


def _check_embedded_secret(ctx: Context, text: str, path: tuple) -> None:
    for pattern, what in (
        (URL_PASSWORD, "a URL"),
        (INLINE_PASSWORD, "a login setting"),
    ):
        match = pattern.search(text)
        if match is None:
            continue
        secret = match.group(match.lastindex or 0)
        if secret and not _only_env_references(secret):
            ctx.report.error(
                "TG602",
                ctx.at(*path, value=True),
                f"{_owner(path)}{what} with a literal password; it would be written into the "
                "generated job",
                "put the password in an environment variable and write ${env:NAME} in its "
                f"place, e.g. ${{env:{'DB' if what == 'a URL' else 'SASL'}_PASSWORD}}",
            )
            return


def check_env_placement(ctx: Context) -> None:
    """`${env:NAME}` is read when the job starts, so it can only stand where the job reads a
    value at run time: paths, tables, options, params and Spark settings."""

    def walk(value: Any, path: tuple, rel: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,), rel + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,), rel + (i,))
        elif isinstance(value, str) and not _env_allowed(path[0], rel):
            for match in REFERENCE.finditer(value):
                ref = match.group(1).strip()
                if ENV_REFERENCE.match(ref):
                    key = next((str(r) for r in reversed(rel) if isinstance(r, str)), "value")
                    ctx.report.error(
                        "TG112",
                        ctx.at(*path, value=True),
                        f"{_owner(path)}'{key}' must be known when the job is generated, so it "
                        f"cannot read '${{{ref}}}' at start-up",
                        "${env:...} works in path, table, options, params and spark_conf; "
                        "use a ${name} from global settings or an environment overlay here",
                    )
                    break

    for section in WALKED_SECTIONS:
        for name, entry in ctx.raw.sections[section].items():
            walk(entry, (section, name), ())
    settings = ctx.raw.global_settings if isinstance(ctx.raw.global_settings, dict) else {}
    if "checkpoint_root" in settings:
        walk(
            settings["checkpoint_root"],
            ("global_settings", "checkpoint_root"),
            ("checkpoint_root",),
        )


def _env_allowed(section: str, rel: tuple) -> bool:
    """Whether the value at `rel` inside an entry of `section` is read by the job at run time."""
    if section == "global_settings":
        return False
    if (
        section == "nodes"
        and len(rel) > 1
        and rel[0] in ("input", "output", "inputs", "outputs", "streaming")
        and isinstance(rel[1], str)
    ):
        rel = rel[1:]  # a Tauro inline input/output/streaming block: the keys of an entry
    if not rel:
        return False
    head = rel[0]
    if head in ENV_ALLOWED_MAPS:
        return len(rel) >= 2
    return head in ENV_ALLOWED_KEYS and len(rel) == 1


def _owner(path: tuple) -> str:
    """The entry a value belongs to, as a message starts: "input 'sales': "."""
    if len(path) >= 2 and path[0] in KIND_OF_SECTION:
        return f"{KIND_OF_SECTION[path[0]]} '{path[1]}': "
    if path and path[0] == "global_settings":
        return "global settings: "
    return ""


def _name_words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(key))
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def _only_env_references(text: str) -> bool:
    stripped = REFERENCE.sub(
        lambda m: "" if ENV_REFERENCE.match(m.group(1).strip()) else m.group(0), text
    )
    return stripped.strip() == ""


def _env_name(key: str) -> str:
    """The environment variable a hint suggests for a secret key: `db.password` -> DB_PASSWORD."""
    return re.sub(r"[^A-Za-z0-9]+", "_", str(key)).strip("_").upper() or "SECRET"
