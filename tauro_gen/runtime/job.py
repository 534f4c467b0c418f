"""The names every generated job defines itself and runtime pieces may use.

The template writes them at the top of each job, with the job's own values; here they
stand in, so that the pieces can be imported and tested as they are. The collector never
copies this module: a piece that imports a name from here uses the job's, and
`tauro_gen.jobcode` checks that the template defines each such name.
"""

from __future__ import annotations

import logging

from pyspark.sql import SparkSession

PIPELINE = "tauro-gen-runtime"
log = logging.getLogger(PIPELINE)


def build_spark_session() -> SparkSession:
    """In a job: its own session. Here: the session that already runs, if any."""
    return SparkSession.builder.getOrCreate()
