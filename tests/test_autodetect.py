"""Settings auto-detection against a DNS server, an autoconfig web server and
Dovecot servers, all on 127.0.0.1: no lookup or connection leaves the machine."""

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mail_lead_sync.engine import autodetect
from mail_lead_sync.tests.dns_server import DnsServer
from mail_lead_sync.tests.dovecot import DovecotServer
from mail_lead_sync.tests.smtp_server import SmtpServer

AUTOCONFIG = """<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="{domain}">
  <incomingServer type="pop3"><hostname>pop.{domain}</hostname><port>995</port><socketType>SSL</socketType>
    <username>%EMAILADDRESS%</username></incomingServer>
  <incomingServer type="imap"><hostname>mail.{domain}</hostname><port>{port}</port><socketType>SSL</socketType>
    <username>%EMAILLOCALPART%</username></incomingServer>
</emailProvider></clientConfig>"""


class AutoconfigServer:
    """Serves autoconfig documents by (Host, path), like a provider's web server."""

    def __init__(self, certificate=None):
        self.documents = {}
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.headers["Host"], self.path.split("?")[0]))
                body = server.documents.get((self.headers["Host"], self.path.split("?")[0]))
                self.send_response(200 if body else 404)
                self.end_headers()
                self.wfile.write((body or "").encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if certificate:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*certificate)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.port = self.httpd.server_address[1]


@pytest.fixture(scope="module")
def standard_dovecot():
    """A Dovecot on the standard ports 143 and 993, for the guesses."""
    with DovecotServer(ports=(143, 993)) as server:
        yield server


@pytest.fixture(scope="module")
def net(dovecot):
    """A DNS server and an HTTPS autoconfig server (Dovecot's certificate)."""
    dns_server = DnsServer().start()
    web = AutoconfigServer(certificate=(dovecot.cafile, str(dovecot.root / "key.pem")))
    yield dns_server, web
    web.httpd.shutdown()
    dns_server.stop()


def detector(net, cafile, **options):
    dns_server, web = net
    return dns_server.detector(cafile, https_port=web.port, **options)


def test_known_provider_by_domain(net, dovecot):
    detection = detector(net, dovecot.cafile).detect("Dana <Dana@GMail.com>")
    assert detection.provider.key == "gmail" and detection.provider.oauth == "google"
    assert detection.candidates[0] == autodetect.Candidate("imap.gmail.com", 993, "ssl", "provider")
    assert detection.found is None  # imap.gmail.com is not on this machine: nothing pretends it is
    assert "imap.gmail.com:993" in detection.explain()


@pytest.mark.parametrize(
    ("mx", "provider"),
    [
        ("aspmx.l.google.com.", "gmail"),
        ("acme-test.mail.protection.outlook.com.", "microsoft"),
        ("mx.acme.test.", None),
    ],
)
def test_company_domain_recognized_by_its_mx(net, dovecot, mx, provider):
    dns_server, _web = net
    domain = f"mx-{provider}.test"
    dns_server.add(domain, "MX", f"10 {mx}")
    found = detector(net, dovecot.cafile).provider_for(domain)
    assert (found.key if found else None) == provider


def test_autoconfig_document(net, dovecot):
    dns_server, web = net
    dns_server.add("autoconfig.auto.test", "A", "127.0.0.1")
    dns_server.add("mail.auto.test", "A", "127.0.0.1")
    web.documents[("autoconfig.auto.test", "/mail/config-v1.1.xml")] = AUTOCONFIG.format(
        domain="auto.test", port=dovecot.port_ssl
    )
    detection = detector(net, dovecot.cafile).detect("dana@auto.test")
    assert detection.found == autodetect.Candidate("mail.auto.test", dovecot.port_ssl, "ssl", "autoconfig", "localpart")
    assert detection.login == "dana"


def test_well_known_autoconfig_on_the_domain(net, dovecot):
    dns_server, web = net
    dns_server.add("known.test", "A", "127.0.0.1")
    dns_server.add("mail.known.test", "A", "127.0.0.1")
    web.documents[("known.test", "/.well-known/autoconfig/mail/config-v1.1.xml")] = AUTOCONFIG.format(
        domain="known.test", port=dovecot.port_ssl
    )
    assert detector(net, dovecot.cafile).detect("eve@known.test").found.source == "autoconfig"


def test_srv_records(net, dovecot):
    dns_server, _web = net
    dns_server.add("_imaps._tcp.srv.test", "SRV", "0 0 0 .")  # "no such service" (RFC 2782)...
    dns_server.add("_imap._tcp.srv.test", "SRV", f"0 1 {dovecot.port_plain} imap.srv.test.")  # ...but STARTTLS
    dns_server.add("imap.srv.test", "A", "127.0.0.1")
    detection = detector(net, dovecot.cafile).detect("eve@srv.test")
    assert detection.found == autodetect.Candidate("imap.srv.test", dovecot.port_plain, "starttls", "srv")


def test_guess_on_the_standard_port(net, standard_dovecot):
    dns_server, _web = net
    dns_server.add("mail.guess.test", "A", "127.0.0.1")
    detection = detector(net, standard_dovecot.cafile).detect("eve@guess.test")
    assert detection.found == autodetect.Candidate("mail.guess.test", 993, "ssl", "guess")
    assert detection.tried[0][0] == autodetect.Candidate("imap.guess.test", 993, "ssl", "guess")


def test_nothing_found_says_what_was_tried(net, dovecot):
    detection = detector(net, dovecot.cafile).detect("eve@nowhere.test")
    assert detection.found is None
    text = detection.explain()
    assert "No server named imap.nowhere.test was found" in text
    assert "Enter the server settings by hand." in text


def test_autoconfig_over_plain_http_is_never_read(net, dovecot):
    """A document fetched in the clear could name any server for the password."""
    dns_server, _web = net
    plain = AutoconfigServer()
    dns_server.add("autoconfig.plain.test", "A", "127.0.0.1")
    dns_server.add("mail.plain.test", "A", "127.0.0.1")
    plain.documents[("autoconfig.plain.test", "/mail/config-v1.1.xml")] = AUTOCONFIG.format(
        domain="plain.test", port=dovecot.port_ssl
    )
    try:
        detection = dns_server.detector(dovecot.cafile, https_port=plain.port).detect("dana@plain.test")
    finally:
        plain.httpd.shutdown()
    assert detection.found is None or detection.found.source != "autoconfig"
    assert not plain.requests  # it was spoken to in TLS only, which a plain server cannot answer


def test_detected_servers_use_mail_ports_only(net, dovecot):
    """DNS or a document may name any port; the probe tries mail ports only (unless
    the administrator allows private hosts, as these tests do elsewhere)."""
    dns_server, web = net
    dns_server.add("_imaps._tcp.ports.test", "SRV", "0 1 22 imap.ports.test.", "1 1 993 imap.ports.test.")
    web.documents[("autoconfig.ports.test", "/mail/config-v1.1.xml")] = AUTOCONFIG.format(
        domain="ports.test", port=6379
    )
    dns_server.add("autoconfig.ports.test", "A", "127.0.0.1")
    strict = detector(net, dovecot.cafile, policy=dns_server.policy(allow_private=False))
    assert strict.srv("ports.test") == [autodetect.Candidate("imap.ports.test", 993, "ssl", "srv")]
    lab = detector(net, dovecot.cafile)
    assert [c.port for c in lab.srv("ports.test")] == [22, 993]
    assert [c.port for c in lab.autoconfig("dana@ports.test", "ports.test")] == [6379]


def test_private_addresses_are_refused_after_resolution(net, dovecot, smtp):
    """Names that resolve to loopback: refused, nothing connected to, in words."""
    dns_server, web = net
    dns_server.add("autoconfig.inside.test", "A", "127.0.0.1")
    dns_server.add("mail.inside.test", "A", "127.0.0.1")
    dns_server.add("_submission._tcp.inside.test", "SRV", f"0 1 {smtp.port} mail.inside.test.")
    web.documents[("autoconfig.inside.test", "/mail/config-v1.1.xml")] = AUTOCONFIG.format(
        domain="inside.test", port=dovecot.port_ssl
    )
    web.requests.clear()
    strict = detector(net, dovecot.cafile, policy=dns_server.policy(allow_private=False))
    detection = strict.detect("dana@inside.test")
    assert detection.found is None and not web.requests
    assert "mail.inside.test is on a private or local network" in detection.explain()
    assert strict.detect_smtp("dana@inside.test").found is None
    assert detector(net, dovecot.cafile).detect("dana@inside.test").found.source == "autoconfig"


def test_autoconfig_parsing_ignores_broken_documents():
    assert autodetect.parse_autoconfig(b"<not xml") == []
    assert autodetect.parse_autoconfig(b"<clientConfig><incomingServer type='imap'/></clientConfig>") == []


# -- the outgoing server ---------------------------------------------------------------
SMTP_AUTOCONFIG = """<?xml version="1.0"?>
<clientConfig version="1.1"><emailProvider id="{domain}">
  <outgoingServer type="smtp"><hostname>out.{domain}</hostname><port>{port}</port><socketType>STARTTLS</socketType>
    <username>%EMAILADDRESS%</username></outgoingServer>
</emailProvider></clientConfig>"""


@pytest.fixture(scope="module")
def smtp(dovecot):
    # Dovecot's certificate, so the detector's one CA file covers both servers.
    with SmtpServer({}, certificate=(dovecot.cafile, str(dovecot.root / "key.pem"))) as server:
        yield server


def test_outgoing_server_by_submission_srv(net, dovecot, smtp):
    dns_server, _web = net
    dns_server.add("_submission._tcp.out-srv.test", "SRV", f"0 1 {smtp.port} submit.out-srv.test.")
    dns_server.add("submit.out-srv.test", "A", "127.0.0.1")
    detection = detector(net, dovecot.cafile).detect_smtp("lee@out-srv.test")
    assert detection.found == autodetect.Candidate("submit.out-srv.test", smtp.port, "starttls", "srv")
    assert not smtp.received  # found by connecting and STARTTLS, never by sending


def test_outgoing_server_by_autoconfig(net, dovecot, smtp):
    dns_server, web = net
    web.documents[("autoconfig.out-ac.test", "/mail/config-v1.1.xml")] = SMTP_AUTOCONFIG.format(
        domain="out-ac.test", port=smtp.port
    )
    dns_server.add("autoconfig.out-ac.test", "A", "127.0.0.1")
    dns_server.add("out.out-ac.test", "A", "127.0.0.1")
    found = detector(net, dovecot.cafile)
    assert found.detect_smtp("lee@out-ac.test").found.source == "autoconfig"
    assert found.detect("lee@out-ac.test").found is None  # no IMAP in that document, no server: nothing invented


def test_no_outgoing_server_says_what_was_tried(net, dovecot):
    detection = detector(net, dovecot.cafile).detect_smtp("lee@nowhere-out.test")
    assert detection.found is None
    assert [c.host for c in detection.candidates][:2] == ["smtp.nowhere-out.test", "mail.nowhere-out.test"]
    assert "smtp.nowhere-out.test" in detection.explain()


def test_provider_table_has_submission_servers():
    gmail = next(p for p in autodetect.PROVIDERS if p.key == "gmail")
    assert gmail.smtp == ("smtp.gmail.com", 465, "ssl")
    assert all(len(p.smtp) == 3 for p in autodetect.PROVIDERS)
