#!/usr/bin/env bash
# Everything the test suite needs (venv, PostgreSQL, Kafka and connector jars), then pytest.
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -k tutorial
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash .ci/install-services.sh .venv
# Two workers, whole files each (a file's module fixtures - a Kafka broker, PostgreSQL - stay
# in one worker): most of a Spark test is waiting on a JVM or a trigger, so two overlap well
# even on two cores. TEST_WORKERS=0 runs everything in this process.
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist loadfile "$@"
