"""Accounts: registration, credentials, profile, password change and account deletion."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from expense_app.errors import AuthError, Conflict, ValidationFailed
from expense_app.extensions import db
from expense_app.models import DEFAULT_CATEGORIES, Category, Expense, ExpenseStats, Tag, TokenFamily, User, expense_tags
from expense_app.security import hash_password, password_needs_rehash, verify_password
from expense_app.services import tokens
from expense_app.services.rules import Errors, add_error, clean_currency, clean_text, raise_if

logger = logging.getLogger(__name__)

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
INVALID_CREDENTIALS = "Invalid email or password."


def normalize_email(email: str | None) -> str:
    """Trim and lower-case an email address, the form in which it is stored and compared."""
    return (email or "").strip().lower()


def _check_password(errors: Errors, field: str, password: str | None) -> None:
    if password is None or not (PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH):
        add_error(errors, field, f"Must be between {PASSWORD_MIN_LENGTH} and {PASSWORD_MAX_LENGTH} characters.")


def _check_email(errors: Errors, email: str) -> None:
    # The faces check the format with email-validator; this guards the invariants the database needs.
    if not email or "@" not in email or len(email) > 254:
        add_error(errors, "email", "Must be a valid email address.")


def register_user(*, email: str, password: str, full_name: str = "", currency: str = "USD") -> User:
    """Create an account with the starter categories and return it.

    Raises ValidationFailed for bad input and Conflict when the email is taken.
    """
    errors: Errors = {}
    email = normalize_email(email)
    _check_email(errors, email)
    _check_password(errors, "password", password)
    full_name = clean_text(errors, "full_name", full_name, max_length=100)
    currency = clean_currency(errors, "currency", currency or "USD")
    raise_if(errors)

    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this email already exists.", {"email": ["This email is already registered."]})
    user = User(email=email, password_hash=hash_password(password), full_name=full_name, currency=currency)
    db.session.add(user)
    try:
        db.session.flush()
        db.session.add_all(
            Category(user_id=user.id, name=name, name_key=name.casefold(), color=color)
            for name, color in DEFAULT_CATEGORIES
        )
        db.session.commit()
    except IntegrityError:
        # Two registrations raced for one email; the unique constraint decided.
        db.session.rollback()
        raise Conflict(
            "An account with this email already exists.", {"email": ["This email is already registered."]}
        ) from None
    logger.info("user registered", extra={"user_id": user.id})
    return user


def authenticate(*, email: str, password: str) -> User:
    """Return the active user with these credentials; AuthError otherwise.

    The message is the same for an unknown email and a wrong password.
    """
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if not verify_password(user.password_hash if user else None, password or "") or not user.is_active:
        logger.info("login failed", extra={"user_id": user.id if user else None})
        raise AuthError(INVALID_CREDENTIALS)
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    logger.info("login succeeded", extra={"user_id": user.id})
    return user


def update_profile(*, user: User, full_name: str | None = None, currency: str | None = None) -> User:
    """Change the name and/or default currency (None leaves a field as it is); return the user."""
    errors: Errors = {}
    changes = {}
    if full_name is not None:
        changes["full_name"] = clean_text(errors, "full_name", full_name, max_length=100)
    if currency is not None:
        changes["currency"] = clean_currency(errors, "currency", currency)
    raise_if(errors)
    for field, value in changes.items():
        setattr(user, field, value)
    db.session.commit()
    return user


def change_password(*, user: User, current_password: str, new_password: str) -> User:
    """Replace the password, end every other session and revoke every API token.

    Raises ValidationFailed when the current password is wrong or the new one is invalid.
    """
    errors: Errors = {}
    if not verify_password(user.password_hash, current_password or ""):
        add_error(errors, "current_password", "The current password is not correct.")
    _check_password(errors, "new_password", new_password)
    raise_if(errors)
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    tokens.revoke_all_for_user(user=user)
    db.session.commit()
    logger.info("password changed; all tokens revoked", extra={"user_id": user.id})
    return user


def delete_account(*, user: User, password: str | None = None) -> None:
    """Delete the user and every row they own, in one transaction.

    When `password` is given (the web form asks for it) it must be correct, else ValidationFailed.
    """
    if password is not None and not verify_password(user.password_hash, password):
        raise ValidationFailed({"password": ["The password is not correct."]})
    user_id = user.id
    owned_expenses = sa.select(Expense.id).where(Expense.user_id == user_id)
    # Explicit deletes, children first: correct on SQLite even without foreign-key enforcement.
    db.session.execute(sa.delete(expense_tags).where(expense_tags.c.expense_id.in_(owned_expenses)))
    for model in (Expense, ExpenseStats, Tag, Category, TokenFamily):
        db.session.execute(sa.delete(model).where(model.user_id == user_id))
    db.session.execute(sa.delete(User).where(User.id == user_id))
    db.session.commit()
    db.session.expunge_all()
    logger.info("account deleted", extra={"user_id": user_id})
