"""Flask-WTF forms of the HTML face: shape and type only, rules live in the services.

`submit` is the one copy of the block every page's POST runs: validate the form, call one service
function, then flash and redirect (PRG), or put the service's field errors back on the form and
say which status the re-rendered page answers with (and its headers: a 429's Retry-After).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import flash, redirect
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from expense_app.errors import Conflict, TooManyAttempts, ValidationFailed
from expense_app.ops.rate_limits import keep_retry_after

T = TypeVar("T")


def apply_service_errors(form: FlaskForm, error: ValidationFailed | Conflict) -> None:
    """Attach a service's field errors to the matching form fields (or the form's own list).

    A Conflict's message says what clashed (a category still in use, a concurrent change): it is
    shown above the form unless a field already carries it.
    """
    field_messages = [message for messages in error.errors.values() for message in messages]
    if isinstance(error, Conflict) and error.message not in field_messages:
        form.form_errors.append(error.message)
    for field_name, messages in error.errors.items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.extend(messages)


@dataclass(frozen=True)
class Submission(Generic[T]):
    """What became of a submitted form: `response` is the redirect after success (None otherwise);
    `status` is what the re-rendered page answers with: 200 (not submitted), 422, 409 or 429 (a
    locked account), with `headers` to send along (a 429's Retry-After)."""

    response: Response | None
    status: int
    result: T | None = None
    headers: dict[str, str] | None = None


def submit(
    form: FlaskForm,
    action: Callable[[], T],
    *,
    message: Callable[[T], str] | str,
    next_url: Callable[[T], str] | str,
    category: str = "success",
) -> Submission[T]:
    """Validate `form` (POST + CSRF) and run `action`, the one service call, when it is valid.

    On success flash `message` and redirect to `next_url` (either may be computed from the
    service's result). A ValidationFailed or Conflict from the service puts its messages on the
    form and nothing is stored: the service's unit of work rolled back.
    """
    if not form.validate_on_submit():
        return Submission(None, 422 if form.is_submitted() else 200)
    try:
        result = action()
    except ValidationFailed as error:
        apply_service_errors(form, error)
        return Submission(None, 422)
    except Conflict as error:
        apply_service_errors(form, error)
        return Submission(None, 409)
    except TooManyAttempts as error:
        # A locked account is said above the form, with 429 and the account's Retry-After (kept
        # over the rate limiter's own window), as the API face answers it. Other service errors
        # (NotFound, Forbidden) still reach the error handler: their pages are not form errors.
        form.form_errors.append(error.message)
        return Submission(None, error.status_code, headers=keep_retry_after(error.retry_after))
    flash(message(result) if callable(message) else message, category)
    return Submission(redirect(next_url(result) if callable(next_url) else next_url), 302, result)
