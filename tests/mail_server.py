"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), and an app that sends mail to it.

`smtp_server` collects every message it receives (parsed, `email.message.EmailMessage`);
`mail_app` is a testing app whose MAIL_* settings point at it (the SMTP backend, not the
in-memory one flask-mailman uses under TESTING).
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller


class CollectingHandler:
    """Keeps every message; `gate` (when set) holds each delivery until it is released."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Event()
        self.gate: threading.Event | None = None
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        if self.gate is not None:
            self.gate.wait(10)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.arrived.set()
        return "250 OK"

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = CollectingHandler()
    handler.port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        if handler.gate is not None:
            handler.gate.set()
        controller.stop()


@pytest.fixture
def mail_app(app_factory, smtp_server):
    """An app that mails through `smtp_server` (plain SMTP on 127.0.0.1, no TLS, no login)."""
    port = smtp_server_port(smtp_server)
    return app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_BACKEND="smtp", MAIL_TIMEOUT=5)


def smtp_server_port(handler: CollectingHandler) -> int:
    return handler.port


def text_and_html(message: email.message.EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def link_in(text: str) -> str:
    """The path of the reset link in a mail's text (`/reset-password/<token>`)."""
    match = re.search(r"https?://[^/\s]+(/reset-password/[^\s]+)", text)
    assert match, text
    return match.group(1)
