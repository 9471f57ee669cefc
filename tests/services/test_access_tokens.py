"""The personal access tokens service: creation rules, what is stored, listing, revoking, lookup."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict, NotFound, TooManyAttempts, ValidationFailed
from expense_app.extensions import db
from expense_app.models import PersonalAccessToken, SecurityEvent, User
from expense_app.models.base import utcnow
from expense_app.services import access_tokens, accounts, sign_ins
from expense_app.services.unit_of_work import transaction
from tests import factories
from tests.conftest import PASSWORD


def _user(user) -> User:
    return db.session.get(User, user.id)


def _set(token_id: int, **values) -> None:
    with transaction() as session:
        session.execute(sa.update(PersonalAccessToken).where(PersonalAccessToken.id == token_id).values(**values))


def _tokens_of(user_id: int) -> list[PersonalAccessToken]:
    return list(db.session.scalars(sa.select(PersonalAccessToken).where(PersonalAccessToken.user_id == user_id)))


def test_a_token_is_the_prefix_and_32_random_bytes_and_only_its_sha256_is_stored(ctx, user):
    row, token = access_tokens.create_token(user=_user(user), name="Backup", scopes=["read"])
    assert token.startswith("em_pat_")
    random_part = token.removeprefix("em_pat_")
    assert len(random_part) >= 43  # 32 bytes, url-safe base64 without padding
    assert set(random_part) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    stored = db.session.get(PersonalAccessToken, row.id)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(db.session.execute(sa.select(PersonalAccessToken.__table__)).all())
    assert stored.name == "Backup" and stored.scopes == ["read"] and stored.expires_at is None
    assert stored.revoked_at is None and stored.last_used_at is None


def test_two_tokens_are_different(ctx, user):
    _, first = access_tokens.create_token(user=_user(user), name="One", scopes=["read"])
    _, second = access_tokens.create_token(user=_user(user), name="Two", scopes=["read"])
    assert first != second


@pytest.mark.parametrize(
    ("scopes", "stored"),
    [
        (["read"], ["read"]),
        (["write"], ["read", "write"]),
        (["write", "read"], ["read", "write"]),
        (["read", "read"], ["read"]),
    ],
)
def test_write_implies_read_and_both_are_stored_sorted(ctx, user, scopes, stored):
    row, _ = access_tokens.create_token(user=_user(user), name="Script", scopes=scopes)
    assert db.session.get(PersonalAccessToken, row.id).scopes == stored


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "   "}, "name", "required"),
        ({"name": "x" * 101}, "name", "at most 100"),
        ({"name": "bad\x00name"}, "name", "control characters"),
        ({"name": "tab\tname"}, "name", "control characters"),
        ({"name": 12}, "name", "text"),
        ({"scopes": []}, "scopes", "at least one"),
        ({"scopes": "read"}, "scopes", "at least one"),
        ({"scopes": ["admin"]}, "scopes", "Unknown scope 'admin'"),
        ({"scopes": [1]}, "scopes", "non-text"),
        ({"scopes": None}, "scopes", "at least one"),
        ({"expires_in_days": 0}, "expires_in_days", "1 to 366"),
        ({"expires_in_days": 367}, "expires_in_days", "1 to 366"),
        ({"expires_in_days": True}, "expires_in_days", "1 to 366"),
        ({"expires_in_days": "٣"}, "expires_in_days", "1 to 366"),
        ({"expires_at": "yesterday"}, "expires_at", "such as 2027-03-31"),
        ({"expires_at": "2020-01-01"}, "expires_at", "in the future"),
        ({"expires_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "expires_at", "in the future"),
        ({"expires_at": 5}, "expires_at", "date"),
        ({"expires_at": utcnow() + dt.timedelta(days=367)}, "expires_at", "at most 366 days"),
        ({"expires_at": (utcnow() + dt.timedelta(days=368)).date()}, "expires_at", "at most 366 days"),
        ({"expires_at": utcnow() + dt.timedelta(days=30), "expires_in_days": 30}, "expires_at", "not both"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(ctx, user, fields, field, message):
    values = {"name": "Script", "scopes": ["read"], **fields}
    with pytest.raises(ValidationFailed) as raised:
        access_tokens.create_token(user=_user(user), **values)
    assert message in " ".join(raised.value.errors[field])
    assert _tokens_of(user.id) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SecurityEvent)) == 0


def test_expiry_by_days_by_date_and_by_moment(ctx, user):
    before = utcnow()
    by_days, _ = access_tokens.create_token(user=_user(user), name="Days", scopes=["read"], expires_in_days=90)
    assert dt.timedelta(days=90) <= by_days.expires_at - before < dt.timedelta(days=90, minutes=1)
    day = (utcnow() + dt.timedelta(days=10)).date()
    by_date, _ = access_tokens.create_token(user=_user(user), name="Date", scopes=["read"], expires_at=day.isoformat())
    # Valid through the chosen day: it ends at the next midnight, UTC.
    assert by_date.expires_at == dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    last_day = (utcnow() + dt.timedelta(days=366)).date()
    assert access_tokens.create_token(user=_user(user), name="Longest", scopes=["read"], expires_at=last_day)[0]
    moment = utcnow() + dt.timedelta(hours=5)
    by_moment, _ = access_tokens.create_token(user=_user(user), name="Moment", scopes=["read"], expires_at=moment)
    assert by_moment.expires_at == moment


def test_a_name_is_unique_among_the_live_tokens_only(ctx, user):
    owner = _user(user)
    first, _ = access_tokens.create_token(user=owner, name="Backup", scopes=["read"])
    with pytest.raises(Conflict) as raised:
        access_tokens.create_token(user=owner, name="backup", scopes=["write"])
    assert "already have a token named 'backup'" in raised.value.errors["name"][0]
    assert len(_tokens_of(user.id)) == 1
    access_tokens.revoke_token(user=owner, token_id=first.id)
    second, _ = access_tokens.create_token(user=owner, name="Backup", scopes=["read"])
    assert second.id != first.id


def test_another_user_may_use_the_same_name(ctx, user, make_user):
    other = make_user(email="sam@example.com")
    access_tokens.create_token(user=_user(user), name="Backup", scopes=["read"])
    assert access_tokens.create_token(user=_user(other), name="Backup", scopes=["read"])[0].user_id == other.id


def test_at_most_fifty_live_tokens(ctx, user, monkeypatch):
    monkeypatch.setattr(access_tokens, "MAX_LIVE_TOKENS", 3)
    owner = _user(user)
    for number in range(3):
        access_tokens.create_token(user=owner, name=f"Script {number}", scopes=["read"])
    with pytest.raises(ValidationFailed) as raised:
        access_tokens.create_token(user=owner, name="One too many", scopes=["read"])
    assert "revoke one first" in raised.value.errors["name"][0]
    assert len(_tokens_of(user.id)) == 3


def test_creating_and_revoking_are_in_the_security_log_without_the_token(ctx, user):
    owner = _user(user)
    row, token = access_tokens.create_token(user=owner, name="Backup", scopes=["write"])
    access_tokens.revoke_token(user=owner, token_id=row.id)
    events = db.session.scalars(sa.select(SecurityEvent).order_by(SecurityEvent.id)).all()
    assert [(event.kind, event.detail) for event in events] == [
        ("token_created", {"token_id": row.id, "name": "Backup", "scopes": ["read", "write"]}),
        ("token_revoked", {"token_id": row.id, "name": "Backup", "scopes": ["read", "write"]}),
    ]
    assert token.removeprefix("em_pat_") not in repr([event.detail for event in events])


def test_list_shows_live_and_recently_ended_tokens_newest_first(ctx, user):
    owner = _user(user)
    old_revoked, _ = access_tokens.create_token(user=owner, name="Old revoked", scopes=["read"])
    old_expired, _ = access_tokens.create_token(user=owner, name="Old expired", scopes=["read"], expires_in_days=1)
    revoked, _ = access_tokens.create_token(user=owner, name="Revoked", scopes=["read"])
    access_tokens.create_token(user=owner, name="Live", scopes=["read"])
    access_tokens.revoke_token(user=owner, token_id=revoked.id)
    access_tokens.revoke_token(user=owner, token_id=old_revoked.id)
    long_ago = utcnow() - dt.timedelta(days=31)
    _set(old_revoked.id, revoked_at=long_ago)
    _set(old_expired.id, expires_at=long_ago)
    listed = access_tokens.list_tokens(user=owner)
    assert [row.name for row in listed] == ["Live", "Revoked"]
    assert [access_tokens.is_live(row) for row in listed] == [True, False]


def test_the_list_is_the_users_own(ctx, user, make_user):
    other = make_user(email="sam@example.com")
    access_tokens.create_token(user=_user(other), name="Theirs", scopes=["read"])
    assert access_tokens.list_tokens(user=_user(user)) == []


def test_revoking_another_users_token_is_not_found_and_changes_nothing(ctx, user, make_user):
    other = make_user(email="sam@example.com")
    theirs, token = access_tokens.create_token(user=_user(other), name="Theirs", scopes=["read"])
    with pytest.raises(NotFound):
        access_tokens.revoke_token(user=_user(user), token_id=theirs.id)
    for token_id in (999_999, 2**63, 0, -1):
        with pytest.raises(NotFound):
            access_tokens.revoke_token(user=_user(user), token_id=token_id)
    assert db.session.get(PersonalAccessToken, theirs.id).revoked_at is None
    assert access_tokens.user_for_token(token) is not None


def test_revoking_twice_keeps_the_first_time_and_logs_once(ctx, user):
    owner = _user(user)
    row, _ = access_tokens.create_token(user=owner, name="Backup", scopes=["read"])
    first = access_tokens.revoke_token(user=owner, token_id=row.id).revoked_at
    assert access_tokens.revoke_token(user=owner, token_id=row.id).revoked_at == first
    kinds = db.session.scalars(sa.select(SecurityEvent.kind)).all()
    assert kinds.count("token_revoked") == 1


def test_user_for_token_finds_live_tokens_only(ctx, user):
    owner = _user(user)
    row, token = access_tokens.create_token(user=owner, name="Backup", scopes=["read"])
    found_user, found_token = access_tokens.user_for_token(token)
    assert (found_user.id, found_token.id) == (user.id, row.id)
    assert access_tokens.user_for_token(token + "x") is None
    assert access_tokens.user_for_token("em_pat_x") is None
    _set(row.id, expires_at=utcnow() - dt.timedelta(seconds=1))
    assert access_tokens.user_for_token(token) is None
    other, other_token = access_tokens.create_token(user=owner, name="Other", scopes=["read"])
    access_tokens.revoke_token(user=owner, token_id=other.id)
    assert access_tokens.user_for_token(other_token) is None


def test_last_used_is_written_at_most_once_a_minute(ctx, user):
    owner = _user(user)
    row, token = access_tokens.create_token(user=owner, name="Backup", scopes=["read"])
    access_tokens.user_for_token(token)
    first = db.session.get(PersonalAccessToken, row.id).last_used_at
    assert first is not None
    access_tokens.user_for_token(token)
    assert db.session.get(PersonalAccessToken, row.id).last_used_at == first
    _set(row.id, last_used_at=first - dt.timedelta(minutes=2))
    access_tokens.user_for_token(token)
    assert db.session.get(PersonalAccessToken, row.id).last_used_at > first - dt.timedelta(minutes=1)


def test_a_password_change_and_ending_everything_revoke_every_token(ctx, user):
    owner = _user(user)
    _, token = access_tokens.create_token(user=owner, name="Backup", scopes=["read"])
    accounts.change_password(user=owner, current_password=PASSWORD, new_password="a brand new passphrase")
    assert access_tokens.user_for_token(token) is None
    _, second = access_tokens.create_token(user=owner, name="Backup", scopes=["read"])
    sign_ins.end_everything(user=owner)
    assert access_tokens.user_for_token(second) is None


def test_a_deleted_accounts_tokens_go_with_it(ctx, user):
    owner = _user(user)
    _, token = access_tokens.create_token(user=owner, name="Backup", scopes=["read"])
    accounts.delete_account(user=owner)
    assert access_tokens.user_for_token(token) is None
    assert _tokens_of(user.id) == []


def test_a_deactivated_users_token_finds_nobody(ctx, user):
    owner = _user(user)
    _, token = access_tokens.create_token(user=owner, name="Backup", scopes=["read"])
    with transaction():
        owner.is_active = False
    assert access_tokens.user_for_token(token) is None


def test_confirming_with_a_password_checks_it_and_counts_failures(ctx, app, user):
    owner = _user(user)
    with pytest.raises(ValidationFailed) as raised:
        access_tokens.create_token(user=owner, name="Backup", scopes=["read"], password="wrong password")
    assert raised.value.errors == {"password": ["The password is not correct."]}
    with pytest.raises(ValidationFailed) as raised:
        access_tokens.create_token(user=owner, name="Backup", scopes=["read"], password="")
    assert "Enter your current password" in raised.value.errors["password"][0]
    assert _tokens_of(user.id) == []
    row, _ = access_tokens.create_token(user=owner, name="Backup", scopes=["read"], password=PASSWORD)
    assert row.id


def test_wrong_passwords_lock_the_account_even_with_the_right_one(app_factory, user):
    app = app_factory(ACCOUNT_LOCKOUT="3/15 minutes")
    with app.app_context():
        owner = _user(user)
        for _ in range(3):
            with pytest.raises(ValidationFailed):
                access_tokens.create_token(user=owner, name="Backup", scopes=["read"], password="wrong password")
        with pytest.raises(TooManyAttempts):
            access_tokens.create_token(user=owner, name="Backup", scopes=["read"], password=PASSWORD)
        assert _tokens_of(user.id) == []
        db.session.remove()


def test_the_full_user_owns_a_live_read_write_token(ctx, user):
    # Built directly (not through the `full_user` fixture), so this holds whatever other tables
    # the factory does not cover yet.
    full = factories.build_full_user(_user(user))
    found = access_tokens.user_for_token(full.access_token)
    assert found is not None and found[1].id == full.ids["access_token_id"]
    assert found[1].scopes == ["read", "write"]
    assert "personal_access_tokens" not in factories.missing_tables(user.id)
