"""Account rules, tested without HTTP."""

import pytest
import sqlalchemy as sa

from expense_app.errors import AuthError, Conflict, ValidationFailed
from expense_app.extensions import db
from expense_app.models import Category, User
from expense_app.services import accounts
from expense_app.services.unit_of_work import transaction
from tests import factories
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("ctx")


def test_register_normalizes_email_and_hashes_password():
    user = accounts.register_user(email="  Mixed.Case@Example.COM ", password=PASSWORD)
    assert user.email == "mixed.case@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_register_gives_starter_categories_with_distinct_colors():
    user = accounts.register_user(email="a@example.com", password=PASSWORD)
    categories = db.session.scalars(sa.select(Category).where(Category.user_id == user.id)).all()
    assert len(categories) == 8
    assert len({c.color for c in categories}) == 8


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"password": "seven77"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"currency": "EURO"}, "currency"),
        ({"full_name": "n" * 101}, "full_name"),
    ],
)
def test_register_rules(fields, bad_field):
    arguments = {"email": "a@example.com", "password": PASSWORD, **fields}
    with pytest.raises(ValidationFailed) as caught:
        accounts.register_user(**arguments)
    assert bad_field in caught.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_password_length_bounds_are_inclusive():
    accounts.register_user(email="min@example.com", password="x" * 8)
    accounts.register_user(email="max@example.com", password="x" * 128)


def test_duplicate_email_is_conflict_whatever_the_case():
    accounts.register_user(email="a@example.com", password=PASSWORD)
    with pytest.raises(Conflict):
        accounts.register_user(email="A@EXAMPLE.com", password=PASSWORD)


def test_authenticate():
    accounts.register_user(email="a@example.com", password=PASSWORD)
    assert accounts.authenticate(email="A@example.com", password=PASSWORD).email == "a@example.com"
    with pytest.raises(AuthError, match=r"Invalid email or password\."):
        accounts.authenticate(email="a@example.com", password="wrong password")
    with pytest.raises(AuthError, match=r"Invalid email or password\."):
        accounts.authenticate(email="b@example.com", password=PASSWORD)


def test_inactive_user_cannot_authenticate():
    user = accounts.register_user(email="a@example.com", password=PASSWORD)
    with transaction():
        user.is_active = False
    with pytest.raises(AuthError):
        accounts.authenticate(email="a@example.com", password=PASSWORD)


def test_login_upgrades_a_hash_made_with_weaker_parameters(app):
    user = accounts.register_user(email="a@example.com", password=PASSWORD)
    old_hash = user.password_hash
    app.config["PASSWORD_HASHER"] = {"time_cost": 2, "memory_cost": 2048, "parallelism": 1}
    accounts.authenticate(email="a@example.com", password=PASSWORD)
    assert user.password_hash != old_hash
    assert "m=2048,t=2" in user.password_hash


def test_change_password_bumps_session_version():
    user = accounts.register_user(email="a@example.com", password=PASSWORD)
    accounts.change_password(user=user, current_password=PASSWORD, new_password="another password")
    assert user.session_version == 2
    with pytest.raises(ValidationFailed) as caught:
        accounts.change_password(user=user, current_password=PASSWORD, new_password="third password")
    assert "current_password" in caught.value.errors


def test_update_profile_validates_before_changing_anything():
    user = accounts.register_user(email="a@example.com", password=PASSWORD, full_name="Before")
    with pytest.raises(ValidationFailed):
        accounts.update_profile(user=user, full_name="After", currency="nope")
    db.session.refresh(user)
    assert (user.full_name, user.currency) == ("Before", "USD")


def test_delete_account_with_wrong_password_keeps_everything():
    user = accounts.register_user(email="a@example.com", password=PASSWORD)
    with pytest.raises(ValidationFailed):
        accounts.delete_account(user=user, password="wrong password")
    assert db.session.get(User, user.id) is not None


def test_delete_account_of_a_user_owning_every_table_leaves_nothing_and_no_one_else_changes(full_user, other_full_user):
    others_before = factories.owned_rows(other_full_user.id)
    accounts.delete_account(user=db.session.get(User, full_user.id), password=PASSWORD)
    left = {table: rows for table, rows in factories.owned_rows(full_user.id).items() if rows}
    assert not left, f"the deleted account still has rows in {sorted(left)}"
    assert factories.owned_rows(other_full_user.id) == others_before, "another user's rows changed"


def test_delete_account_with_wrong_password_keeps_every_row(full_user):
    before = factories.owned_rows(full_user.id)
    with pytest.raises(ValidationFailed):
        accounts.delete_account(user=db.session.get(User, full_user.id), password="wrong password")
    after = factories.owned_rows(full_user.id)
    # The one addition is the security log's record of the refused password check.
    assert factories.changed_tables(before, after) == []
    (added,) = set(after["security_events"]) - set(before["security_events"])
    assert "'sign_in_failed'" in added
