import itertools

import pytest

from mail_lead_sync.tests.dovecot import DovecotServer
from mail_lead_sync.tests.oauth_server import OAuthServer


@pytest.fixture(scope="session")
def oauth_server():
    with OAuthServer() as server:
        yield server


@pytest.fixture(scope="session")
def dovecot(oauth_server):
    with DovecotServer(oauth_introspection_url=oauth_server.introspection_url) as server:
        yield server


_numbers = itertools.count(1)


class Mailbox:
    def __init__(self, login, password):
        self.login = self.email = login
        self.password = password


@pytest.fixture
def mailbox(dovecot):
    """A fresh, empty mailbox user on the session's Dovecot."""
    box = Mailbox(f"user{next(_numbers)}@example.test", "pw-" + str(next(_numbers)))
    dovecot.add_user(box.login, box.password)
    return box


def pytest_terminal_summary(terminalreporter):
    """Say what the corpus tests parsed (their ``corpus`` property)."""
    for report in terminalreporter.stats.get("passed", []):
        for name, value in report.user_properties:
            if name == "corpus":
                terminalreporter.write_line(f"{report.nodeid}: {value}")
