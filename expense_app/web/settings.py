"""The settings page: profile, password change and account deletion."""

from flask import Blueprint, render_template, url_for
from flask_login import current_user, login_required, logout_user

from expense_app.services import accounts
from expense_app.web.forms import submit
from expense_app.web.forms.accounts import DeleteAccountForm, PasswordForm, ProfileForm
from expense_app.web.session_login import sign_in_browser

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _page(profile=None, password=None, delete=None, status=200, headers=None):
    profile = profile or ProfileForm(formdata=None, obj=current_user)
    return (
        render_template(
            "settings/index.html",
            profile_form=profile,
            password_form=password or PasswordForm(formdata=None),
            delete_form=delete or DeleteAccountForm(formdata=None),
        ),
        status,
        headers or {},
    )


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("/profile")
@login_required
def profile():
    form = ProfileForm()
    outcome = submit(
        form,
        lambda: accounts.update_profile(
            user=current_user,
            full_name=form.full_name.data or "",
            currency=form.currency.data,
            locale=form.locale.data or None,
            budgets=form.budgets.data or "keep",
        ),
        message="Your profile was saved.",
        next_url=url_for("settings.index"),
    )
    return outcome.response or _page(profile=form, status=422)


@bp.post("/password")
@login_required
def password():
    form = PasswordForm()

    def change_and_stay_logged_in():
        # The real object, not the proxy: login_user must not store a proxy to itself.
        user = accounts.change_password(
            user=current_user._get_current_object(),
            current_password=form.current_password.data,
            new_password=form.new_password.data,
        )
        # Every sign-in ended with the change: sign this browser in again, with a new session.
        sign_in_browser(user, log=False)
        return user

    outcome = submit(
        form,
        change_and_stay_logged_in,
        message="Your password was changed. Other sessions and API tokens were signed out.",
        next_url=url_for("settings.index"),
    )
    # 422 for a bad form, 429 (with Retry-After) while the account's password checks are locked.
    return outcome.response or _page(password=form, status=outcome.status, headers=outcome.headers)


@bp.post("/delete")
@login_required
def delete():
    form = DeleteAccountForm()

    def delete_and_log_out():
        accounts.delete_account(user=current_user, password=form.password.data)
        logout_user()

    outcome = submit(
        form,
        delete_and_log_out,
        message="Your account and all its data were deleted.",
        next_url=url_for("auth.register"),
        category="info",
    )
    return outcome.response or _page(delete=form, status=outcome.status, headers=outcome.headers)
