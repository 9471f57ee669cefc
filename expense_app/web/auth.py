"""Register, log in and log out pages."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from expense_app.errors import AuthError, ValidationFailed
from expense_app.ops.rate_limits import auth_limit
from expense_app.services import accounts
from expense_app.services.locales import currency_for_locale, locale_from_accept_language
from expense_app.web.forms import apply_service_errors, submit
from expense_app.web.forms.accounts import LoginForm, RegisterForm
from expense_app.web.session_login import sign_in_browser, sign_out_browser

bp = Blueprint("auth", __name__)


def safe_next_url(target: str | None) -> str:
    """Return `target` only when it is a path on this site; the dashboard otherwise.

    Refuses absolute URLs, scheme-relative `//host` and backslash tricks (open redirects).
    """
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith(("//", "/\\")):
            return target
    return url_for("dashboard.index")


@bp.route("/register", methods=["GET", "POST"])
@auth_limit
def register():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    # The browser's language picks the defaults: how figures are written and the base currency
    # (both changeable here and later in Settings); the currency names are written in it too.
    browser_locale = locale_from_accept_language(request.headers.get("Accept-Language"))
    form = RegisterForm(currency=currency_for_locale(browser_locale), locale=browser_locale)
    form.name_currencies(browser_locale)

    def register_and_log_in():
        user = accounts.register_user(
            email=form.email.data or "",
            password=form.password.data or "",
            full_name=form.full_name.data or "",
            currency=form.currency.data,
            locale=form.locale.data,
        )
        sign_in_browser(user)
        return user

    outcome = submit(
        form,
        register_and_log_in,
        message="Welcome! Your account is ready, with a starter set of categories.",
        next_url=url_for("dashboard.index"),
    )
    return outcome.response or (render_template("auth/register.html", form=form), outcome.status)


@bp.route("/login", methods=["GET", "POST"])
@auth_limit
def login():
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(email=form.email.data, password=form.password.data)
        except AuthError as error:
            form.form_errors.append(error.message)
            status = 401
        except ValidationFailed as error:
            apply_service_errors(form, error)
            status = 422
        else:
            sign_in_browser(user, remember=form.remember.data)
            flash("You are logged in.", "success")
            return redirect(safe_next_url(request.args.get("next")))
    elif form.errors:
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    # CSRFProtect has already refused a POST without a valid token. The session ends on the server
    # too, so a copy of the session or remember-me cookie no longer signs anyone in.
    sign_out_browser()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
