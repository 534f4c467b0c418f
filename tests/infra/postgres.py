"""A real, throw-away PostgreSQL server on 127.0.0.1, for tests.

Uses the Debian ``postgresql`` package's binaries (``/usr/lib/postgresql/<ver>/bin``, the
newest one; ``$TAURO_PG_BIN`` overrides). ``initdb`` runs into a fresh temporary folder and
``postgres`` listens on 127.0.0.1 on a free port, with its Unix socket in the same folder.
PostgreSQL refuses to run as root: when the tests run as root, the server runs as the
``postgres`` system user (created by the package) and the folder is given to it.

    with PostgresServer() as pg:
        pg.query("CREATE TABLE t (id int)")
        pg.query("INSERT INTO t VALUES (1)")
        assert pg.query("SELECT id FROM t") == [(1,)]
        pg.jdbc_url  # jdbc:postgresql://127.0.0.1:PORT/tauro

Queries use ``psycopg`` (3) over TCP with the test user's password, the same path JDBC uses.
The server gets SIGKILL if the Python process that started it dies (Linux, via setpriv).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


class PostgresError(RuntimeError):
    pass


def pg_bin_dir() -> Path:
    """Folder with initdb/postgres: ``$TAURO_PG_BIN`` or the newest /usr/lib/postgresql/*/bin."""
    override = os.environ.get("TAURO_PG_BIN")
    if override:
        return Path(override)
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (p for p in root.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)] or [0],
    )
    if not versions:
        found = shutil.which("initdb")
        if found:
            return Path(found).parent
        raise PostgresError(
            "PostgreSQL binaries not found: apt-get install -y postgresql "
            "(or run .ci/install-services.sh)"
        )
    return versions[-1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """Throw-away PostgreSQL cluster with one database and one password user."""

    def __init__(
        self,
        database: str = "tauro",
        user: str = "tauro",
        password: str = "tauro-secret",
        start_timeout: float = 60.0,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.database = database
        self.user = user
        self.password = password
        self.start_timeout = start_timeout
        self.settings = dict(settings or {})
        self.port: int | None = None
        self.workdir: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None
        self.bin = pg_bin_dir()
        self.version = self._server_version()

    # -- connection facts --------------------------------------------------------------------
    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://{self.host}:{self.port}/{self.database}"

    @property
    def dsn(self) -> str:
        """libpq connection string for the test user (password included)."""
        return (
            f"host={self.host} port={self.port} dbname={self.database} "
            f"user={self.user} password={self.password}"
        )

    @property
    def jdbc_properties(self) -> dict[str, str]:
        """Options for Spark's JDBC source/sink besides the url."""
        return {"user": self.user, "password": self.password, "driver": "org.postgresql.Driver"}

    @property
    def data_dir(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "data"

    @property
    def log_file(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "postgres.log"

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> PostgresServer:
        if self.proc is not None:
            return self
        t0 = time.monotonic()
        _sweep_stale_workdirs()
        self.workdir = Path(tempfile.mkdtemp(prefix="tauro-pg-"))
        (self.workdir / ".owner-pid").write_text(str(os.getpid()))
        try:
            self._give_to_server_user(self.workdir)
            self._initdb()
            last_error = ""
            for _attempt in range(3):  # a free port can be taken between probe and bind
                self.port = free_port()
                self._launch()
                try:
                    self._wait_ready(t0 + self.start_timeout)
                except PostgresError as exc:
                    last_error = str(exc)
                    self._kill()
                    if "Address already in use" in last_error:
                        continue
                    raise
                break
            else:
                raise PostgresError(f"PostgreSQL did not start: {last_error}")
            self._create_user_and_database()
            self.startup_seconds = time.monotonic() - t0
            return self
        except BaseException:
            self._kill(0)
            self._cleanup_dir()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """Fast shutdown (SIGINT), SIGKILL after ``timeout``; delete the cluster."""
        self._kill(timeout)
        self._cleanup_dir()

    def __enter__(self) -> PostgresServer:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:  # last resort; stop() is the way
        with contextlib.suppress(Exception):
            self._kill(0)

    # -- queries ----------------------------------------------------------------------------
    def query(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run one statement as the test user (autocommit); rows it returns, else ``[]``."""
        return self._run(self.dsn, sql, params)

    def query_as_superuser(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one statement as the ``postgres`` superuser over the Unix socket."""
        return self._run(self._superuser_dsn(self.database), sql, None)

    # -- internals --------------------------------------------------------------------------
    def _run(self, dsn: str, sql: str, params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with (
            psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn,
            conn.cursor() as cur,
        ):
            cur.execute(sql, params)
            if cur.description is None:
                return []
            return [tuple(row) for row in cur.fetchall()]

    def _superuser_dsn(self, dbname: str) -> str:
        assert self.workdir is not None
        return f"host={self.workdir} port={self.port} dbname={dbname} user=postgres"

    def _server_version(self) -> str:
        out = subprocess.run(
            [str(self.bin / "postgres"), "--version"],
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        ).stdout
        m = re.search(r"(\d+(?:\.\d+)*)", out)
        return m.group(1) if m else "unknown"

    def _run_as(self) -> list[str]:
        """Command prefix: drop root to the ``postgres`` user; die with this process."""
        prefix: list[str] = []
        setpriv = shutil.which("setpriv")
        if os.geteuid() == 0:
            if setpriv is None:
                raise PostgresError(
                    "running as root needs setpriv (util-linux) to drop to postgres"
                )
            prefix = [setpriv, "--reuid=postgres", "--regid=postgres", "--init-groups"]
        elif setpriv is not None:
            prefix = [setpriv]
        if prefix and sys.platform.startswith("linux"):
            prefix += ["--pdeathsig", "KILL"]
        return [*prefix, "--"] if prefix else []

    def _give_to_server_user(self, path: Path) -> None:
        if os.geteuid() != 0:
            return
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise PostgresError("no 'postgres' system user: apt-get install -y postgresql") from exc
        os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(path, 0o700)
        # The server user must be able to reach the folder (tempdir under /root would not do).
        probe = subprocess.run(
            [*self._run_as(), "test", "-w", str(path)], check=False, capture_output=True
        )
        if probe.returncode != 0:
            raise PostgresError(f"user postgres cannot reach {path}; set TMPDIR to e.g. /tmp")

    def _initdb(self) -> None:
        cmd = [
            *self._run_as(),
            str(self.bin / "initdb"),
            "-D",
            str(self.data_dir),
            "--username=postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]
        proc = subprocess.run(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            cwd="/",
            timeout=120,
        )
        if proc.returncode != 0:
            raise PostgresError(f"initdb failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}")

    def _launch(self) -> None:
        assert self.workdir is not None
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.workdir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "32MB",
            "max_connections": "50",
            "logging_collector": "off",
            "log_min_messages": "warning",
        }
        settings.update(self.settings)
        cmd = [*self._run_as(), str(self.bin / "postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        log = open(self.log_file, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd="/",
                start_new_session=True,
            )
        finally:
            log.close()
        _LIVE.add(self)

    def _wait_ready(self, deadline: float) -> None:
        import psycopg

        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise PostgresError(f"postgres exited early:\n{self._tail_log()}")
            try:
                with psycopg.connect(self._superuser_dsn("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                time.sleep(0.05)
        raise PostgresError(f"postgres not ready in {self.start_timeout}s:\n{self._tail_log()}")

    def _create_user_and_database(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self._superuser_dsn("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(self.user), sql.Literal(self.password)
                )
            )
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(self.database), sql.Identifier(self.user)
                )
            )

    def _tail_log(self, chars: int = 4000) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _kill(self, timeout: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        _LIVE.discard(self)
        if proc is None or proc.poll() is not None:
            return
        # SIGINT = "fast" shutdown: roll back open transactions, checkpoint-free for a temp dir.
        sig = signal.SIGINT if timeout > 0 else signal.SIGKILL
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=max(timeout, 1))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def _cleanup_dir(self) -> None:
        if self.workdir is not None and not os.environ.get("TAURO_KEEP_PG_DATA"):
            shutil.rmtree(self.workdir, ignore_errors=True)


def _sweep_stale_workdirs() -> None:
    """Delete work folders left by test processes that died (SIGKILL) before cleaning up."""
    for path in Path(tempfile.gettempdir()).glob("tauro-pg-*"):
        try:
            pid = int((path / ".owner-pid").read_text())
        except (OSError, ValueError):
            continue
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)


_LIVE: set[PostgresServer] = set()


@atexit.register
def _kill_all() -> None:
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server.stop(timeout=5)


if __name__ == "__main__":  # pragma: no cover - manual check
    with PostgresServer() as pg:
        print(f"postgres {pg.version} up at {pg.jdbc_url} in {pg.startup_seconds:.2f}s")
        print(pg.query("SELECT version()")[0][0])
