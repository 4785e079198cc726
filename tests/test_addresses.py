"""Address splitting/normalization agrees with Odoo on the cases Odoo's own tests
document (odoo/addons/base/tests/test_mail.py, 18.0), and on header forms."""

import pytest

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
