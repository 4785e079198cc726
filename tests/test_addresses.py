"""Address splitting/normalization agrees with Odoo on the cases Odoo's own tests
document (odoo/addons/base/tests/test_mail.py, 18.0), and on header forms."""

import email
import email.policy
import pathlib
import sysconfig

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mail_lead_sync.engine import addresses

# (source, what Odoo's email_normalize(strict=True) returns), from TestEmailTools.test_email_normalize
ODOO_NORMALIZE = [
    ('"Super Déboulonneur" <deboulonneur@example.com>', "deboulonneur@example.com"),
    ("Déboulonneur deboulonneur@example.com", "deboulonneur@example.com"),
    ("deboulonneur@example.com Déboulonneur", "deboulonneur@example.comdéboulonneur"),
    ('"Super Déboulonneur" <DEBOULONNEUR@example.com>, "Super Déboulonneur 2" <deboulonneur2@EXAMPLE.com>', None),
    (" Déboulonneur deboulonneur@example.com déboulonneur deboulonneur2@example.com", None),
    ('"Déboulonneur 😊" <deboulonneur.😊@example.com>', "deboulonneur.😊@example.com"),
    ('"Déboulonneur" <déboulonneur@examplé.com>', "déboulonneur@examplé.com"),
    ('"Déboulonneur" <DéBoulonneur@Examplé.com>', "DéBoulonneur@examplé.com"),
]

# (source, what Odoo's email_split returns), from TestEmailTools.test_email_split
ODOO_SPLIT = [
    ("John <12345@gmail.com>", ["12345@gmail.com"]),
    ("d@x; 1@2", ["d@x", "1@2"]),
    ("'(ss)' <123@gmail.com>, 'foo' <foo@bar>", ["123@gmail.com", "foo@bar"]),
    ('"john@gmail.com"<johnny@gmail.com>', ["johnny@gmail.com"]),
    ('"<jg>" <johnny@gmail.com>', ["johnny@gmail.com"]),
    ("@gmail.com", ["@gmail.com"]),
    ("fr@ncois.th@notgmail.com", ["fr@ncois.th"]),
    ("f@r@nc.gz,ois@notgmail.com", ["r@nc.gz", "ois@notgmail.com"]),
    ("@notgmail.com esteban_gnole@coldmail.com@notgmail.com", ["esteban_gnole@coldmail.com"]),
    ("Ivan@dezotos.com Cc iv.an@notgmail.com", ["Ivan@dezotos.com", "iv.an@notgmail.com"]),
    ("ivan-dredi@coldmail.com ivan.dredi@notgmail.com", ["ivan-dredi@coldmail.com", "ivan.dredi@notgmail.com"]),
    ("@notgmail.com ivan@coincoin.com.ar jeanine@coincoin.com.ar", ["ivan@coincoin.com.ar", "jeanine@coincoin.com.ar"]),
    (
        "@notgmail.com whoareyou@youhou.com.   ivan.dezotos@notgmail.com",
        ["whoareyou@youhou.com", "ivan.dezotos@notgmail.com"],
    ),
    (
        "francois@nc.gz CC: ois@notgmail.com ivan@dezotos.com",
        ["francois@nc.gz", "ois@notgmail.com", "ivan@dezotos.com"],
    ),
    (
        "francois@nc.gz CC: ois@notgmail.com,ivan@dezotos.com",
        ["francois@nc.gzCC", "ois@notgmail.com", "ivan@dezotos.com"],
    ),
    ("ivan.plein@dezotos.com / ivan.plu@notgmail.com", ["ivan.plein@dezotos.com", "ivan.plu@notgmail.com"]),
    (
        "@notgmail.com ivan.parfois@notgmail.com/ ivan.souvent@notgmail.com",
        ["ivan.parfois@notgmail.com", "ivan.souvent@notgmail.com"],
    ),
    ("ivan@dezotos.com - ivan.dezotos@notgmail.com", ["ivan@dezotos.com", "ivan.dezotos@notgmail.com"]),
    (
        "car.pool@notgmail.com - co (TAMBO) Registration car.warsh@notgmail.com",
        ["car.pool@notgmail.com", "car.warsh@notgmail.com"],
    ),
]

# (source, Odoo's email_split_tuples), from TestEmailTools.test_email_split_tuples
ODOO_SPLIT_TUPLES = [
    ("alfred.astaire@test.example.com", [("", "alfred.astaire@test.example.com")]),
    ("Fredo The Great <alfred.astaire@test.example.com>", [("Fredo The Great", "alfred.astaire@test.example.com")]),
    ('Fredo "The Great" <alfred.astaire@test.example.com>', [("Fredo The Great", "alfred.astaire@test.example.com")]),
    (
        '"Fredo The Great" <alfred.astaire@test.example.com>, <evelyne.gargouillis@test.example.com>',
        [("Fredo The Great", "alfred.astaire@test.example.com"), ("", "evelyne.gargouillis@test.example.com")],
    ),
    ("Hello alfred.astaire@test.example.com how are you ?", [("Hello", "alfred.astaire@test.example.comhowareyou?")]),
    (
        'Hello "Fredo" <alfred.astaire@test.example.com> and evelyne.gargouillis@test.example.com',
        [("Hello Fredo", "alfred.astaire@test.example.com"), ("and", "evelyne.gargouillis@test.example.com")],
    ),
    ("<p>Hello Fredo</p>", []),
    (
        'j\'adore écrire des @gmail.com ou "@gmail.com" a bit randomly',
        [("j'adore écrire", "des@gmail.comou"), ("", "@gmail.com")],
    ),
    ("", []),
]


@pytest.mark.parametrize(("source", "expected"), ODOO_NORMALIZE)
def test_normalize_agrees_with_odoo(source, expected):
    assert addresses.normalize(source) == expected


@pytest.mark.parametrize(("source", "expected"), ODOO_SPLIT)
def test_split_agrees_with_odoo(source, expected):
    assert addresses.split(source) == expected


@pytest.mark.parametrize(("source", "expected"), ODOO_SPLIT_TUPLES)
def test_split_pairs_agrees_with_odoo(source, expected):
    assert addresses.split_pairs(source) == expected


def test_odoo_itself_agrees_when_installed():
    """Where Odoo is importable, compare with the real functions too."""
    mail = pytest.importorskip("odoo.tools.mail")
    for source, _expected in ODOO_NORMALIZE:
        assert addresses.normalize(source) == (mail.email_normalize(source) or None), source
    for source, _expected in ODOO_SPLIT:
        assert addresses.split(source) == mail.email_split(source), source


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # group syntax: the group name is no address, its members are
        (
            "Sales team: Ann <ann@client.test>, bob@client.test;, carl@other.test",
            ["ann@client.test", "bob@client.test", "carl@other.test"],
        ),
        ("undisclosed-recipients:;", []),
        ("Dana <DANA@Client.Test>, dana@client.test", ["dana@client.test"]),
        # punycode in headers matches the Unicode form a user types
        ("x@XN--EXAMPL-GVA.COM", ["x@examplé.com"]),
        ("garbage, not an address", []),
        ("", []),
    ],
)
def test_normalize_all_on_headers(header, expected):
    assert addresses.normalize_all(header) == expected


def test_domain_list_as_admins_type_it():
    typed = " Acme.com\n@acme-old.com,  acme.de;xn--exampl-gva.com\n\nsue@gmail.com"
    assert addresses.parse_domain_list(typed) == {"acme.com", "acme-old.com", "acme.de", "examplé.com"}


# -- the fast path for plain headers must say exactly what the full parser says ----
_name_parts = st.sampled_from([*"abcXYZ éü.,;:'-_\"\\()<>@[]=?", "  ", "=?utf-8?q?J=C3=B6rg?="])
_names = st.lists(_name_parts, max_size=10).map("".join)
_locals = st.text(st.sampled_from(list("abcXYZ09.+-_%'")), min_size=1, max_size=8)
_domains = st.sampled_from(["client.test", "Client.TEST", "xn--exampl-gva.com", "examplé.com", "a.b.c.example"])


@st.composite
def _headers(draw):
    items = []
    for _ in range(draw(st.integers(1, 4))):
        addr = f"{draw(_locals)}@{draw(_domains)}"
        form = draw(st.sampled_from(["bare", "plain", "quoted", "brackets"]))
        name = draw(_names)
        items.append(
            {"bare": addr, "plain": f"{name} <{addr}>", "quoted": f'"{name}" <{addr}>', "brackets": f"<{addr}>"}[form]
        )
    return draw(st.sampled_from([", ", ",", " , ", ",\r\n "])).join(items)


@settings(max_examples=3000, deadline=None)
@given(_headers())
def test_fast_path_agrees_with_full_parser(header):
    simple = addresses._split_simple(header)
    if simple is not None:
        assert simple == addresses._split_full(header)


def test_fast_path_takes_the_common_forms():
    for header in ("a@b.test", "Dana <d@c.test>", '"Müller, Dana" <d@c.test>, e@c.test', "<x@y.test>"):
        assert addresses._split_simple(header) is not None, header


def test_fast_path_agrees_on_real_headers():
    """Every address header of CPython's email corpus."""
    data = pathlib.Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
    checked = 0
    for path in sorted(data.glob("msg_*.txt")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
        for name in ("From", "To", "Cc", "Bcc", "Reply-To", "Sender"):
            for value in msg.get_all(name) or ():
                simple = addresses._split_simple(str(value))
                if simple is not None:
                    assert simple == addresses._split_full(str(value)), value
                    checked += 1
    assert checked >= 20
