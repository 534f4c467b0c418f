"""Shared fixtures: one in-process SparkSession for reading results (Spark honours the file
sink's commit log, so counts are exact even after a kill -9), and scratch copies of projects."""

from __future__ import annotations

import os

import pytest
from harness import LOG4J, PROJECTS, REPO, copy_project
from infra import cds


@pytest.fixture(scope="session")
def spark():
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("tauro-gen-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dlog4j2.configurationFile=file:{LOG4J} {cds.java_options()}",
        )
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture
def tutorial(tmp_path):
    """A scratch copy of the repository's example project (the seed tutorial)."""
    target = tmp_path / "tutorial"
    target.mkdir()
    for part in ("config", "src"):
        copy_project(REPO / part, target / part)
    return target


@pytest.fixture
def project(tmp_path):
    """Factory: a scratch copy of tests/projects/<name>."""

    def make(name: str):
        return copy_project(PROJECTS / name, tmp_path / name)

    return make
