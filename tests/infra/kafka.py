"""A real single-node Apache Kafka broker (KRaft mode) on 127.0.0.1, for tests.

The broker runs from the ``org.apache.kafka:kafka_2.13`` jar and its runtime dependencies,
fetched from Maven Central by ``mvn dependency:copy-dependencies`` into
``<repo>/.cache/kafka/<version>/libs`` (local Maven repository: ``<repo>/.cache/m2``).
No Kafka distribution tarball is used: ``kafka.tools.StorageTool format`` and ``kafka.Kafka``
are started with ``java -cp``.

Produce, consume and admin calls go through ``confluent-kafka`` (librdkafka).

    with KafkaBroker() as kafka:
        kafka.create_topic("events", partitions=2)
        kafka.produce("events", ["a", "b"], keys=["k1", "k2"])
        assert len(kafka.consume("events")) == 2

The JVM is killed on ``stop()``/exit of the ``with`` block, at interpreter exit, and (Linux)
when the Python process that started it dies, even by SIGKILL.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from . import CACHE_DIR

KAFKA_VERSION = os.environ.get("TAURO_KAFKA_VERSION", "4.1.1")
KAFKA_SCALA = "2.13"
# Kafka logs through SLF4J 1.7; bind it to the log4j2 that kafka_2.13 already brings.
LOG4J_VERSION = "2.24.3"
M2_REPO = CACHE_DIR / "m2"

_POM = """\
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.tauro.tests</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_{scala}</artifactId>
      <version>{version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
</project>
"""

_LOG4J2 = """\
status = error
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
logger.kafka.name = kafka
logger.kafka.level = info
logger.apache.name = org.apache
logger.apache.level = warn
logger.controller.name = org.apache.kafka.controller
logger.controller.level = warn
logger.raft.name = org.apache.kafka.raft
logger.raft.level = warn
"""

_JVM_OPTS = [
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xshare:auto",
    "-Djava.awt.headless=true",
    "-Djava.net.preferIPv4Stack=true",
]


# Settings whose change makes a cached formatted log dir wrong.
_FORMAT_KEYS = {
    "node.id",
    "log.dirs",
    "metadata.log.dir",
    "process.roles",
    "controller.quorum.voters",
}


class KafkaError(RuntimeError):
    pass


def _storage_format(jvm: list[str], config: Path) -> None:
    cmd = [*jvm, "kafka.tools.StorageTool", "format", "--ignore-formatted"]
    cmd += ["-t", _random_cluster_id(), "-c", str(config)]
    proc = subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, timeout=120
    )
    if proc.returncode != 0:
        raise KafkaError(f"kafka StorageTool format failed:\n{proc.stdout[-4000:]}")


def kafka_home(version: str = KAFKA_VERSION) -> Path:
    return CACHE_DIR / "kafka" / version


def ensure_kafka_jars(version: str = KAFKA_VERSION) -> Path:
    """Fetch the broker's classpath from Maven Central once; return the folder of jars."""
    home = kafka_home(version)
    libs = home / "libs"
    done = home / ".complete"
    if done.exists():
        return libs
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KafkaError(
                "mvn (Maven) is needed to fetch the Kafka jars; run .ci/install-services.sh"
            )
        (home / "pom.xml").write_text(
            _POM.format(scala=KAFKA_SCALA, version=version, log4j=LOG4J_VERSION)
        )
        shutil.rmtree(libs, ignore_errors=True)
        proc = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                f"-Dmaven.repo.local={M2_REPO}",
                "-f",
                str(home / "pom.xml"),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={libs}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if proc.returncode != 0 or not any(libs.glob(f"kafka_{KAFKA_SCALA}-*.jar")):
            raise KafkaError(f"mvn could not fetch Kafka {version}:\n{proc.stdout[-4000:]}")
        done.write_text(version + "\n")
    return libs


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent_prefix() -> list[str]:
    """Command prefix that makes the child get SIGKILL when this process dies (Linux).

    ``setpriv --pdeathsig KILL`` (util-linux) sets PR_SET_PDEATHSIG and execs the command, so
    no Python code runs in the forked child. Empty where setpriv is missing.
    """
    setpriv = shutil.which("setpriv")
    if setpriv and sys.platform.startswith("linux"):
        return [setpriv, "--pdeathsig", "KILL", "--"]
    return []


def _random_cluster_id() -> str:
    # Kafka's Uuid.randomUuid(): URL-safe base64 of 16 random bytes, never starting with "-".
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise KafkaError("java not found (Java 17+ is needed for Kafka 4)")
    return java


class KafkaBroker:
    """Single-node Kafka (combined broker + controller) on 127.0.0.1, on free ports."""

    def __init__(
        self,
        version: str = KAFKA_VERSION,
        start_timeout: float = 60.0,
        extra_config: dict[str, str] | None = None,
    ) -> None:
        self.version = version
        self.start_timeout = start_timeout
        self.extra_config = dict(extra_config or {})
        self.port: int | None = None
        self.controller_port: int | None = None
        self.workdir: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None
        self._admin = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise KafkaError("broker not started")
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "server.log"

    def start(self) -> KafkaBroker:
        if self.proc is not None:
            return self
        t0 = time.monotonic()
        _sweep_stale_workdirs()
        libs = ensure_kafka_jars(self.version)
        self.workdir = Path(tempfile.mkdtemp(prefix="tauro-kafka-"))
        (self.workdir / ".owner-pid").write_text(str(os.getpid()))
        log4j2 = self.workdir / "log4j2.properties"
        log4j2.write_text(_LOG4J2.format(log_file=self.log_file))
        jvm = [_java(), *_JVM_OPTS, f"-Dlog4j2.configurationFile=file:{log4j2}"]
        jvm += [f"-Dkafka.logs.dir={self.workdir}", "-cp", f"{libs}/*"]
        last_error = ""
        try:
            for _attempt in range(3):  # a free port can be taken between probe and bind
                self.port, self.controller_port = free_port(), free_port()
                if self.port == self.controller_port:
                    continue
                config = self._write_config()
                self._format(jvm, config)
                self._launch(jvm, config)
                try:
                    self._wait_ready(t0 + self.start_timeout)
                except KafkaError as exc:
                    last_error = str(exc)
                    self._kill()
                    if "Address already in use" in last_error:
                        shutil.rmtree(self.workdir / "data", ignore_errors=True)
                        continue
                    raise
                self.startup_seconds = time.monotonic() - t0
                return self
            raise KafkaError(f"Kafka broker did not start: {last_error}")
        except BaseException:
            self._kill(0)
            self._cleanup_dir()
            raise

    def _launch(self, jvm: list[str], config: Path) -> None:
        assert self.workdir is not None
        with open(self.workdir / "console.log", "wb") as console:
            self.proc = subprocess.Popen(
                [*die_with_parent_prefix(), *jvm, "kafka.Kafka", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,
            )
        _LIVE.add(self)

    def _format(self, jvm: list[str], config: Path) -> None:
        """Lay out the KRaft log dir: a copy of a per-version formatted template (saves a JVM
        start, ~2 s), or a real ``StorageTool format`` when extra_config touches storage."""
        assert self.workdir is not None
        data = self.workdir / "data"
        if _FORMAT_KEYS & set(self.extra_config):
            _storage_format(jvm, config)
            return
        template = kafka_home(self.version) / "formatted-log-dir"
        if not (template / ".complete").exists():
            with open(kafka_home(self.version) / ".lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not (template / ".complete").exists():
                    shutil.rmtree(template, ignore_errors=True)
                    tmp_config = self.workdir / "template.properties"
                    tmp_config.write_text(
                        config.read_text().replace(f"log.dirs={data}", f"log.dirs={template}")
                    )
                    _storage_format(jvm, tmp_config)
                    (template / ".complete").write_text(self.version + "\n")
        shutil.copytree(template, data, ignore=shutil.ignore_patterns(".complete"))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout``) and delete its data."""
        if self._admin is not None:
            self._admin = None
        self._kill(timeout)
        self._cleanup_dir()

    def __enter__(self) -> KafkaBroker:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:  # last resort; stop() is the way
        with contextlib.suppress(Exception):
            self._kill(0)

    def _kill(self, timeout: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        _LIVE.discard(self)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)

    def _cleanup_dir(self) -> None:
        if self.workdir is not None and not os.environ.get("TAURO_KEEP_KAFKA_LOGS"):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _write_config(self) -> Path:
        assert self.workdir is not None
        data = self.workdir / "data"
        config = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(data),
            "num.partitions": "1",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
            "num.network.threads": "2",
            "num.io.threads": "2",
            "background.threads": "2",
            "log.flush.interval.messages": "9223372036854775807",
        }
        config.update(self.extra_config)
        path = self.workdir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in config.items()))
        return path

    def _wait_ready(self, deadline: float) -> None:
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient

        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise KafkaError(f"Kafka broker exited early:\n{self._tail_logs()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.1)
                continue
            with contextlib.suppress(KafkaException):
                admin = AdminClient(self._client_conf())
                if admin.list_topics(timeout=5).brokers:
                    self._admin = admin
                    return
            time.sleep(0.1)
        raise KafkaError(f"Kafka broker not ready in {self.start_timeout}s:\n{self._tail_logs()}")

    def _tail_logs(self, chars: int = 4000) -> str:
        out = []
        if self.workdir is None:
            return ""
        for name in ("console.log", "server.log"):
            p = self.workdir / name
            if p.exists():
                out.append(f"--- {name}\n" + p.read_text(errors="replace")[-chars:])
        return "\n".join(out)

    # -- clients ---------------------------------------------------------------------------
    def _client_conf(self, **extra: object) -> dict[str, object]:
        conf: dict[str, object] = {
            "bootstrap.servers": self.bootstrap,
            "broker.address.family": "v4",
            "log_level": 3,
        }
        conf.update(extra)
        return conf

    def admin(self):
        from confluent_kafka.admin import AdminClient

        if self._admin is None:
            self._admin = AdminClient(self._client_conf())
        return self._admin

    def create_topic(self, name: str, partitions: int = 1, timeout: float = 30.0) -> None:
        """Create a topic (replication factor 1) and wait until every partition has a leader."""
        from confluent_kafka.admin import NewTopic

        futures = self.admin().create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1)],
            operation_timeout=timeout,
        )
        futures[name].result(timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            md = self.admin().list_topics(topic=name, timeout=5).topics.get(name)
            if (
                md is not None
                and md.error is None
                and len(md.partitions) == partitions
                and all(p.leader >= 0 for p in md.partitions.values())
            ):
                return
            time.sleep(0.1)
        raise KafkaError(f"topic {name} has no leader after {timeout}s")

    def list_topics(self) -> list[str]:
        topics = self.admin().list_topics(timeout=10).topics
        return sorted(t for t in topics if not t.startswith("__"))

    def produce(
        self,
        topic: str,
        values: list[bytes | str],
        keys: list[bytes | str | None] | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Produce ``values`` (with ``keys``, same length, if given); wait for every ack."""
        from confluent_kafka import Producer

        if keys is not None and len(keys) != len(values):
            raise ValueError("keys and values differ in length")
        errors: list[str] = []

        def on_delivery(err, _msg) -> None:
            if err is not None:
                errors.append(str(err))

        producer = Producer(self._client_conf(**{"acks": "all", "linger.ms": 0}))
        for i, value in enumerate(values):
            key = keys[i] if keys is not None else None
            producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
            producer.poll(0)
        remaining = producer.flush(timeout)
        if remaining or errors:
            raise KafkaError(f"produce to {topic}: {remaining} unacked, errors: {errors}")

    def consume(self, topic: str, timeout: float = 30.0) -> list[tuple[bytes | None, bytes | None]]:
        """Every message of ``topic`` present now, from the beginning of all partitions.

        Returns ``(key, value)`` pairs in partition order, then offset order. Reads until each
        partition reaches the high watermark seen at the call (or ``timeout`` runs out).
        """
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        md = self.admin().list_topics(topic=topic, timeout=10).topics.get(topic)
        if md is None or md.error is not None:
            raise KafkaError(f"no topic {topic}: {md.error if md else 'missing'}")
        consumer = Consumer(
            self._client_conf(
                **{
                    "group.id": f"tauro-test-{uuid.uuid4().hex}",
                    "enable.auto.commit": False,
                    "auto.offset.reset": "earliest",
                    "enable.partition.eof": False,
                }
            )
        )
        try:
            targets: dict[int, int] = {}
            for pid in sorted(md.partitions):
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(topic, pid), timeout=10, cached=False
                )
                if high > low:
                    targets[pid] = high
            if not targets:
                return []
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in targets])
            got: dict[int, list[tuple[int, bytes | None, bytes | None]]] = {p: [] for p in targets}
            done: set[int] = set()
            deadline = time.monotonic() + timeout
            while len(done) < len(targets) and time.monotonic() < deadline:
                msg = consumer.poll(0.2)
                if msg is None:
                    continue
                if msg.error():
                    raise KafkaError(f"consume {topic}: {msg.error()}")
                pid = msg.partition()
                got[pid].append((msg.offset(), msg.key(), msg.value()))
                if msg.offset() + 1 >= targets[pid]:
                    done.add(pid)
            if len(done) < len(targets):
                have = {p: len(v) for p, v in got.items()}
                raise KafkaError(f"consume {topic}: timed out; got {have}, wanted up to {targets}")
            return [(k, v) for p in sorted(got) for _off, k, v in sorted(got[p])]
        finally:
            consumer.close()


def _sweep_stale_workdirs() -> None:
    """Delete work folders left by test processes that died (SIGKILL) before cleaning up."""
    for path in Path(tempfile.gettempdir()).glob("tauro-kafka-*"):
        try:
            pid = int((path / ".owner-pid").read_text())
        except (OSError, ValueError):
            continue
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)


_LIVE: set[KafkaBroker] = set()


@atexit.register
def _kill_all() -> None:
    for broker in list(_LIVE):
        with contextlib.suppress(Exception):
            broker.stop(timeout=5)


if __name__ == "__main__":  # pragma: no cover - used by .ci/install-services.sh
    if sys.argv[1:] == ["fetch"]:
        print(f"kafka {KAFKA_VERSION}: jars in {ensure_kafka_jars()}")
        if not (kafka_home() / "formatted-log-dir" / ".complete").exists():
            with KafkaBroker() as broker:  # also lays out the formatted log-dir template
                print(f"kafka {KAFKA_VERSION}: test start at {broker.bootstrap} ok")
    else:
        with KafkaBroker() as broker:
            print(
                f"kafka {KAFKA_VERSION} up at {broker.bootstrap} in {broker.startup_seconds:.2f}s"
            )
