"""A throwaway PostgreSQL server for tests, and a TCP proxy that can cut the network in front of it.

`PostgresServer` runs initdb into a fresh temporary directory and starts `postgres` on 127.0.0.1 only, on a free
port, with its unix socket inside that directory: nothing on the machine is touched and nothing outlives `close()`.
Authentication is `trust` (for 127.0.0.1 and the private socket only): tests need no passwords, and a password in a
URL is accepted and ignored. The superuser is `postgres` whoever runs the tests.

initdb and postgres refuse to run as root. When the tests run as root (CI containers often do), every server
command runs as the `postgres` system user through `runuser`, the user is created if missing, and the temporary
directory is made with `tempfile.mkdtemp` (not pytest's tmp_path, which is 0700 under root) and handed to it.

`secure(certificates, password_roles)` turns TLS on (a throwaway CA from `make_certificates`, a server certificate for
127.0.0.1) and makes the named roles sign in with a password (scram-sha-256); everyone else stays on trust.

`TcpCut` is a proxy on 127.0.0.1 whose `cut()` simulates losing the network: connections are closed at once
(`cut()`) or go silent with their bytes held (`cut(stall=True)`), until `heal()`.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple, Self
from urllib.parse import urlsplit, urlunsplit

SUPERUSER = "postgres"
RUN_AS = "postgres"  # the system user that runs initdb and postgres when the tests run as root
BINARIES = ("initdb", "pg_ctl", "postgres")

# Appended to postgresql.conf after initdb; the port is given on pg_ctl's command line at each start.
SETTINGS = """
# ---- tests/shared_journal/pg.py ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
max_connections = 100
shared_buffers = 16MB
timezone = 'UTC'
log_timezone = 'UTC'
log_min_messages = warning
log_connections = off
"""

HBA = """\
# tests/shared_journal/pg.py: trust, and only from the private socket and 127.0.0.1
local all all trust
host  all all 127.0.0.1/32 trust
"""


def find_bindir() -> Path | None:
    """Where initdb, pg_ctl and postgres live: on PATH, else Debian's newest /usr/lib/postgresql/<major>/bin."""
    initdb = shutil.which("initdb")
    if initdb:
        bindir = Path(initdb).resolve().parent  # Debian's /usr/local/bin symlinks lead to the real bindir
        if all((bindir / name).is_file() for name in BINARIES):
            return bindir
    majors = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: _major(p.parent.parent.name))
    for initdb in reversed(majors):
        if all((initdb.parent / name).is_file() for name in BINARIES):
            return initdb.parent
    return None


def _major(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


def free_port() -> int:
    """A port nobody listens on right now (the kernel's choice); `PostgresServer.start` retries if it is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_sql(url: str, *statements: str) -> None:
    """Run statements with asyncpg on a thread of its own: callable with or without a running event loop."""

    async def execute() -> None:
        import asyncpg

        connection = await asyncpg.connect(url, timeout=30)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    _run_coroutine(execute())


def _run_coroutine(coroutine: Coroutine[Any, Any, Any]) -> Any:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class PostgresServer:
    """One private PostgreSQL cluster: `start()`, `stop()`, `restart()`, `kill()`, then `close()` removes it all.

    The port stays the same across restarts, so URLs taken before a restart work again after it.
    """

    def __init__(self, bindir: Path | None = None, name: str = "warroom-pg") -> None:
        bindir = bindir or find_bindir()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL server binaries not found (initdb on PATH or /usr/lib/postgresql)")
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        if self.as_root:
            _ensure_system_user(RUN_AS)
        self.base = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        self.data_dir = self.base / "data"
        self.log_path = self.base / "postgres.log"
        self.port = 0
        self.running = False
        self._databases = 0
        try:
            if self.as_root:
                shutil.chown(self.base, RUN_AS, RUN_AS)
                self._check_run_as_can_write()
            self._initdb()
        except BaseException:
            shutil.rmtree(self.base, ignore_errors=True)
            raise
        atexit.register(self.close)  # a crashed or interrupted session still leaves no server behind

    def __enter__(self) -> Self:
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start and wait until it accepts connections; the first start picks a free port (retried if taken)."""
        if self.running:
            return
        attempts = 1 if self.port else 5
        for attempt in range(attempts):
            port = self.port or free_port()
            started = self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log_path), "-o", f"-p {port}", check=False)
            if started.returncode == 0:
                self.port, self.running = port, True
                return
            if attempt + 1 < attempts and "could not bind" in self.log_tail():
                continue
            raise RuntimeError(f"postgres did not start on port {port}:\n{started.stdout}{self.log_tail()}")

    def stop(self) -> None:
        """A fast shutdown (clients are disconnected, work is checkpointed): a database restart, as a DBA does it."""
        self._shutdown("fast")

    def kill(self) -> None:
        """An immediate shutdown: no checkpoint, crash recovery at the next start, as after a power cut."""
        self._shutdown("immediate")

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server if it runs and remove its directory. Safe to call twice."""
        atexit.unregister(self.close)
        if self.running:
            try:
                self.kill()
            except (RuntimeError, OSError):
                pass
        shutil.rmtree(self.base, ignore_errors=True)

    # ---- URLs and databases ------------------------------------------------------------------------------------

    def url(self, user: str = SUPERUSER, dbname: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    @property
    def superuser_url(self) -> str:
        return self.url()

    def execute(self, *statements: str, dbname: str = "postgres") -> None:
        """Run SQL as the superuser, e.g. to create roles or break things on purpose."""
        run_sql(self.url(dbname=dbname), *statements)

    def create_database(self, name: str | None = None) -> str:
        """A new empty database (named `name`, or `db<n>`), returning its superuser URL."""
        self._databases += 1
        name = name or f"db{self._databases}"
        self.execute(f"CREATE DATABASE {_identifier(name)}")
        return self.url(dbname=name)

    def drop_database(self, name: str) -> None:
        """Drop it even if clients are still connected (they are disconnected)."""
        self.execute(f"DROP DATABASE IF EXISTS {_identifier(name)} WITH (FORCE)")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        except OSError:
            return ""

    def secure(self, certificates: Certificates, password_roles: tuple[str, ...] = ()) -> None:
        """TLS on with this certificate; the named roles must give their password (then a restart)."""
        for source, name in ((certificates.cert, "server.crt"), (certificates.key, "server.key")):
            target = self.data_dir / name
            shutil.copyfile(source, target)
            target.chmod(0o600)
            if self.as_root:
                shutil.chown(target, RUN_AS, RUN_AS)
        config = self.data_dir / "postgresql.conf"
        config.write_text(config.read_text() + "ssl = on\npassword_encryption = 'scram-sha-256'\n")
        passwords = "".join(f"host  all {_identifier(role)} 127.0.0.1/32 scram-sha-256\n" for role in password_roles)
        (self.data_dir / "pg_hba.conf").write_text(HBA.replace("host  all all", passwords + "host  all all"))
        if self.running:
            self.restart()

    # ---- internals ---------------------------------------------------------------------------------------------

    def _initdb(self) -> None:
        self._run(
            self.bindir / "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust",
            "--no-locale", "--encoding=UTF8", "--no-sync",
        )  # fmt: skip
        config = self.data_dir / "postgresql.conf"
        config.write_text(config.read_text() + SETTINGS.format(socket_dir=self.base))
        (self.data_dir / "pg_hba.conf").write_text(HBA)

    def _shutdown(self, mode: str) -> None:
        if not self.running:
            return
        self._pg_ctl("stop", "-w", "-t", "60", "-m", mode)
        self.running = False

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run(self.bindir / "pg_ctl", "-D", str(self.data_dir), *args, check=check)

    def _run(self, program: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(program), *args]
        if self.as_root:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        done = subprocess.run(
            command, cwd=self.base, env=_clean_env(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise RuntimeError(f"{program.name} {' '.join(args)} failed:\n{done.stdout}{self.log_tail()}")
        return done

    def _check_run_as_can_write(self) -> None:
        probe = subprocess.run(["runuser", "-u", RUN_AS, "--", "test", "-w", str(self.base)], check=False)
        if probe.returncode != 0:
            raise PermissionError(f"user {RUN_AS!r} cannot reach {self.base}: set TMPDIR to a directory it can enter")


class Certificates(NamedTuple):
    ca: Path            # the CA a client must be given (sslrootcert) to verify the server
    cert: Path          # the server's certificate, for 127.0.0.1 (IP SAN) and the name "warroom-test-db"
    key: Path


def make_certificates(folder: Path, name: str = "warroom test CA") -> Certificates:
    """A throwaway CA and a server certificate it signed, valid for a day, written as PEM into `folder`."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    valid = {"not_valid_before": now - datetime.timedelta(minutes=5),
             "not_valid_after": now + datetime.timedelta(days=1)}
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca = (x509.CertificateBuilder(subject_name=ca_name, issuer_name=ca_name, public_key=ca_key.public_key(),
                                  serial_number=x509.random_serial_number(), **valid)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    names = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                         x509.DNSName("warroom-test-db")])
    cert = (x509.CertificateBuilder(subject_name=server_name, issuer_name=ca_name, public_key=key.public_key(),
                                    serial_number=x509.random_serial_number(), **valid)
            .add_extension(names, critical=False).sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    made = Certificates(folder / "ca.pem", folder / "server.crt", folder / "server.key")
    made.ca.write_bytes(ca.public_bytes(pem))
    made.cert.write_bytes(cert.public_bytes(pem))
    made.key.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return made


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _clean_env() -> dict[str, str]:
    """The environment without the developer's PG* settings, in the C locale so messages are in English."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def _ensure_system_user(user: str) -> None:
    """Create the user that runs postgres under root, as the Debian package does, if it does not exist."""
    if subprocess.run(["id", "-u", user], capture_output=True, check=False).returncode == 0:
        return
    subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", user],
        check=True, capture_output=True,
    )  # fmt: skip


def _replace_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    userinfo, _, _ = parts.netloc.rpartition("@")
    host = parts.hostname or "127.0.0.1"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}:{port}" if userinfo else f"{host}:{port}"))


class TcpCut:
    """A TCP proxy on 127.0.0.1 in front of `target_port`, on an event loop in a thread of its own.

    `cut()` closes every connection through it and closes new ones as soon as they arrive (the server went away);
    `cut(stall=True)` keeps connections open but forwards nothing and holds new ones (a silent network: only the
    client's timeouts notice). `heal()` forwards again: held bytes and connections go through. Both return once
    the change has taken effect.
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._mode = "open"  # open | reset | stall
        self._flowing: asyncio.Event
        self._thread = threading.Thread(target=self._loop.run_forever, name="TcpCut", daemon=True)
        self._thread.start()
        self._server = self._call(self._listen())
        self.port: int = self._server.sockets[0].getsockname()[1]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def route(self, url: str) -> str:
        """The same postgresql:// URL, through this proxy."""
        return _replace_port(url, self.port)

    def cut(self, stall: bool = False) -> None:
        self._call(self._set_mode("stall" if stall else "reset"))

    def heal(self) -> None:
        self._call(self._set_mode("open"))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    # ---- the loop's side ---------------------------------------------------------------------------------------

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    async def _listen(self) -> asyncio.Server:
        self._flowing = asyncio.Event()
        self._flowing.set()
        return await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def _set_mode(self, mode: str) -> None:
        self._mode = mode
        if mode == "open":
            self._flowing.set()
            return
        self._flowing.clear()
        if mode == "reset":
            for writer in list(self._writers):
                writer.transport.abort()
            self._writers.clear()

    async def _shutdown(self) -> None:
        self._server.close()
        await self._set_mode("reset")
        self._flowing.set()  # let held pumps see their closed sockets and end
        others = asyncio.all_tasks() - {asyncio.current_task()}
        if others:
            await asyncio.wait(others, timeout=5)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._mode == "reset":
            client_writer.transport.abort()
            return
        self._writers.add(client_writer)
        await self._flowing.wait()  # a stalled network: the client connected, but nothing reaches the server
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self._writers.discard(client_writer)
            client_writer.transport.abort()
            return
        if client_writer.transport.is_closing():  # cut while connecting
            server_writer.transport.abort()
            return
        self._writers.add(server_writer)
        await asyncio.gather(
            self._pump(client_reader, server_writer), self._pump(server_reader, client_writer), return_exceptions=True
        )
        for writer in (client_writer, server_writer):
            self._writers.discard(writer)
            writer.transport.abort()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            await self._flowing.wait()  # held, not dropped: TCP delivers it once the network is back
            if writer.transport.is_closing():
                return
            writer.write(data)
            await writer.drain()
        if not writer.transport.is_closing():
            writer.write_eof()
