"""The notify plugin is tested with the email connector it sends through: real SMTP sink, real Dovecot."""

from __future__ import annotations

from tests.connectors.email.conftest import add_mailbox, app_config  # noqa: F401 - fixtures
from tests.support.mail_fixtures import *  # noqa: F403
