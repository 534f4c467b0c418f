#!/usr/bin/env bash
# The tutorial, end to end: build the example pipeline, run the generated job with
# spark-submit, drop the tutorial's two CSV files in, show the output, stop with SIGINT.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
