from odoo.tests import tagged

from ..engine import errors
from ..i18n_words import ERROR_WORDS, SKIP_REASONS, error_words, skip_reason_words
from .common import MailSyncCase, why_lines


@tagged("post_install", "-at_install")
class TestTranslations(MailSyncCase):
    """A French user sees the addon in French: i18n/fr.po loaded as Odoo loads it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["mail_lead_sync"], ["fr_FR"], overwrite=True)
        cls.fr = cls.env(context=dict(cls.env.context, lang="fr_FR"))

    def test_the_words_module_says_what_the_engine_says(self):
        # The English of each translatable error is the engine's own, word for word,
        # and no engine message lacks its translatable text.
        self.assertEqual(set(ERROR_WORDS), set(errors.MESSAGES))
        for key, text in errors.MESSAGES.items():
            self.assertEqual(self.env._(ERROR_WORDS[key]), text, key)

    def test_mailbox_states_in_french(self):
        states = dict(self.fr["mail.sync.account"].fields_get(["state"])["state"]["selection"])
        self.assertEqual(states["new"], "Pas encore synchronisée")
        self.assertEqual(states["ok"], "À jour")
        self.assertEqual(states["reconnect"], "Reconnexion nécessaire")

    def test_skip_reason_in_french(self):
        self.assertEqual(skip_reason_words(self.fr, "bulk"), "Envois en masse (Precedence)")
        self.assertEqual(skip_reason_words(self.env, "bulk"), "Bulk mail (Precedence)")
        self.assertEqual(skip_reason_words(self.fr, "something new"), "something new")
        self.assertLessEqual({"bulk", "failed", "auto-submitted"}, set(SKIP_REASONS))

    def test_skipped_summary_in_french(self):
        self.deliver(
            self.box, "INBOX", "news@client.test", "bob@acme.test", "Promo", "<promo@client.test>",
            extra="Precedence: bulk",
        )  # fmt: skip
        self.box.action_sync_now()
        self.assertIn("Envois en masse (Precedence)", self.box.with_env(self.fr).skipped_summary)

    def test_engine_error_in_french(self):
        # A wrong password against the real Dovecot, as the wizard's manual step shows it.
        wizard = self.fr["mail.sync.account.wizard"].create({"email": "bob.x@acme.test", "password": "wrong"})
        wizard.write(
            {"host": "127.0.0.1", "port": self.dovecot.port_ssl, "security": "ssl", "step": "manual"}
        )  # fmt: skip
        wizard.action_connect()
        self.assertIn("Le serveur a refusé l'identifiant bob.x@acme.test", wizard.message)
        self.assertIn("le mot de passe est incorrect", wizard.message)
        # The same error for an English user, and an error the engine has no key for.
        error = errors.AuthenticationFailed.of("imap_login_refused", "detail", login="bob.x@acme.test")
        self.assertTrue(error_words(self.env, error).startswith("The server refused the login bob.x@acme.test"))
        self.assertEqual(error_words(self.fr, errors.ServerError("Its own words")), "Its own words")

    def test_last_error_in_french(self):
        self.box.sudo().password = "wrong"
        box = self.box.with_env(self.fr)
        box.action_test_connection()
        self.assertIn("Le serveur a refusé l'identifiant", box.last_error)

    def test_why_line_in_french(self):
        lead = self.env["crm.lead"].create({"name": "Dana", "email_from": "dana@client.test"})
        self.deliver(self.box, "Sent", "bob@acme.test", "dana@client.test", "Offre", "<offre@acme.test>")
        self.box.action_sync_now()
        [message] = self.synced(lead)
        # Beside the email, not in it, and in the reader's language whatever the sync's.
        self.assertNotIn("dana@client.test dans", message.body)
        # The web client asks in its user's language (the context's lang).
        french = message.with_context(lang="fr_FR")
        self.assertEqual(
            why_lines(french, self.bob)[french], "Relié par dana@client.test dans À, depuis la boîte mail de Bob"
        )
        english = message.with_context(lang="en_US")
        self.assertEqual(why_lines(english, self.bob)[english], "Linked by dana@client.test in To, from Bob's mailbox")
