"""A self-signed certificate for the loopback servers of the tests (it is its own CA)."""

import subprocess
from pathlib import Path

# The names the tests give loopback servers through their DNS server: connections
# go to the checked address but TLS checks the certificate against the name.
TEST_NAMES = ("known.test", "*.srv.test", "*.auto.test", "*.known.test", "*.guess.test", "*.out-srv.test",
              "*.out-ac.test", "*.acme.test", "*.far.test", "*.outside.test", "*.inside.test", "*.ports.test",
              "*.plain.test")  # fmt: skip


def self_signed(directory, names=()):
    """Write cert.pem and key.pem for localhost/127.0.0.1, the tests' names (and
    ``names``) in ``directory``; return their paths."""
    directory = Path(directory)
    alt_names = ",".join(f"DNS:{name}" for name in ("localhost", *TEST_NAMES, *names)) + ",IP:127.0.0.1"
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
