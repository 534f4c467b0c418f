"""tauro_gen.runtime.partitions.size_shuffle_partitions: one shuffle partition per core
when nothing sets the number, untouched when something does.

The local branch runs on the shared in-process session (its setting is restored); the
cluster branches are decisions over a SparkConf, so they run on a stand-in session that
carries a real SparkConf and a master URL, with no cluster."""

from __future__ import annotations

import logging

import pytest
from pyspark import SparkConf

from tauro_gen.runtime.partitions import size_shuffle_partitions

pytestmark = pytest.mark.spark

KEY = "spark.sql.shuffle.partitions"


class _Conf:
    """The runtime config of a session: what spark.conf offers the function."""

    def __init__(self, values: dict[str, str]):
        self.values = dict(values)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value


class _Context:
    def __init__(self, master: str, conf: SparkConf, default_parallelism: int = 1):
        self.master = master
        self._conf = conf
        self.defaultParallelism = default_parallelism

    def getConf(self) -> SparkConf:  # noqa: N802 - SparkContext's name
        return self._conf


class _Session:
    def __init__(self, master: str, pairs: dict[str, str], sql: dict[str, str] | None = None):
        conf = SparkConf(loadDefaults=False).setAll(list(pairs.items()))
        self.sparkContext = _Context(master, conf)
        self.conf = _Conf(sql or {})


@pytest.fixture
def unset_shuffle_partitions(spark):
    before = spark.conf.get(KEY)
    spark.conf.unset(KEY)
    yield spark
    spark.conf.set(KEY, before)


def test_unset_on_local_n_becomes_the_local_cores(unset_shuffle_partitions, caplog):
    spark = unset_shuffle_partitions
    assert spark.conf.get(KEY, None) is None
    with caplog.at_level(logging.INFO):
        size_shuffle_partitions(spark)
    assert spark.conf.get(KEY) == str(spark.sparkContext.defaultParallelism) == "2"
    assert "shuffle partitions for new checkpoints: 2 (local[2])" in caplog.messages


def test_a_set_value_is_left_untouched(spark, caplog):
    before = spark.conf.get(KEY)
    spark.conf.set(KEY, "7")
    try:
        with caplog.at_level(logging.INFO):
            size_shuffle_partitions(spark)
        assert spark.conf.get(KEY) == "7"
        assert caplog.messages == []
    finally:
        spark.conf.set(KEY, before)


@pytest.mark.parametrize(
    ("master", "pairs", "expected"),
    [
        ("yarn", {"spark.default.parallelism": "12", "spark.cores.max": "4"}, "12"),
        ("spark://m:7077", {"spark.cores.max": "16"}, "16"),
        ("yarn", {"spark.executor.instances": "3", "spark.executor.cores": "4"}, "12"),
        ("yarn", {"spark.executor.instances": "5"}, "5"),  # executor cores default to 1
        (
            "k8s://https://h",
            {
                "spark.dynamicAllocation.enabled": "false",
                "spark.executor.instances": "2",
                "spark.executor.cores": "3",
            },
            "6",
        ),
    ],
)
def test_a_cluster_with_known_cores_gets_one_partition_per_core(master, pairs, expected):
    session = _Session(master, pairs)
    size_shuffle_partitions(session)
    assert session.conf.get(KEY) == expected


@pytest.mark.parametrize(
    "pairs",
    [
        {},  # executors register after start: unknown now
        {"spark.dynamicAllocation.enabled": "true", "spark.executor.instances": "3"},
        {"spark.dynamicAllocation.enabled": "TRUE", "spark.executor.instances": "3"},
    ],
)
def test_a_cluster_of_unknown_or_changing_size_keeps_spark_s_default(pairs):
    session = _Session("yarn", pairs)
    size_shuffle_partitions(session)
    assert session.conf.get(KEY) is None


def test_a_cluster_default_in_the_session_conf_wins():
    session = _Session("yarn", {"spark.cores.max": "16"}, sql={KEY: "40"})
    size_shuffle_partitions(session)
    assert session.conf.get(KEY) == "40"


class _ConnectSession:
    """Spark Connect's session: no SparkContext at all."""

    def __init__(self):
        self.conf = _Conf({})

    @property
    def sparkContext(self):  # noqa: N802 - SparkSession's name
        from pyspark.errors import PySparkAttributeError

        raise PySparkAttributeError(
            errorClass="JVM_ATTRIBUTE_NOT_SUPPORTED",
            messageParameters={"attr_name": "sparkContext"},
        )


def test_over_spark_connect_the_server_s_setting_applies():
    session = _ConnectSession()
    size_shuffle_partitions(session)
    assert session.conf.get(KEY) is None
