"""Mail transports behind one small interface: SMTP for real, capture (into notify's database) for the demo.

A transport raises ``TemporaryFailure`` when trying again later may work (SMTP 4xx, connection refused or
dropped, timeout) and ``PermanentFailure`` when it will not (SMTP 5xx: unknown mailbox, rejected content, a
message that cannot be encoded). ``check_address`` and ``build_email`` run before any transport is asked, so a
recipient or header that cannot go into a mail fails its own row, at once and with its reason.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from functools import lru_cache
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from services.notify.config import NotifyConfig
from services.notify.domain import mime
from services.notify.models import CapturedMail

log = logging.getLogger("uitleen.notify.mail")


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


class BadAddress(ValueError):
    """The recipient's address cannot be used in a mail (not one address, unencodable, control characters)."""


@dataclass(frozen=True)
class Flattened:
    """A MIME message as it goes over SMTP: envelope sender and recipients, the bytes (CRLF), and whether it
    needs SMTPUTF8 (an international address), as ``smtplib.SMTP.send_message`` would have made them."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes
    smtputf8: bool


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    ics: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ics_method: str = "PUBLISH"  # REQUEST (a new or moved appointment) or CANCEL, as the .ics says
    # the message built and flattened once, by the dispatcher's check (``flatten``); a transport sends these bytes
    flattened: Flattened | None = field(default=None, compare=False, repr=False)


@lru_cache(maxsize=4096)
def check_address(address: str) -> str:
    """The address as it can go into a mail: one ``local@domain``, the domain IDNA-encoded.

    Raises BadAddress naming what is wrong (a pure function: the answers for good addresses are remembered, the
    dispatch asks twice per message). An internationalised local part (``élodie@…``, which booking accepts)
    is kept: it needs a server that offers SMTPUTF8, and one that does not refuses it for good (that row only).
    """
    if not address or any(ord(ch) < 32 or ord(ch) == 127 for ch in address) or address != address.strip():
        raise BadAddress(f"not an address: {address!r}")
    name, parsed = parseaddr(address)
    if name or parsed != address or address.count("@") != 1:
        raise BadAddress(f"not one plain address: {address!r}")
    local, domain = address.split("@")
    if not local or not domain or any(ch.isspace() for ch in address):
        raise BadAddress(f"not an address: {address!r}")
    try:
        local.encode("utf-8")  # a lone surrogate (bytes that were never text) cannot go anywhere
        ascii_domain = domain.encode("idna").decode("ascii")
    except (UnicodeError, ValueError) as error:
        raise BadAddress(f"cannot be encoded for mail: {address!r} ({error})") from error
    return f"{local}@{ascii_domain}"


class MailSender(Protocol):
    def send(self, message: Message) -> None: ...


def build_email(message: Message, sender: str) -> EmailMessage:
    """The MIME message. Raises BadAddress, or ValueError/UnicodeError for a header or part that cannot be
    encoded (``flatten`` finds the ones that fail only when flattened, as the transport would)."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = check_address(message.to)
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    # A stable Message-ID per notification: a resend after a crash is recognisable as the same message.
    email["Message-ID"] = message.message_id
    for name, value in message.headers.items():
        email[name] = value
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    if message.ics:
        email.add_attachment(
            message.ics.encode(),
            maintype="text",
            subtype="calendar",
            filename="uitleen.ics",
            params={"method": message.ics_method, "charset": "utf-8"},
        )
    return email


def flatten(email: EmailMessage) -> Flattened:
    """The bytes the SMTP transport sends, made once (as ``send_message`` does: UTF-8 headers and SMTPUTF8 when an
    address is international). Raises ValueError/UnicodeError for a header or part that cannot be encoded."""
    sender = getaddresses([str(email["From"])])[0][1]
    recipients = tuple(address for _, address in getaddresses([str(email["To"])]))
    international = not all(address.isascii() for address in (sender, *recipients))
    data = email.as_bytes(policy=policy.SMTPUTF8 if international else policy.SMTP)
    return Flattened(sender, recipients, data, international)


def built(message: Message, sender: str) -> Message:
    """``message`` with its MIME form built and flattened (``flattened``): what the transport will send, so a
    message that cannot be encoded fails here, once, and is not built a second time by the transport.

    Written directly (``mime.flatten_fast``: the same bytes, without the ``email`` package's per-header parsing)
    when the message has one of the usual shapes; else by ``build_email`` + ``flatten``. Raises BadAddress, or
    ValueError/UnicodeError for a header or part that cannot be encoded."""
    if not message.headers:
        to = check_address(message.to)
        envelope_sender = _envelope_sender(sender)
        if mime.is_plain_address(to):
            recipients: tuple[str, ...] = (to,)
        else:
            recipients = tuple(address for _, address in getaddresses([mime.rendered("To", to)]))
        international = not all(address.isascii() for address in (envelope_sender, *recipients))
        data = mime.flatten_fast(
            sender,
            to,
            message.subject,
            formatdate(localtime=False),
            message.message_id,
            message.text,
            message.html,
            message.ics,
            message.ics_method,
            international,
        )
        if data is not None:
            return replace(message, flattened=Flattened(envelope_sender, recipients, data, international))
    return replace(message, flattened=flatten(build_email(message, sender)))


@lru_cache(maxsize=8)
def _envelope_sender(sender: str) -> str:
    return getaddresses([mime.rendered("From", sender)])[0][1]


def notification_message_id(notification_id: int) -> str:
    return f"<notification-{notification_id}@uitleen.stad.gent>"


class SmtpSender:
    """SMTP, one connection per message; or, inside ``with sender.session():`` (one dispatch tick), one
    connection for every message of the block: opened at the first send, reopened once when a message finds
    it dropped (the server closed an idle connection, or went away between two messages), closed at the end."""

    def __init__(self, config: NotifyConfig) -> None:
        self.config = config
        self._local = threading.local()  # the session's connection, per thread

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.smtp_security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                c.smtp_host, c.smtp_port, timeout=c.smtp_timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.smtp_timeout)
        try:
            if c.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if c.smtp_username:
                smtp.login(c.smtp_username, c.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    @contextmanager
    def session(self) -> Iterator[None]:
        """Every ``send`` inside the block shares one connection (see the class). Nests: the outer one closes."""
        if getattr(self._local, "active", False):
            yield
            return
        self._local.active, self._local.smtp = True, None
        try:
            yield
        finally:
            self._local.active = False
            self._drop(polite=True)

    def _drop(self, polite: bool = False) -> None:
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is None:
            return
        try:
            if polite:
                smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    @staticmethod
    def _transmit(smtp: smtplib.SMTP, mail: Flattened) -> None:
        """``send_message`` without building the message again: the bytes were made by ``flatten``."""
        options: tuple[str, ...] = ()
        if mail.smtputf8:
            smtp.ehlo_or_helo_if_needed()
            if not smtp.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError("an address needs SMTPUTF8, which the server does not offer")
            options = ("SMTPUTF8", "BODY=8BITMIME")
        smtp.sendmail(mail.sender, list(mail.recipients), mail.data, options)

    def _send_in_session(self, mail: Flattened) -> None:
        smtp: smtplib.SMTP | None = self._local.smtp
        if smtp is not None:
            try:
                self._transmit(smtp, mail)
                return
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                # dropped while idle or between messages: once more on a fresh connection (a message the server
                # had accepted before dropping goes out again, with the same Message-ID: at most one extra copy)
                log.info("SMTP connection dropped; reconnecting once")
                self._drop()
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
                # smtplib reset the transaction: the connection is still good, unless the server is closing it
                if getattr(error, "smtp_code", None) == 421:
                    self._drop()
                raise
            except BaseException:
                self._drop()  # the conversation's state is unknown: the next message starts afresh
                raise
        self._local.smtp = self._connect()
        try:
            self._transmit(self._local.smtp, mail)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            if getattr(error, "smtp_code", None) == 421:
                self._drop()
            raise
        except BaseException:
            self._drop()
            raise

    def send(self, message: Message) -> None:
        """Raises TemporaryFailure or PermanentFailure (see the module docstring)."""
        try:
            mail = message.flattened or flatten(build_email(message, self.config.mail_from))
        except (ValueError, UnicodeError, TypeError) as error:
            raise PermanentFailure(f"cannot be encoded: {type(error).__name__}: {error}") from error
        try:
            if getattr(self._local, "active", False):
                self._send_in_session(mail)
            else:
                with self._connect() as smtp:
                    self._transmit(smtp, mail)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(400 <= code < 500 for code in codes):
                raise TemporaryFailure(f"recipient refused for now: {error.recipients}") from error
            raise PermanentFailure(f"recipient refused: {error.recipients}") from error
        except smtplib.SMTPResponseException as error:
            if 400 <= error.smtp_code < 500:
                raise TemporaryFailure(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from error
            raise PermanentFailure(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from error
        except smtplib.SMTPNotSupportedError as error:  # an SMTPException, hence an OSError: caught before those
            raise PermanentFailure(f"{type(error).__name__}: {error}") from error
        except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as error:
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
        except smtplib.SMTPException as error:
            raise PermanentFailure(f"{type(error).__name__}: {error}") from error
        except (ValueError, UnicodeError) as error:  # a part the server's extensions cannot carry
            raise PermanentFailure(f"cannot be encoded: {type(error).__name__}: {error}") from error


@contextmanager
def sending_session(sender: MailSender) -> Iterator[None]:
    """The sender's ``session()`` when it has one (SMTP: one connection for the block), else nothing."""
    session = getattr(sender, "session", None)
    if session is None:
        yield
        return
    with session():
        yield


class CaptureSender:
    """Keeps the mail in notify's own database instead of sending it (embedded default, tests)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def send(self, message: Message) -> None:
        with self.session_factory() as session, session.begin():
            session.add(
                CapturedMail(
                    message_id=message.message_id,
                    recipient=message.to,
                    subject=message.subject,
                    text=message.text,
                    html=message.html,
                    ics=message.ics,
                )
            )


def make_sender(config: NotifyConfig, session_factory: sessionmaker[Session]) -> MailSender:
    return SmtpSender(config) if config.mail_backend == "smtp" else CaptureSender(session_factory)


def new_message_id() -> str:
    return make_msgid(domain="uitleen.stad.gent")
