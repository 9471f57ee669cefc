"""Accounts: registration, credentials, profile, password change and account deletion.

Every password check (sign-in, password change, account deletion) goes through the per-account
limit (`account_throttle`, keyed by email): refused while the account is locked, even with the
right password, and a failure counted on a wrong one. An unknown email is treated exactly as a
known one with a wrong password: the same message and status, one argon2 verification each
(`passwords.verify_password`), the same lockout. Registration hashes the password whether or not
the email is taken, so the answer's timing does not say which.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import sqlalchemy as sa

from expense_app.errors import AuthError, Conflict, TooManyAttempts, ValidationFailed
from expense_app.extensions import db
from expense_app.models import DEFAULT_CATEGORIES, Category, User
from expense_app.models.base import utcnow
from expense_app.passwords import hash_password, password_needs_rehash, verify_password
from expense_app.services import account_throttle, security_log, sign_ins, tokens
from expense_app.services.base_currency import change_base_currency
from expense_app.services.locales import DEFAULT_LOCALE, clean_locale
from expense_app.services.rules import Errors, add_error, clean_currency, clean_text, has_control_characters, raise_if
from expense_app.services.unit_of_work import transaction

logger = logging.getLogger(__name__)

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
EMAIL_MAX_LENGTH = 254
INVALID_CREDENTIALS = "Invalid email or password."
EMAIL_TAKEN = "An account with this email already exists."
EMAIL_REGISTERED = "This email is already registered: log in, or use another address."
EMAIL_FORMAT = "Enter an email address like name@example.com."
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def normalize_email(email: str | None) -> str:
    """Trim and lower-case an email address, the form in which it is stored and compared."""
    return email.strip().lower() if isinstance(email, str) else ""


# A context word shorter than this is checked for equality only ("Al" inside a passphrase is fine).
CONTEXT_PART_MIN_LENGTH = 4


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """zxcvbn's bundled list of the 30,000 most frequent passwords, lower-cased (read once)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def _is_common(password: str) -> bool:
    """In the common list as typed (any case, outer spaces ignored), or once trailing digits go:
    `Dragon2024` is `dragon` with a year, and guessers try exactly that."""
    folded = password.strip().lower()
    stripped = folded.rstrip("0123456789")
    return folded in common_passwords() or (bool(stripped) and stripped in common_passwords())


def _context_parts(email: str | None, full_name: str | None) -> list[str]:
    parts = []
    email = normalize_email(email)
    if email:
        parts.append(email)
        local = email.partition("@")[0]
        if local:
            parts.append(local)
    if isinstance(full_name, str) and full_name.strip():
        parts.append(full_name.strip().lower())
    return parts


def check_password(
    errors: Errors, field: str, password: str | None, *, email: str | None = None, full_name: str | None = None
) -> None:
    """The password rule, the only copy (OWASP ASVS 6.2), for every face and every path that sets one:

    - PASSWORD_MIN_LENGTH to PASSWORD_MAX_LENGTH characters, no NUL (argon2 hashes bytes up to it
      on some platforms), not only whitespace; other control characters are allowed (a password
      is never displayed or searched);
    - not one of the 30,000 most common passwords (zxcvbn's list), in any case, also with its
      trailing digits removed (`Password123`);
    - not the account's email, the part before its @, or its name, in any case; and none of those
      inside it when it has at least CONTEXT_PART_MIN_LENGTH characters (`alex.doe-2024`).
    """
    if not isinstance(password, str) or not password:
        add_error(errors, field, f"Choose a password of at least {PASSWORD_MIN_LENGTH} characters.")
    elif len(password) < PASSWORD_MIN_LENGTH:
        add_error(errors, field, f"Use at least {PASSWORD_MIN_LENGTH} characters (you typed {len(password)}).")
    elif len(password) > PASSWORD_MAX_LENGTH:
        add_error(errors, field, f"Use at most {PASSWORD_MAX_LENGTH} characters (you typed {len(password)}).")
    elif "\x00" in password:
        add_error(errors, field, "Remove the NUL character from the password.")
    elif not password.strip():
        add_error(errors, field, "A password of only spaces is too easy to guess; use words or other characters.")
    elif _is_common(password):
        add_error(
            errors, field, "This is one of the most common passwords, tried first by every guesser; choose another."
        )
    else:
        folded = password.strip().lower()
        for part in _context_parts(email, full_name):
            if folded == part or (len(part) >= CONTEXT_PART_MIN_LENGTH and part in folded):
                add_error(errors, field, "Do not use your email address or your name in the password.")
                break


def _check_email(errors: Errors, email: str) -> None:
    """The address rule: `local@domain.tld` (one @, no spaces, a dot in the domain), at most
    EMAIL_MAX_LENGTH characters, no control characters. No deliverability or special-use check:
    the app never sends mail, and `@bench.local` or `@example.test` addresses are fine here."""
    if not email:
        add_error(errors, "email", "Enter your email address, e.g. name@example.com.")
    elif len(email) > EMAIL_MAX_LENGTH or has_control_characters(email) or not _EMAIL_SHAPE.fullmatch(email):
        add_error(errors, "email", EMAIL_FORMAT)


def _email_registered(email: str) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.email == email)) is not None


def register_user(
    *, email: str, password: str, full_name: str = "", currency: str = "USD", locale: str | None = None
) -> User:
    """Create an account with the starter categories and return it.

    `locale` (a Babel id, see `locales.clean_locale`) says how pages write figures; None means
    `DEFAULT_LOCALE`. Raises ValidationFailed for bad input, every field's problem at once, a
    taken email among them; Conflict when the taken email is the only problem.
    """
    errors: Errors = {}
    email = normalize_email(email)
    _check_email(errors, email)
    full_name = clean_text(errors, "full_name", full_name, max_length=100)
    check_password(errors, "password", password, email=email, full_name=full_name)
    currency = clean_currency(errors, "currency", currency or "USD")
    locale = clean_locale(errors, "locale", DEFAULT_LOCALE if locale is None else locale)
    taken = Conflict(EMAIL_TAKEN, {"email": [EMAIL_REGISTERED]})
    # Hashed before the email is looked up, whatever the answer will be: a taken email answered
    # without the hash (10 ms against 169 ms, issue 16) told anyone which addresses have accounts.
    password_hash = hash_password(password) if "password" not in errors else None
    # Checked with the other fields, so a person fixing a short password learns at the same time
    # that the address already has an account (not only after the password is right).
    if "email" not in errors and _email_registered(email):
        if not errors:
            raise taken
        add_error(errors, "email", EMAIL_REGISTERED)
    raise_if(errors)

    # Two registrations racing for one email: the unique constraint decides, and the loser gets `taken`.
    with transaction(conflict=taken) as session:
        if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
            raise taken
        user = User(email=email, password_hash=password_hash, full_name=full_name, currency=currency, locale=locale)
        session.add(user)
        session.flush()
        session.add_all(
            Category(user_id=user.id, name=name, name_key=name.casefold(), color=color)
            for name, color in DEFAULT_CATEGORIES
        )
    logger.info("user registered", extra={"user_id": user.id})
    return user


def authenticate(*, email: str, password: str) -> User:
    """Return the active user with these credentials; AuthError otherwise.

    The message, the status and the work are the same for an unknown email and a wrong password.
    TooManyAttempts while the account's failed-attempt limit is spent (the password is then not
    even checked). The limit is cleared here only for an account without 2FA: with 2FA the
    sign-in is complete (and the limit cleared) after the second factor.
    """
    email = normalize_email(email)
    if has_control_characters(email) or len(email) > EMAIL_MAX_LENGTH:
        raise ValidationFailed({"email": [EMAIL_FORMAT]})
    password = password if isinstance(password, str) else ""
    user = db.session.scalar(sa.select(User).where(User.email == email))
    try:
        account_throttle.check(email)
    except TooManyAttempts:
        security_log.record(user.id if user else None, "sign_in_locked")
        raise
    if not verify_password(user.password_hash if user else None, password) or not user.is_active:
        account_throttle.record_failure(email)
        logger.info("login failed", extra={"user_id": user.id if user else None})
        security_log.record(user.id if user else None, "sign_in_failed")
        raise AuthError(INVALID_CREDENTIALS)
    if password_needs_rehash(user.password_hash):
        with transaction():
            user.password_hash = hash_password(password)
    if not user.mfa_enabled:
        account_throttle.clear(email)
    logger.info("login succeeded", extra={"user_id": user.id})
    return user


def _check_current_password(user: User, password: str | None) -> bool:
    """Verify a signed-in user's password under the account's limit (TooManyAttempts when spent)."""
    account_throttle.check(user.email)
    if verify_password(user.password_hash, password if isinstance(password, str) else ""):
        return True
    account_throttle.record_failure(user.email)
    security_log.record(user.id, "sign_in_failed", check="current_password")
    return False


def login_for_tokens(*, email: str, password: str) -> dict:
    """Check the credentials and return a new API token pair; AuthError when they are wrong."""
    return tokens.issue_token_pair(user=authenticate(email=email, password=password))


def update_profile(
    *,
    user: User,
    full_name: str | None = None,
    currency: str | None = None,
    locale: str | None = None,
    budgets: str = "keep",
) -> User:
    """Change the name, base currency and/or locale (None leaves a field as it is); return the user.

    A new base currency re-converts every expense, and with `budgets="convert"` the budget
    amounts (`base_currency.change_base_currency`), in the same transaction as the other fields:
    when it is refused, nothing changes.
    """
    errors: Errors = {}
    changes = {}
    if full_name is not None:
        changes["full_name"] = clean_text(errors, "full_name", full_name, max_length=100)
    if currency is not None:
        currency = clean_currency(errors, "currency", currency)
    if locale is not None:
        changes["locale"] = clean_locale(errors, "locale", locale)
    raise_if(errors)
    with transaction():
        for field, value in changes.items():
            setattr(user, field, value)
        if currency is not None and currency != user.currency:
            change_base_currency(user=user, currency=currency, budgets=budgets)
    return user


def change_password(*, user: User, current_password: str, new_password: str) -> User:
    """Replace the password and end every sign-in: browser sessions, token families, access tokens.

    Raises ValidationFailed when the current password is wrong or the new one is invalid,
    TooManyAttempts while the account's failed-attempt limit is spent.
    """
    errors: Errors = {}
    if not _check_current_password(user, current_password):
        add_error(errors, "current_password", "The current password is not correct.")
    replace_password(user=user, new_password=new_password, event="password_changed", errors=errors)
    logger.info("password changed", extra={"user_id": user.id})
    return user


def replace_password(*, user: User, new_password: str, event: str, errors: Errors | None = None, **detail) -> User:
    """Set a new password (after the password rule) and end every sign-in of `user`; log `event`.

    The one place a password is replaced: Settings (`change_password`), a reset link and the
    operator's command (`password_reset`). `errors` holds the caller's own refusals, reported
    together with the rule's.
    """
    errors = {} if errors is None else errors
    check_password(errors, "new_password", new_password, email=user.email, full_name=user.full_name)
    raise_if(errors)
    password_hash = hash_password(new_password)
    with transaction():
        user.password_hash = password_hash
        user.password_changed_at = utcnow()
        sign_ins.end_everything(user=user)
        security_log.record(user.id, event, **detail)
    return user


def _owned_rows(table: sa.Table, user_id: int):
    """A condition selecting the rows of `table` that belong to `user_id`, or None when it has none.

    A table with a `user_id` column is owned directly; one without (tag links, budget versions,
    occurrences) through a foreign key to an owned table, at any depth.
    """
    if "user_id" in table.c:
        return table.c.user_id == user_id
    for fk in table.foreign_keys:
        parent = fk.column.table
        if parent is table or parent.name == User.__tablename__:
            continue
        owned_parent = _owned_rows(parent, user_id)
        if owned_parent is not None:
            return fk.parent.in_(sa.select(fk.column).where(owned_parent))
    return None


def delete_account(*, user: User, password: str | None = None) -> None:
    """Delete the user and every row they own, in one transaction.

    The tables come from the models' metadata, children before parents, so a table added later is
    covered without touching this function. When `password` is given (the web form asks for it)
    it must be correct, else ValidationFailed (TooManyAttempts while the account's limit is spent).
    """
    if password is not None and not _check_current_password(user, password):
        raise ValidationFailed({"password": ["The password is not correct."]})
    user_id = user.id
    with transaction(conflict=Conflict("The account changed while it was being deleted; please try again.")) as session:
        for table in reversed(db.metadata.sorted_tables):
            owned = _owned_rows(table, user_id)
            if owned is not None:
                session.execute(sa.delete(table).where(owned))
        session.execute(sa.delete(User.__table__).where(User.__table__.c.id == user_id))
    db.session.expunge_all()
    logger.info("account deleted", extra={"user_id": user_id})
