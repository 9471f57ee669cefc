"""Two-factor sign-in, the services: enrolment, single-use codes in a ±1 step window, recovery
codes, disabling, the challenge between password and code, and the secret kept encrypted."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from expense_app import crypto
from expense_app.errors import AuthError, Conflict, TooManyAttempts, ValidationFailed
from expense_app.extensions import db
from expense_app.models import MfaChallenge, RecoveryCode, SecurityEvent, User
from expense_app.models.base import utcnow
from expense_app.services import mfa, mfa_challenges, recovery_codes
from expense_app.services.sign_ins import digest
from expense_app.services.unit_of_work import transaction
from tests.conftest import PASSWORD
from tests.factories import enable_two_factor, totp_code

pytestmark = pytest.mark.usefixtures("ctx")


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def events(user, kind: str) -> list[SecurityEvent]:
    return list(
        db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.user_id == user.id, SecurityEvent.kind == kind))
    )


@pytest.fixture
def enrolled(user):
    secret, codes = enable_two_factor(user)
    return fresh(user), secret, codes


# --- enrolment ---------------------------------------------------------------------------------


def test_enrolment_is_off_until_a_correct_code_confirms_it(user):
    me = fresh(user)
    secret, uri = mfa.start_enrolment(user=me)
    assert uri.startswith("otpauth://totp/Expense%20Manager:alex%40example.com?secret=" + secret)
    assert "issuer=Expense%20Manager" in uri
    assert not fresh(user).mfa_enabled
    with pytest.raises(ValidationFailed) as wrong:
        mfa.confirm_enrolment(user=fresh(user), code=pyotp.TOTP(pyotp.random_base32()).now())
    assert wrong.value.errors == {"code": [mfa.WRONG_CODE]}
    assert not fresh(user).mfa_enabled and recovery_codes.remaining(user=user) == 0
    codes = mfa.confirm_enrolment(user=fresh(user), code=totp_code(secret))
    me = fresh(user)
    assert me.mfa_enabled and me.totp_enabled_at is not None and me.totp_pending_secret is None
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(code) == 19 and code.count("-") == 3 and code == code.lower() for code in codes)
    assert recovery_codes.remaining(user=me) == 10
    assert len(events(user, "mfa_enabled")) == 1


def test_enrolment_refuses_a_malformed_code_with_a_clear_message_and_changes_nothing(user):
    mfa.start_enrolment(user=fresh(user))
    for bad in ("12345", "1234567", "abcdef", "١٢٣٤٥٦", "", None):
        with pytest.raises(ValidationFailed) as error:
            mfa.confirm_enrolment(user=fresh(user), code=bad)
        assert error.value.errors == {"code": [mfa.BAD_SHAPE]}
    assert not fresh(user).mfa_enabled


def test_confirming_without_a_started_enrolment_is_refused(user):
    with pytest.raises(ValidationFailed) as error:
        mfa.confirm_enrolment(user=fresh(user), code="123456")
    assert error.value.errors == {"code": [mfa.NO_ENROLMENT]}


def test_starting_again_while_enabled_is_refused(enrolled):
    me, secret, _ = enrolled
    with pytest.raises(Conflict):
        mfa.start_enrolment(user=me)
    assert crypto.decrypt(fresh(me).totp_secret) == secret


def test_the_secret_is_stored_encrypted_and_never_logged(user, caplog):
    caplog.set_level(logging.DEBUG)
    secret, codes = enable_two_factor(user)
    raw = db.session.execute(
        sa.text("SELECT totp_secret, totp_pending_secret FROM users WHERE id = :id"), {"id": user.id}
    ).one()
    assert raw.totp_secret and secret not in raw.totp_secret and raw.totp_pending_secret is None
    assert crypto.decrypt(raw.totp_secret) == secret
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert all(code not in stored for code in codes)
    assert sorted(stored) == sorted(digest(code.replace("-", "")) for code in codes)
    everything = " ".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert secret not in everything
    assert all(code not in everything and code.replace("-", "") not in everything for code in codes)


def test_a_key_rotation_keeps_the_secret_readable(app, enrolled):
    me, secret, _ = enrolled
    app.config["ENCRYPTION_KEY"] = "a brand new dedicated key"
    assert crypto.decrypt(me.totp_secret) == secret  # the SECRET_KEY-derived key still decrypts
    rotated = crypto.encrypt(secret)
    app.config["ENCRYPTION_KEY"], app.config["ENCRYPTION_KEY_PREVIOUS"] = "the next key", "a brand new dedicated key"
    assert crypto.decrypt(rotated) == secret
    app.config["ENCRYPTION_KEY_PREVIOUS"] = None
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(rotated)


# --- codes: window and single use ---------------------------------------------------------------


def test_a_code_works_once(enrolled):
    me, secret, _ = enrolled
    now = time.time() + 60  # past the step the enrolment used
    code = totp_code(secret, for_time=now)
    mfa.verify_code(user=me, code=code, for_time=now)
    with pytest.raises(mfa.WrongFactor) as replay:
        mfa.verify_code(user=fresh(me), code=code, for_time=now)
    assert replay.value.message == mfa.USED_CODE


def test_an_earlier_step_after_a_later_one_is_refused(enrolled):
    me, secret, _ = enrolled
    now = time.time() + 300
    mfa.verify_code(user=me, code=totp_code(secret, for_time=now, steps=1), for_time=now)
    with pytest.raises(mfa.WrongFactor):
        mfa.verify_code(user=fresh(me), code=totp_code(secret, for_time=now), for_time=now)


@pytest.mark.parametrize("steps", [-1, 1])
def test_one_step_either_side_is_accepted(enrolled, steps):
    me, secret, _ = enrolled
    now = time.time() + 300
    mfa.verify_code(user=me, code=totp_code(secret, for_time=now, steps=steps), for_time=now)
    assert fresh(me).totp_last_step == int(now // 30) + steps


@pytest.mark.parametrize("steps", [-2, 2])
def test_two_steps_away_is_refused(enrolled, steps):
    me, secret, _ = enrolled
    now = time.time() + 300
    last = fresh(me).totp_last_step
    with pytest.raises(mfa.WrongFactor) as error:
        mfa.verify_code(user=me, code=totp_code(secret, for_time=now, steps=steps), for_time=now)
    assert error.value.message == mfa.WRONG_CODE and fresh(me).totp_last_step == last


def test_spaces_and_dashes_are_ignored(enrolled):
    me, secret, _ = enrolled
    now = time.time() + 300
    code = totp_code(secret, for_time=now)
    mfa.verify_code(user=me, code=f" {code[:3]}-{code[3:]} ", for_time=now)


def test_the_confirming_code_cannot_sign_in_again(user):
    me = fresh(user)
    secret, _ = mfa.start_enrolment(user=me)
    now = time.time()
    mfa.confirm_enrolment(user=me, code=totp_code(secret, for_time=now), for_time=now)
    with pytest.raises(mfa.WrongFactor):
        mfa.verify_code(user=fresh(user), code=totp_code(secret, for_time=now), for_time=now)


def test_the_compare_and_swap_lets_only_one_of_two_holders_of_a_code_pass(enrolled):
    me, secret, _ = enrolled
    now = time.time() + 300
    code = totp_code(secret, for_time=now)
    stale = fresh(me)
    db.session.expunge(stale)  # a second request that loaded the user before the first one wrote
    mfa.verify_code(user=fresh(me), code=code, for_time=now)
    with pytest.raises(mfa.WrongFactor):
        mfa.verify_code(user=db.session.merge(stale, load=False), code=code, for_time=now)


# --- recovery codes ----------------------------------------------------------------------------


def test_a_recovery_code_works_once_and_counts_down(enrolled):
    me, _, codes = enrolled
    assert recovery_codes.use(user=me, code=codes[0].upper().replace("-", " ")) == 9
    assert recovery_codes.use(user=me, code=codes[0]) is None
    assert recovery_codes.remaining(user=me) == 9
    assert [event.detail["remaining"] for event in events(me, "recovery_code_used")] == [9]


def test_a_malformed_recovery_code_has_a_clear_message(enrolled):
    me, _, _ = enrolled
    with pytest.raises(ValidationFailed) as error:
        recovery_codes.use(user=me, code="abc")
    assert error.value.errors == {"recovery_code": [recovery_codes.BAD_SHAPE]}


def test_another_users_recovery_code_does_not_work(enrolled, make_user):
    _, _, codes = enrolled
    other = make_user(email="sam@example.com")
    enable_two_factor(other)
    assert recovery_codes.use(user=fresh(other), code=codes[0]) is None


def test_regenerating_needs_password_and_code_and_replaces_every_code(enrolled):
    me, secret, codes = enrolled
    now = time.time() + 300
    with pytest.raises(ValidationFailed) as wrong_password:
        mfa.regenerate_recovery_codes(
            user=me, password="not it at all", code=totp_code(secret, for_time=now), for_time=now
        )
    assert "password" in wrong_password.value.errors
    with pytest.raises(ValidationFailed) as wrong_code:
        mfa.regenerate_recovery_codes(user=fresh(me), password=PASSWORD, code="000000", for_time=now)
    assert "code" in wrong_code.value.errors
    new = mfa.regenerate_recovery_codes(
        user=fresh(me), password=PASSWORD, code=totp_code(secret, for_time=now), for_time=now
    )
    assert len(new) == 10 and not set(new) & set(codes)
    assert recovery_codes.use(user=fresh(me), code=codes[1]) is None
    assert recovery_codes.use(user=fresh(me), code=new[0]) == 9
    assert len(events(me, "recovery_codes_regenerated")) == 1


# --- disabling ---------------------------------------------------------------------------------


def test_disabling_needs_the_password_and_a_code(enrolled):
    me, secret, _ = enrolled
    now = time.time() + 300
    with pytest.raises(ValidationFailed) as nothing:
        mfa.disable(user=me, password=PASSWORD)
    assert nothing.value.errors == {"code": [mfa.NEED_ONE_FACTOR]}
    with pytest.raises(ValidationFailed):
        mfa.disable(user=fresh(me), password="wrong password", code=totp_code(secret, for_time=now), for_time=now)
    assert fresh(me).mfa_enabled
    mfa.disable(user=fresh(me), password=PASSWORD, code=totp_code(secret, for_time=now), for_time=now)
    me = fresh(me)
    assert not me.mfa_enabled and me.totp_secret is None and recovery_codes.remaining(user=me) == 0
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == me.id))
        == 0
    )
    assert len(events(me, "mfa_disabled")) == 1


def test_a_user_with_only_a_recovery_code_disables_and_enrols_again(enrolled):
    me, _, codes = enrolled
    mfa.disable(user=me, password=PASSWORD, recovery_code=codes[3])
    assert not fresh(me).mfa_enabled
    secret, _ = mfa.start_enrolment(user=fresh(me))
    assert len(mfa.confirm_enrolment(user=fresh(me), code=totp_code(secret))) == 10
    assert fresh(me).mfa_enabled


def test_wrong_passwords_and_codes_when_disabling_count_toward_the_account_limit(app, enrolled):
    me, _, _ = enrolled
    app.config["ACCOUNT_LOCKOUT"] = "3/15 minutes"
    for _ in range(2):
        with pytest.raises(ValidationFailed):
            mfa.disable(user=fresh(me), password="wrong password", code="123456")
    with pytest.raises(ValidationFailed):
        mfa.disable(user=fresh(me), password=PASSWORD, recovery_code="aaaa-bbbb-cccc-dddd")
    with pytest.raises(TooManyAttempts):
        mfa.disable(user=fresh(me), password=PASSWORD, recovery_code="aaaa-bbbb-cccc-dddd")
    assert fresh(me).mfa_enabled
    assert [event.detail for event in events(me, "mfa_failed")] == [{"factor": "recovery_code"}]


# --- the challenge -----------------------------------------------------------------------------


def test_sign_in_without_two_factor_is_done_at_once(user):
    assert mfa_challenges.sign_in(email=user.email, password=PASSWORD, purpose="api") == ("done", fresh(user))


def test_sign_in_with_two_factor_gives_a_challenge_stored_hashed(enrolled):
    me, _, _ = enrolled
    outcome, token = mfa_challenges.sign_in(email=me.email, password=PASSWORD, purpose="web", remember=True)
    assert outcome == "mfa"
    challenge = db.session.scalar(sa.select(MfaChallenge).where(MfaChallenge.user_id == me.id))
    assert challenge.token_hash == digest(token) and challenge.remember and challenge.purpose == "web"
    assert timedelta(minutes=4) < challenge.expires_at - utcnow() <= timedelta(minutes=5)


def test_wrong_password_gives_no_challenge(enrolled):
    me, _, _ = enrolled
    with pytest.raises(AuthError):
        mfa_challenges.sign_in(email=me.email, password="wrong password", purpose="api")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MfaChallenge)) == 0


def test_a_challenge_is_single_use(enrolled):
    me, secret, codes = enrolled
    token = mfa_challenges.begin(user=me, purpose="api")
    now = time.time() + 300
    done = mfa_challenges.complete(token=token, purpose="api", code=totp_code(secret, for_time=now), for_time=now)
    assert done.user.id == me.id and done.method == "totp"
    with pytest.raises(AuthError) as again:
        mfa_challenges.complete(token=token, purpose="api", recovery_code=codes[0])
    assert again.value.message == mfa_challenges.EXPIRED
    assert recovery_codes.remaining(user=me) == 10  # the refused attempt spent nothing


def test_a_challenge_of_one_face_does_not_work_on_the_other(enrolled):
    me, _, codes = enrolled
    token = mfa_challenges.begin(user=me, purpose="web")
    with pytest.raises(AuthError):
        mfa_challenges.complete(token=token, purpose="api", recovery_code=codes[0])


def test_an_expired_challenge_is_refused(enrolled):
    me, _, codes = enrolled
    token = mfa_challenges.begin(user=me, purpose="api")
    with transaction() as session:
        session.execute(sa.update(MfaChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(AuthError) as error:
        mfa_challenges.complete(token=token, purpose="api", recovery_code=codes[0])
    assert error.value.message == mfa_challenges.EXPIRED
    assert recovery_codes.remaining(user=me) == 10


def test_a_recovery_code_completes_a_challenge_once(enrolled):
    me, _, codes = enrolled
    done = mfa_challenges.complete(
        token=mfa_challenges.begin(user=me, purpose="api"), purpose="api", recovery_code=codes[0]
    )
    assert done.method == "recovery" and done.recovery_codes_left == 9
    with pytest.raises(AuthError):
        mfa_challenges.complete(
            token=mfa_challenges.begin(user=me, purpose="api"), purpose="api", recovery_code=codes[0]
        )


def test_the_challenge_needs_exactly_one_factor(enrolled):
    me, secret, codes = enrolled
    token = mfa_challenges.begin(user=me, purpose="api")
    with pytest.raises(ValidationFailed):
        mfa_challenges.complete(token=token, purpose="api")
    with pytest.raises(ValidationFailed):
        mfa_challenges.complete(token=token, purpose="api", code=totp_code(secret), recovery_code=codes[0])
    with pytest.raises(ValidationFailed) as malformed:
        mfa_challenges.complete(token=token, purpose="api", code="12 34")
    assert malformed.value.errors == {"code": [mfa.BAD_SHAPE]}


def test_five_wrong_codes_end_the_challenge(enrolled):
    me, secret, _ = enrolled
    token = mfa_challenges.begin(user=me, purpose="api")
    for _ in range(mfa_challenges.MAX_ATTEMPTS):
        with pytest.raises(mfa.WrongFactor):
            mfa_challenges.complete(token=token, purpose="api", code="000000")
    now = time.time() + 300
    with pytest.raises(AuthError) as error:
        mfa_challenges.complete(token=token, purpose="api", code=totp_code(secret, for_time=now), for_time=now)
    assert error.value.message == mfa_challenges.EXPIRED
    assert len(events(me, "mfa_failed")) == 5


def test_wrong_codes_count_toward_the_account_limit_and_success_clears_it(app, enrolled):
    me, secret, _ = enrolled
    app.config["ACCOUNT_LOCKOUT"] = "3/15 minutes"
    for _ in range(2):
        with pytest.raises(mfa.WrongFactor):
            mfa_challenges.complete(token=mfa_challenges.begin(user=me, purpose="api"), purpose="api", code="000000")
    now = time.time() + 300
    mfa_challenges.complete(
        token=mfa_challenges.begin(user=me, purpose="api"),
        purpose="api",
        code=totp_code(secret, for_time=now),
        for_time=now,
    )
    for _ in range(3):  # cleared: three more wrong ones before the lock
        with pytest.raises(mfa.WrongFactor):
            mfa_challenges.complete(token=mfa_challenges.begin(user=me, purpose="api"), purpose="api", code="000000")
    token = mfa_challenges.begin(user=me, purpose="api")
    later = now + 60
    with pytest.raises(TooManyAttempts):
        mfa_challenges.complete(token=token, purpose="api", code=totp_code(secret, for_time=later), for_time=later)


def test_production_without_a_dedicated_key_warns_at_start(caplog):
    from types import SimpleNamespace

    caplog.set_level(logging.WARNING, logger="expense_app.crypto")
    crypto.warn_without_dedicated_key(SimpleNamespace(config={"ENV": "production", "ENCRYPTION_KEY": None}))
    assert "rotating SECRET_KEY turns off every user's two-factor sign-in" in caplog.text
    caplog.clear()
    crypto.warn_without_dedicated_key(SimpleNamespace(config={"ENV": "production", "ENCRYPTION_KEY": "set"}))
    crypto.warn_without_dedicated_key(SimpleNamespace(config={"ENV": "testing", "ENCRYPTION_KEY": None}))
    assert caplog.text == ""
