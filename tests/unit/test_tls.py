"""`hpcsim serve` speaks TLS itself when given a certificate and its key."""

from __future__ import annotations

import datetime
import os
import socket
import ssl
import subprocess
import time
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HPCSIM = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "hpcsim"


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_with_a_certificate_answers_https_only(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {**os.environ, "HPCSIM_DATA_DIR": str(tmp_path / "data")}
    argv = [str(HPCSIM), "serve", "--port", str(port)]
    tls = ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]
    process = subprocess.Popen(
        [*argv, *tls], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    trusted = ssl.create_default_context(cafile=str(cert))
    try:
        answer = None
        deadline = time.monotonic() + 30
        while answer is None and time.monotonic() < deadline:
            try:
                answer = httpx.get(f"https://localhost:{port}/health", verify=trusted)
            except httpx.TransportError:
                time.sleep(0.2)

        assert answer is not None and answer.status_code == 200
        try:
            plain = httpx.get(f"http://localhost:{port}/health").status_code
        except httpx.TransportError:
            plain = None
        assert plain != 200
    finally:
        process.terminate()
        process.wait(timeout=20)
