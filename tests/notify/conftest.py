"""Real receivers on 127.0.0.1 for the notification tests: an SMTP server (aiosmtpd) and an HTTP receiver.

Both can be told to fail a number of times first (SMTP 451 on DATA, HTTP 503/429, or a dropped connection after
reading the request) and record exactly what they received, so a test can count deliveries.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER, SMTP_PASSWORD = "warroom", "s3cret-smtp-pass"
WEBHOOK_TOKEN = "T0KEN-in-the-webhook-url-9f8e7d"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpReceiver:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    defer_data: int = 0           # answer DATA with 451 this many times first
    refuse_data: bool = False     # answer DATA with 554
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.defer_data > 0:
            self.defer_data -= 1
            return "451 4.3.0 Temporary failure, try again later"
        if self.refuse_data:
            return "554 5.7.1 Message refused"
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 Ok: queued as WARROOM1"


@pytest.fixture
def smtp_server() -> Iterator[SmtpReceiver]:
    """An SMTP server on 127.0.0.1 that requires AUTH LOGIN/PLAIN (plain text: loopback only)."""
    receiver = SmtpReceiver("127.0.0.1", free_port())

    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER \
            and auth_data.password.decode() == SMTP_PASSWORD
        if ok:
            receiver.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    controller = Controller(receiver, hostname=receiver.host, port=receiver.port, authenticator=authenticate,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()


@dataclass
class HttpReceiver:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]] | str] = field(default_factory=list)   # answers before 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    """A webhook receiver on 127.0.0.1; its URL carries a secret token, as real webhook URLs do."""
    receiver = HttpReceiver("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            with receiver.lock:
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                answer = receiver.script.pop(0) if receiver.script else (200, {})
            if answer == "drop":           # read the request, then hang up without answering
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, headers = answer
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/{WEBHOOK_TOKEN}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def routing_config(tmp_path: Path, smtp: SmtpReceiver | None, hook: HttpReceiver | None, *,
                   audience: str = "stakeholders", extra: str = "") -> str:
    """A config file with the relay, the chat webhook and the status page, all for one audience."""
    parts, names = [], []
    if smtp is not None:
        parts.append(f'[channels.relay]\nkind = "smtp"\nhost = "{smtp.host}"\nport = {smtp.port}\n'
                     f'security = "none"\nfrom = "warroom@example.net"\nusername = "{SMTP_USER}"\n'
                     'password_env = "WARROOM_SMTP_PASSWORD"\n')
        names.append("relay")
    if hook is not None:
        parts.append('[channels.chat]\nkind = "webhook"\nurl_env = "WARROOM_CHAT_WEBHOOK"\nformat = "json"\n')
        names.append("chat")
    parts.append(f'[channels.page]\nkind = "statuspage"\nfolder = "{tmp_path / "status"}"\n')
    names.append("page")
    parts.append(f'[audiences.{audience}]\nto = ["it-leads@example.com", "ciso@example.com"]\n'
                 f'channels = {json.dumps(names)}\n')
    return "\n".join(parts) + extra


def environ_for(hook: HttpReceiver | None) -> dict[str, str]:
    env = {"WARROOM_SMTP_PASSWORD": SMTP_PASSWORD}
    if hook is not None:
        env["WARROOM_CHAT_WEBHOOK"] = hook.url
    return env


@pytest.fixture
def tls_files(tmp_path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made here (cryptography comes with azure-identity)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def starttls_server(tls_files) -> Iterator[SmtpReceiver]:
    """An SMTP server on 127.0.0.1 that requires STARTTLS before AUTH, with the certificate above."""
    import ssl

    cert_file, key_file = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    receiver = SmtpReceiver("127.0.0.1", free_port())

    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == SMTP_PASSWORD
        if ok:
            receiver.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    controller = Controller(receiver, hostname=receiver.host, port=receiver.port, authenticator=authenticate,
                            tls_context=context, require_starttls=True, auth_required=True)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
