#!/usr/bin/env bash
# Everything the test suite needs (venv, PostgreSQL, Kafka and connector jars), then pytest.
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -k tutorial
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash .ci/install-services.sh .venv
exec .venv/bin/python -m pytest "$@"
