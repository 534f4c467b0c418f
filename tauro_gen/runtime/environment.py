"""`${env:NAME}` references in a job's settings, filled from the environment at start."""

from __future__ import annotations

import os
import re

from .job import log


def env(template: str) -> str:
    """Fill ${env:NAME} and ${env:NAME:-default} from the environment."""
    reference = r"(?<!\$)\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}"
    filled = re.sub(reference, lambda m: os.getenv(m[1], m[2] or ""), template)
    return filled.replace("$${", "${")


def require_env(names: tuple[str, ...]) -> None:
    """Exit with status 2, before Spark starts, if a variable in `names` is not set."""
    missing = [name for name in names if name not in os.environ]
    if missing:
        log.error("environment variable(s) not set: %s", ", ".join(missing))
        raise SystemExit(2)
