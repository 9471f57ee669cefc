"""Recovery codes of two-factor sign-in: ten single-use codes, shown once, stored hashed.

A code is 80 random bits written as 16 lower-case base32 characters in groups of four
(`abcd-efgh-ijkl-mnop`). Only `sign_ins.digest` of the normalised code is stored: 80 random bits
need no slow hash. Using one is an atomic single-use UPDATE, so two requests with one code cannot
both pass.
"""

from __future__ import annotations

import base64
import secrets

import sqlalchemy as sa

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import RecoveryCode, User
from expense_app.models.base import utcnow
from expense_app.services import security_log
from expense_app.services.sign_ins import digest
from expense_app.services.unit_of_work import transaction

COUNT = 10
_BYTES = 10  # 80 bits: 16 base32 characters
_LENGTH = 16
_GROUP = 4
BAD_SHAPE = "Enter a recovery code like abcd-efgh-ijkl-mnop (16 letters and digits)."


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(_BYTES)).decode("ascii").lower()
    return "-".join(raw[i : i + _GROUP] for i in range(0, _LENGTH, _GROUP))


def normalise(code: str | None) -> str:
    """The code without spaces and dashes, lower-case; ValidationFailed when it cannot be one."""
    cleaned = "".join(code.split()).replace("-", "").lower() if isinstance(code, str) else ""
    if len(cleaned) != _LENGTH or not cleaned.isascii() or not cleaned.isalnum():
        raise ValidationFailed({"recovery_code": [BAD_SHAPE]})
    return cleaned


def replace_all(*, user: User) -> list[str]:
    """Delete the user's codes and create COUNT new ones; return them (the only time they are seen)."""
    codes = [_new_code() for _ in range(COUNT)]
    with transaction() as session:
        session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        session.add_all(RecoveryCode(user_id=user.id, code_hash=digest(normalise(code))) for code in codes)
    return codes


def delete_all(*, user: User) -> None:
    with transaction() as session:
        session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def remaining(*, user: User) -> int:
    """How many unused recovery codes the user has."""
    return db.session.scalar(
        sa.select(sa.func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def use(*, user: User, code: str, face: str | None = None) -> int | None:
    """Spend one recovery code of `user`; return how many are left, or None when it is not valid.

    ValidationFailed when `code` does not have the shape of a recovery code.
    """
    code_hash = digest(normalise(code))
    with transaction() as session:
        spent = session.execute(
            sa.update(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == code_hash, RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if spent != 1:
            return None
        left = remaining(user=user)
        security_log.record(user.id, "recovery_code_used", remaining=left, **({"face": face} if face else {}))
    return left
