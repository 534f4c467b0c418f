"""Real external systems for end-to-end tests of generated PySpark jobs.

Nothing here is mocked: ``KafkaBroker`` runs an Apache Kafka broker (KRaft mode) from jars
fetched from Maven Central, ``PostgresServer`` runs Debian's PostgreSQL binaries, and
``jars.spark_submit_args`` gives the spark-submit arguments that resolve Spark connector
packages through an Ivy cache kept in the repo's ``.cache/`` folder.

Everything downloaded lives under ``<repo>/.cache`` (git-ignored). ``.ci/install-services.sh``
installs and pre-fetches it all on a fresh machine.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".cache"

__all__ = ["CACHE_DIR", "REPO_ROOT"]
