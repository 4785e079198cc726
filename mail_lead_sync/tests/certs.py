"""A self-signed certificate for the loopback servers of the tests (it is its own CA)."""

import subprocess
from pathlib import Path


def self_signed(directory, names=()):
    """Write cert.pem and key.pem for localhost/127.0.0.1 (and ``names``) in
    ``directory``; return their paths."""
    directory = Path(directory)
    alt_names = ",".join(f"DNS:{name}" for name in ("localhost", *names)) + ",IP:127.0.0.1"
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
            "-subj", "/CN=localhost", "-addext", f"subjectAltName={alt_names}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)
