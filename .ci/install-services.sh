#!/usr/bin/env bash
# Install and pre-fetch what tests/infra needs (Kafka broker, PostgreSQL, Spark packages).
#
#   bash .ci/install-services.sh [VENV]      # VENV defaults to <repo>/.venv
#
# For a fresh Debian 12 machine, run as root. Idempotent: when everything is in place it only
# checks (a few seconds). Downloads go to <repo>/.cache (git-ignored):
#   .cache/m2                 Maven local repository (Kafka broker jars and their deps)
#   .cache/kafka/<ver>/libs   the broker's classpath; formatted-log-dir: KRaft log-dir template
#   .cache/ivy                Ivy cache used by spark-submit --packages (spark.jars.ivy)
#   .cache/cds                the JVM class-data archive the tests' Spark JVMs map
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$REPO/.venv}"
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
PY="$VENV/bin/python"
started=$SECONDS

log() { printf '[install-services] %s\n' "$*"; }

# 1. Debian packages: PostgreSQL server binaries, Java (Kafka 4 needs 17+), Maven, setpriv.
missing=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v setpriv >/dev/null || missing+=(util-linux)
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    log "need root to apt-get install: ${missing[*]}" >&2
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
getent passwd postgres >/dev/null || {
  log "no 'postgres' system user (it comes with the postgresql package)" >&2
  exit 1
}
log "postgres: $(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

# 2. Python clients into the venv.
if [ ! -x "$PY" ]; then
  log "no venv at $VENV (create it and install the project first)" >&2
  exit 1
fi
"$PY" -m pip install -q -r "$REPO/tests/infra/requirements.txt"
log "python clients: $("$PY" -c 'import confluent_kafka, psycopg; from importlib.metadata import version as v; print("confluent-kafka", v("confluent-kafka"), "/ psycopg", v("psycopg"))')"

# 3. Kafka broker jars from Maven Central (+ a one-time broker start that lays out the
#    formatted KRaft log-dir template).
cd "$REPO"
"$PY" -m tests.infra.kafka fetch

# 4. Ivy cache for spark-submit --packages (Kafka connector, PostgreSQL JDBC driver, Delta if
#    any release supports the installed Spark).
if "$PY" -c 'import pyspark' 2>/dev/null; then
  "$PY" -m tests.infra.jars
else
  log "pyspark not in $VENV: skipped warming the Ivy cache" >&2
fi

# 5. A JVM class-data-sharing archive for the suite's Spark JVMs (start-up ~9 s -> ~4.5 s;
#    tests/infra/cds.py), made once by a training run. Only speed depends on it.
if "$PY" -c 'import pyspark' 2>/dev/null; then
  "$PY" -m tests.infra.cds || log "no class-data archive (see above): tests run without it" >&2
fi

log "done in $((SECONDS - started))s"
