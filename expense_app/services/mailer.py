"""Outgoing mail (flask-mailman): whether mail is configured, sending, and work off the request thread.

A page that may send a mail (the forgotten-password form) hands everything that depends on the
account to `in_background`, so it answers in the same time whether or not a mail goes out: the
SMTP round trip (and the rendering, the log row) would otherwise tell an observer that the address
has an account. A failure there is logged (never a message body: it holds a reset link) and does
not reach the visitor, who was told the same thing either way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from flask import copy_current_request_context, current_app, has_request_context
from flask_mailman import EmailMultiAlternatives

logger = logging.getLogger(__name__)

# Threads started by `in_background` that may still run, so tests (and a shutdown) can wait for them.
_pending: list[threading.Thread] = []


def mail_configured() -> bool:
    """True when `MAIL_SERVER` is set: without it the app sends no mail and offers no mail flow."""
    return bool(current_app.config.get("MAIL_SERVER"))


def send(*, to: str, subject: str, text: str, html: str) -> None:
    """Send a text + HTML message to `to` now (SMTP errors propagate)."""
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


def in_background(work: Callable[[], None], *, purpose: str) -> threading.Thread:
    """Run `work` on a new thread, in a copy of this request's context (or in the app context)."""
    app = current_app._get_current_object()
    if has_request_context():
        work = copy_current_request_context(work)

    def run() -> None:
        try:
            if has_request_context():
                work()
            else:
                with app.app_context():
                    work()
        except Exception as error:  # SMTP down or refusing: logged, the visitor was already answered
            logger.warning("background %s failed", purpose, extra={"purpose": purpose, "error": type(error).__name__})

    thread = threading.Thread(target=run, name=f"mail-{purpose}", daemon=True)
    _pending[:] = [pending for pending in _pending if pending.is_alive()]
    _pending.append(thread)
    thread.start()
    return thread


def wait_for_pending(timeout: float = 10.0) -> None:
    """Wait until the work started by `in_background` has finished (or failed)."""
    for thread in list(_pending):
        thread.join(timeout)
