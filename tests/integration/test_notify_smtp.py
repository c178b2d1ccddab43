"""The SMTP transport against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.notify.config import NotifyConfig
from services.notify.domain.mail import Message, PermanentFailure, SmtpSender, TemporaryFailure
from tests.support.smtp import SmtpServer, free_port


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def message(to: str = "an@example.org") -> Message:
    return Message(
        to, "Onderwerp", "tekst", "<p>tekst</p>", "<notification-1@uitleen.stad.gent>", ics="BEGIN:VCALENDAR"
    )


def test_sends_text_html_and_ics(smtp: SmtpServer) -> None:
    SmtpSender(NotifyConfig(smtp_port=smtp.port, mail_backend="smtp")).send(message())
    received = smtp.recorder.messages[0]
    assert received["Message-ID"] == "<notification-1@uitleen.stad.gent>"
    parts = [part.get_content_type() for part in received.walk()]
    assert "text/plain" in parts and "text/html" in parts and "text/calendar" in parts


def test_connection_refused_is_temporary() -> None:
    with pytest.raises(TemporaryFailure):
        SmtpSender(NotifyConfig(smtp_port=free_port(), mail_backend="smtp", smtp_timeout=2)).send(message())


def test_4xx_is_temporary_and_5xx_permanent(smtp: SmtpServer) -> None:
    def refuse(code: str) -> None:
        async def handle_RCPT(server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            return code

        smtp.recorder.handle_RCPT = handle_RCPT  # type: ignore[attr-defined]

    sender = SmtpSender(NotifyConfig(smtp_port=smtp.port, mail_backend="smtp"))
    refuse("451 4.3.0 try again later")
    with pytest.raises(TemporaryFailure):
        sender.send(message())
    refuse("550 5.1.1 no such mailbox")
    with pytest.raises(PermanentFailure):
        sender.send(message())
