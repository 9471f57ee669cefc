"""Account security state (issue 16): second factor, access tokens, browser sessions, audit log.

- `RecoveryCode`: the ten single-use codes of a user with two-factor sign-in; only a SHA-256 of
  each is stored (a code has 80 random bits, so a fast hash is enough).
- `MfaChallenge`: the short-lived, single-use ticket between a correct password and the second
  factor (the API's `mfa_token`, the login page's second step). Only its SHA-256 is stored.
- `PersonalAccessToken`: a long-lived API credential for scripts (`em_pat_...`), scoped; only the
  SHA-256 of the token is stored, never the token.
- `WebSession`: one browser sign-in. Its random id travels in the signed session cookie and in
  the remember-me cookie, and only its SHA-256 is stored; ending the row ends both cookies.
- `SecurityEvent`: the account's security log (sign-in, failed sign-in, 2FA on/off, ...), without
  secrets.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base, UTCDateTime, utcnow

# What a token or a challenge is stored as: the hex SHA-256 of the secret.
DIGEST_LENGTH = 64
CLIENT_ADDRESS_LENGTH = 45  # the longest textual IPv6 address
USER_AGENT_LENGTH = 200

MFA_PURPOSES = ("api", "web")
SECURITY_EVENT_KINDS = (
    "sign_in",
    "sign_in_failed",
    "sign_in_locked",
    "sign_out",
    "mfa_enabled",
    "mfa_disabled",
    "mfa_failed",
    "recovery_code_used",
    "recovery_codes_regenerated",
    "token_created",
    "token_revoked",
    "password_changed",
    "password_reset_requested",
    "password_reset",
    "session_ended",
)


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(DIGEST_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash", name="uq_recovery_codes_user_id_code_hash"),)


class MfaChallenge(Base):
    __tablename__ = "mfa_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(DIGEST_LENGTH), unique=True)
    purpose: Mapped[str] = mapped_column(sa.String(10))
    # The login form's "remember me", carried to the second step.
    remember: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.CheckConstraint("purpose IN ('api', 'web')", name="purpose"),)


class PersonalAccessToken(Base):
    __tablename__ = "personal_access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(DIGEST_LENGTH), unique=True)
    # A sorted list of scope names, e.g. ["read"] or ["read", "write"].
    scopes: Mapped[list] = mapped_column(sa.JSON())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<PersonalAccessToken {self.id} user={self.user_id}>"


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sid_hash: Mapped[str] = mapped_column(sa.String(DIGEST_LENGTH), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    client_address: Mapped[str | None] = mapped_column(sa.String(CLIENT_ADDRESS_LENGTH))
    user_agent: Mapped[str | None] = mapped_column(sa.String(USER_AGENT_LENGTH))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<WebSession {self.id} user={self.user_id}>"


class SecurityEvent(Base):
    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    client_address: Mapped[str | None] = mapped_column(sa.String(CLIENT_ADDRESS_LENGTH))
    user_agent: Mapped[str | None] = mapped_column(sa.String(USER_AGENT_LENGTH))
    # Non-secret details: the face ("web"/"api"), a token's name, how many codes are left...
    detail: Mapped[dict] = mapped_column(sa.JSON(), default=dict)

    __table_args__ = (sa.Index("ix_security_events_user_id_created_at", "user_id", "created_at"),)
