"""Connector coordinates for tests: the generator's own (tauro_gen.packages), so tests use
exactly what a build prints."""

from __future__ import annotations

from tauro_gen import packages

DELTA_CONFS = dict(packages.DELTA_CONF)


def kafka_package() -> str:
    return packages.kafka()


def delta_packages() -> list[str]:
    return [packages.delta()]


def postgres_jdbc_package() -> str:
    return packages.JDBC_DRIVERS["postgresql"][0]


def delta_conf_args() -> list[str]:
    """`--conf` arguments that turn Delta Lake on in a session."""
    return [arg for key, value in packages.DELTA_CONF for arg in ("--conf", f"{key}={value}")]
