"""Secrets and `${env:NAME}`: a literal password would be written into a generated file that is
committed, so it is refused — under a key that names a secret (TG601), inside a URL, a login
setting or a connection string (TG602), as the default of an `${env:...}` that reads a secret
(TG603). No message shows a secret. `${env:NAME}` is read when the job starts, so it may only
stand where the job reads a value at run time (TG112)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..load import ENV_REFERENCE, REFERENCE
from .context import SECTION_OF, Context

# Keys whose values the generated job may read from the environment when it starts
# (`${env:NAME}`); everything else must be known when the job is generated.
ENV_ALLOWED_KEYS = frozenset({"path", "filepath", "table", "description"})
ENV_ALLOWED_MAPS = frozenset({"options", "params", "spark_conf"})

# A key names a secret when its last word, or its last two or three words run together, ends
# with one of these: `password`, `sslpassword`, `db_password`, `keyStorePassword`,
# `aws_secret_access_key`, `fs.s3a.session.token`, `AccountKey`. Whole words only, so
# `tokenizer_path`, `key_column`, `password_column`, `max_tokens` and `secret_scope` are not
# secrets: what names a secret is the end of the key.
SECRET_TERMS = (
    "password",
    "passwords",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "credential",
    "credentials",
    "apikey",
    "apikeys",
    "accesskey",
    "secretkey",
    "privatekey",
    "privatekeyid",
    "accountkey",
    "encryptionkey",
    "signingkey",
    "masterkey",
    "keystorekey",
    "sharedaccesssignature",
)
# Hadoop's Azure keys name the account (or container) after the secret word:
# fs.azure.account.key.<account>.dfs.core.windows.net,
# fs.azure.account.oauth2.client.secret.<account>..., fs.azure.sas.<container>.<account>.blob...
ACCOUNT_SCOPED_SECRET = re.compile(
    r"(?:^|\.)fs\.azure\.(?:account\.key|account\.oauth2\.client\.secret|sas\.[^.]+)\."
    r"[^.]+\.(?:dfs|blob)\.",
    re.IGNORECASE,
)
# Query parameters that carry a secret only inside a URL: an Azure SAS signature.
URL_SECRET_PARAMS = frozenset({"sig"})

# Secrets written inside a longer value. `user:password@` in a URL (PostgreSQL, MySQL, ...);
# Oracle's `jdbc:oracle:thin:user/password@host`.
URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@?#]+:([^/\s@]+)@")
ORACLE_PASSWORD = re.compile(r"jdbc:oracle:[a-z0-9]+:[^/@:\s]+/([^@\s]+)@", re.IGNORECASE)
# `name=value` properties: a JDBC URL's query (`?user=app&password=...`) and SQL Server's
# `;password=...`, a JAAS config's `password="..."` / `clientSecret="..."`, libpq's
# `user=app password=...`, an Azure connection string's `AccountKey=...;SharedAccessSignature=`.
PROPERTY = re.compile(
    r"""(?:^|(?<=[?&;\s]))([A-Za-z][\w.\-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^;&\s"']*))"""
)
PEM_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
# Words dropped from a key when it becomes the name of an environment variable in a hint.
ENV_NAME_NOISE_PREFIX = ("spark", "hadoop", "fs", "kafka")
ENV_NAME_NOISE_SUFFIX = ("dfs", "blob", "core", "windows", "net")
# An `${env:...}` reference, masked while a value is searched for embedded secrets: one
# without a literal default stands for a value read at start; one with a literal default would
# write that default into the job.
_READ_AT_START = "\x00"
_LITERAL_DEFAULT = "\x01"

KIND_OF_SECTION = {section: kind for kind, section in SECTION_OF.items()}
# The sections whose entries may hold a secret or an `${env:...}`, in the order they are walked.
WALKED_SECTIONS = ("inputs", "outputs", "nodes", "pipelines")


def is_secret_key(key: Any) -> bool:
    """`password`, `db_password`, `kafka.sasl.token`, `spark...secret.key`,
    `spark.hadoop.fs.azure.account.key.<account>.dfs.core.windows.net`: yes; `max_tokens`,
    `token_column`, `tokenizer_path`, `key_column`: no."""
    words = _name_words(str(key))
    for n in (1, 2, 3):
        if len(words) >= n and "".join(words[-n:]).endswith(SECRET_TERMS):
            return True
    return bool(ACCOUNT_SCOPED_SECRET.search(str(key)))


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
    """A literal secret in config ends up in a generated file that is committed: refuse it
    under a key that names a secret (TG601), inside a URL or a login setting (TG602), and as
    the default of an `${env:...}` that reads a secret (TG603). No message shows the value."""

    def walk(value: Any, path: tuple, secret: bool) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,), is_secret_key(key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,), secret)
        elif secret and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            _check_secret_value(ctx, str(value), path)
        elif isinstance(value, str):
            _check_embedded_secret(ctx, value, path)

    for section in WALKED_SECTIONS:
        for name, entry in ctx.raw.sections[section].items():
            walk(entry, (section, name), False)
    walk(ctx.raw.global_settings, ("global_settings",), False)


def _check_secret_value(ctx: Context, text: str, path: tuple) -> None:
    """The value of a key that names a secret: only `${env:NAME}` without a literal default."""
    key = _key_of(path)
    masked = _mask_env(text)
    if not masked.strip():
        return
    literal = masked.replace(_READ_AT_START, "").replace(_LITERAL_DEFAULT, "").strip()
    if literal:
        ctx.report.error(
            "TG601",
            ctx.at(*path, value=True),
            f"{_owner(path)}'{key}' holds a literal secret; it would be written into the "
            "generated job",
            f"read it when the job starts: {key}: ${{env:{_env_name(key)}}}",
        )
    elif _LITERAL_DEFAULT in masked:
        _report_literal_default(ctx, path, key, text)


def _check_embedded_secret(ctx: Context, text: str, path: tuple) -> None:
    """A secret inside a longer value: a URL's password, a login setting, a private key; and
    an `${env:...}` with a literal default where it reads a secret."""
    masked = _mask_env(text)
    literal: list[_Embedded] = []
    defaults = False
    for found in _embedded_secrets(masked):
        value = masked[found.start : found.end]
        if value.replace(_READ_AT_START, "").replace(_LITERAL_DEFAULT, "").strip():
            literal.append(found)
        elif _LITERAL_DEFAULT in value:
            defaults = True
    for ref in _env_references(text):
        if ref.default and is_secret_key(ref.name) and not _only_env_references(ref.default):
            defaults = True
    if PEM_PRIVATE_KEY.search(text):
        ctx.report.error(
            "TG602",
            ctx.at(*path, value=True),
            f"{_owner(path)}'{_key_of(path)}' holds a literal private key; it would be written "
            "into the generated job",
            f"read it when the job starts: {_key_of(path)}: ${{env:{_env_name(_key_of(path))}}}",
        )
    elif literal:
        what = "password" if all(f.password for f in literal) else "secret"
        name = _embedded_env_name(text, literal[0])
        ctx.report.error(
            "TG602",
            ctx.at(*path, value=True),
            f"{_owner(path)}'{_key_of(path)}' holds {_what(text)} with a literal {what} "
            f"('{_shown(masked, literal)}'); it would be written into the generated job",
            f"put the {what} in an environment variable and write ${{env:{name}}} where "
            "'***' stands",
        )
    elif defaults:
        _report_literal_default(ctx, path, _key_of(path), text)
    # A default is written into the job when the variable is unset: it may not hide a secret.
    if not literal:
        for ref in _env_references(text):
            if ref.default and not defaults:
                _check_embedded_secret(ctx, ref.default, path)


def _report_literal_default(ctx: Context, path: tuple, key: str, text: str) -> None:
    if _env_refused_at(path):
        return  # no `${env:...}` may stand here: TG112 says so, with the default masked
    name = next(
        (r.name for r in _env_references(text) if not _only_env_references(r.default)), "NAME"
    )
    ctx.report.error(
        "TG603",
        ctx.at(*path, value=True),
        f"{_owner(path)}'{key}' reads a secret from ${{env:{name}:-***}} with a literal "
        "default; the default would be written into the generated job",
        f"drop the default and write ${{env:{name}}}: a job whose secret is not set stops at "
        "start and says which variable is missing",
    )


@dataclass(frozen=True)
class _Embedded:
    """A secret inside a longer value: where it stands and what names it (`password` for a
    URL's `user:password@`)."""

    start: int
    end: int
    name: str

    @property
    def password(self) -> bool:
        return any(word in self.name.lower() for word in ("pass", "pwd"))


def _embedded_secrets(masked: str) -> Iterator[_Embedded]:
    """The secrets written inside a (masked) value."""
    for pattern in (URL_PASSWORD, ORACLE_PASSWORD):
        for match in pattern.finditer(masked):
            yield _Embedded(*match.span(1), "password")
    for match in PROPERTY.finditer(masked):
        name = match.group(1)
        if is_secret_key(name) or (name.lower() in URL_SECRET_PARAMS and "?" in masked):
            group = next(g for g in (2, 3, 4) if match.group(g) is not None)
            if match.group(group):
                yield _Embedded(*match.span(group), name)


class _EnvReference:
    def __init__(self, match: re.Match):
        env = ENV_REFERENCE.match(match.group(1).strip())
        assert env is not None
        self.span = match.span()
        self.name = env.group(1)
        self.default = (env.group(2) or ":-")[2:]


def _env_references(text: str) -> list[_EnvReference]:
    return [
        _EnvReference(match)
        for match in REFERENCE.finditer(text)
        if ENV_REFERENCE.match(match.group(1).strip())
    ]


def _mask_env(text: str) -> str:
    """`text` with each `${env:...}` replaced by one marker: read at start, or with a literal
    default (which the job would contain)."""
    out, last = [], 0
    for ref in _env_references(text):
        out.append(text[last : ref.span[0]])
        literal = ref.default and not _only_env_references(ref.default)
        out.append(_LITERAL_DEFAULT if literal else _READ_AT_START)
        last = ref.span[1]
    out.append(text[last:])
    return "".join(out)


def _shown(masked: str, secrets: list[_Embedded]) -> str:
    """The value as a message may show it: every secret in it replaced by `***`."""
    out, last = [], 0
    for start, end in sorted({(s.start, s.end) for s in secrets}):
        if start < last:
            continue
        out.append(masked[last:start])
        out.append("***")
        last = end
    out.append(masked[last:])
    return "".join(out).replace(_READ_AT_START, "${env:...}").replace(_LITERAL_DEFAULT, "***")


def _what(text: str) -> str:
    if "LoginModule" in text:
        return "a login setting"
    if "://" in text or text.lower().startswith("jdbc:"):
        return "a URL"
    return "a connection setting"


def _embedded_env_name(text: str, secret: _Embedded) -> str:
    """The variable a hint suggests: DB_PASSWORD in a JDBC URL, SASL_PASSWORD in a JAAS login,
    ACCOUNT_KEY for an Azure connection string's AccountKey=."""
    prefix = "SASL_" if "LoginModule" in text else "DB_" if text.lower().startswith("jdbc:") else ""
    name = "SAS_TOKEN" if secret.name.lower() in URL_SECRET_PARAMS else _env_name(secret.name)
    return prefix + name


def _key_of(path: tuple) -> str:
    """The key a value is written under (the nearest one, for an item of a list)."""
    inside = path[1:] if path[:1] == ("global_settings",) else path[2:]
    return next((str(p) for p in reversed(inside) if isinstance(p, str)), "value")


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
                        f"cannot read '{_shown_reference(ref, key)}' at start-up",
                        "${env:...} works in path, table, options, params and spark_conf; "
                        "use a ${name} from global settings or an environment overlay here",
                    )
                    break

    for section in WALKED_SECTIONS:
        for name, entry in ctx.raw.sections[section].items():
            walk(entry, (section, name), ())
    settings = ctx.settings
    if "checkpoint_root" in settings:
        walk(
            settings["checkpoint_root"],
            ("global_settings", "checkpoint_root"),
            ("checkpoint_root",),
        )


def _shown_reference(ref: str, key: str) -> str:
    """`${env:NAME:-default}` as a message shows it: a default that may be a secret masked."""
    env = ENV_REFERENCE.match(ref)
    if env and env.group(2) and (is_secret_key(key) or is_secret_key(env.group(1))):
        return f"${{env:{env.group(1)}:-***}}"
    return f"${{{ref}}}"


def _env_refused_at(path: tuple) -> bool:
    """Whether `check_env_placement` refuses any `${env:...}` at `path`."""
    if path[:1] == ("global_settings",):
        return path[1:2] == ("checkpoint_root",)
    return not _env_allowed(path[0], path[2:])


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
    """The environment variable a hint suggests for a secret key: `db.password` -> DB_PASSWORD,
    `spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net` -> AZURE_ACCOUNT_KEY_ACCT."""
    words = _name_words(key)
    while len(words) > 2 and words[0] in ENV_NAME_NOISE_PREFIX:
        words = words[1:]
    while len(words) > 2 and words[-1] in ENV_NAME_NOISE_SUFFIX:
        words = words[:-1]
    return "_".join(words).upper() or "SECRET"
