"""The settings of one mailbox: where to read (IMAP), how to answer (SMTP), what to accept."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from hub.sdk import ConfigSchema, secret

SECURITY = ("tls", "starttls", "plain")
PROCESSED_ACTIONS = ("flag-seen", "move")
TEMPLATE_PARTS = ("subject", "body")
DEFAULT_PORTS = {"imap": {"tls": 993, "starttls": 143, "plain": 143},
                 "smtp": {"tls": 465, "starttls": 587, "plain": 25}}


def _meta(title: str, description: str) -> dict[str, Any]:
    return {"title": title, "description": description}


#: The sending settings, shared by the mailbox (EmailConfig) and the send-only connector
#: (SmtpOnlyConfig): one field object may serve two schemas (each schema copies its fields).
SMTP: dict[str, fields.Field] = {
    "smtp_host": fields.String(required=True, validate=validate.Length(min=1, max=255), metadata=_meta(
        "SMTP host", "The server acknowledgements and updates are sent through.")),
    "smtp_port": fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 65535),
                                metadata=_meta("SMTP port", "Empty: 465 for tls, 587 for starttls, 25 for plain.")),
    "smtp_security": fields.String(load_default="starttls", validate=validate.OneOf(SECURITY), metadata=_meta(
        "SMTP security", "'tls', 'starttls' or 'plain' (a relay on this machine).")),
    "smtp_username": fields.String(load_default=None, allow_none=True, metadata=_meta(
        "SMTP user", "Empty: send without logging in (a local relay).")),
    "smtp_password": secret(load_default=None, allow_none=True, title="SMTP password",
                            description="The SMTP user's password."),
    "from_name": fields.String(load_default="", metadata=_meta("Sender name", "Shown with the sender address.")),
    "templates": fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(
        validate=validate.OneOf(TEMPLATE_PARTS)), values=fields.String()), load_default=dict, metadata=_meta(
        "Templates", "Per mail kind ('acknowledgement', 'comment', 'status', 'resolution'): {subject, body} with "
        "$ref, $title, $status_url, $requester_name, $comment, $status, $resolution. Empty: the default wording.")),
}
CA_FILE_HELP = ("PEM file of the CA that signed the servers' certificates, when it is a private one. "
                "Certificates are always verified.")


def check_smtp_login(data: dict[str, Any]) -> None:
    if data.get("smtp_username") and not data.get("smtp_password"):
        raise ValidationError({"smtp_password": ["Needed with an SMTP user."]})


class EmailConfig(ConfigSchema):
    host = fields.String(required=True, validate=validate.Length(min=1, max=255), metadata=_meta(
        "IMAP host", "The mail server the mailbox is read from."))
    port = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 65535), metadata=_meta(
        "IMAP port", "Empty: 993 for tls, 143 for starttls and plain."))
    security = fields.String(load_default="tls", validate=validate.OneOf(SECURITY), metadata=_meta(
        "IMAP security", "'tls' (implicit TLS), 'starttls', or 'plain' (only for a server on this machine "
        "or a trusted network: the password crosses the wire readable)."))
    username = fields.String(required=True, validate=validate.Length(min=1, max=255), metadata=_meta(
        "IMAP user", "The mailbox's login."))
    password = secret(required=True, validate=validate.Length(min=1), title="IMAP password",
                      description="The IMAP user's password.")
    folder = fields.String(load_default="INBOX", validate=validate.Length(min=1, max=255), metadata=_meta(
        "Folder", "The folder read for new mail."))
    processed_action = fields.String(load_default="flag-seen", validate=validate.OneOf(PROCESSED_ACTIONS),
                                     metadata=_meta("When processed", "'flag-seen' marks a message read once "
                                                    "its ticket is saved; 'move' moves it to the processed folder."))
    processed_folder = fields.String(load_default="Processed", validate=validate.Length(min=1, max=255),
                                     metadata=_meta("Processed folder", "Where 'move' puts processed mail "
                                                    "(created if missing)."))
    ca_file = fields.String(load_default=None, allow_none=True, metadata=_meta("CA file", CA_FILE_HELP))
    batch_size = fields.Integer(load_default=20, validate=validate.Range(1, 500), metadata=_meta(
        "Batch size", "Messages saved per transaction; each batch is marked processed after it is saved."))
    max_message_bytes = fields.Integer(load_default=25 * 1024 * 1024, validate=validate.Range(10_000, 200 * 2**20),
                                       metadata=_meta("Largest message", "Bigger messages are not fetched whole: "
                                                      "they are quarantined with the reason."))
    max_attachment_bytes = fields.Integer(load_default=10 * 1024 * 1024, validate=validate.Range(1, 100 * 2**20),
                                          metadata=_meta("Largest attachment", "Bigger attachments are left out "
                                                         "and named in an internal note."))
    attachment_types = fields.List(fields.String(), load_default=list, metadata=_meta(
        "Attachment types", "Allowed types (image/*, application/pdf, text/csv). Empty allows all but programs "
        "and scripts (.exe, .js, .vbs, ...)."))
    own_addresses = fields.List(fields.Email(), load_default=list, metadata=_meta(
        "The hub's own addresses", "Mail from these (and from the sender address below) is ignored, so the "
        "hub never answers itself."))
    reopen_on_reply = fields.Boolean(load_default=True, metadata=_meta(
        "Reopen on reply", "A reply to a resolved ticket reopens it when its sender is proven (see the next "
        "setting); off: it is kept as a comment only."))
    trusted_authserv_ids = fields.List(fields.String(validate=validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$", error="A host name, as your mail server writes it first in "
        "Authentication-Results.")), load_default=list, metadata=_meta(
        "Trusted mail servers", "The authserv-ids (e.g. mx.example.com) whose Authentication-Results headers "
        "prove a sender (DMARC, DKIM, SPF). Without one, no reply is proven: a reply never reopens a resolved "
        "ticket, it is held for an agent's review. A reply that fails a check is always held."))
    kind = fields.String(load_default="incident", validate=validate.OneOf(("incident", "change")), metadata=_meta(
        "Ticket kind", "What new mail opens."))
    smtp_host = SMTP["smtp_host"]
    smtp_port = SMTP["smtp_port"]
    smtp_security = SMTP["smtp_security"]
    smtp_username = SMTP["smtp_username"]
    smtp_password = SMTP["smtp_password"]
    from_address = fields.Email(required=True, metadata=_meta(
        "Sender address", "The address mail is sent from; replies to it come back to this mailbox."))
    from_name = SMTP["from_name"]
    templates = SMTP["templates"]

    @validates_schema
    def check(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("processed_action") == "move" and \
                data.get("processed_folder", "").lower() == data.get("folder", "INBOX").lower():
            raise ValidationError({"processed_folder": ["Must differ from the folder that is read."]})
        check_smtp_login(data)


class SmtpOnlyConfig(ConfigSchema):
    """Sending only: acknowledgements and notifications without a mailbox to read."""

    smtp_host = SMTP["smtp_host"]
    smtp_port = SMTP["smtp_port"]
    smtp_security = SMTP["smtp_security"]
    smtp_username = SMTP["smtp_username"]
    smtp_password = SMTP["smtp_password"]
    from_address = fields.Email(required=True, metadata=_meta(
        "Sender address", "The address mail is sent from. Nothing reads it here: point it at a mailbox people "
        "watch, or at an email instance's address so replies come back to their tickets."))
    from_name = SMTP["from_name"]
    ca_file = fields.String(load_default=None, allow_none=True, metadata=_meta("CA file", CA_FILE_HELP))
    templates = SMTP["templates"]

    @validates_schema
    def check(self, data: dict[str, Any], **_: Any) -> None:
        check_smtp_login(data)


def port_of(config: dict[str, Any], service: str) -> int:
    key, security = ("port", config["security"]) if service == "imap" else ("smtp_port", config["smtp_security"])
    return int(config.get(key) or DEFAULT_PORTS[service][security])


def own_addresses(config: dict[str, Any]) -> set[str]:
    found = {address.lower() for address in config.get("own_addresses") or []}
    found.add(str(config.get("from_address") or "").lower())
    if "@" in str(config.get("username") or ""):
        found.add(str(config["username"]).lower())
    return {address for address in found if address}
