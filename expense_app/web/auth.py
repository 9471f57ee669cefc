"""Register, log in and log out pages."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from expense_app.errors import AuthError, ServiceError, ValidationFailed
from expense_app.ops.rate_limits import auth_limit, error_headers
from expense_app.services import accounts, mfa, mfa_challenges
from expense_app.services.locales import currency_for_locale, locale_from_accept_language
from expense_app.web.forms import apply_service_errors, submit
from expense_app.web.forms.accounts import LoginForm, RegisterForm
from expense_app.web.forms.two_factor import TwoFactorLoginForm
from expense_app.web.session_login import sign_in_browser, sign_out_browser

bp = Blueprint("auth", __name__)

# The only thing the session holds between the password and the second factor: the challenge
# token (`mfa_challenges`), never the user id, so a half-finished sign-in is signed in to nothing.
MFA_CHALLENGE = "mfa_challenge"
# A recovery-code sign-in with this many codes left (or fewer) warns that they are running out.
FEW_RECOVERY_CODES = 3


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


def _refusal(form, error: ServiceError) -> tuple[int, dict]:
    """Put a refused sign-in's message on the form; return the status and headers to answer with."""
    if isinstance(error, ValidationFailed):
        apply_service_errors(form, error)
    else:
        form.form_errors.append(error.message)
    return error.status_code, error_headers(error)


@bp.route("/login", methods=["GET", "POST"])
@auth_limit
def login():
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")))
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            outcome, result = mfa_challenges.sign_in(
                email=form.email.data, password=form.password.data, purpose="web", remember=form.remember.data
            )
        except ServiceError as error:  # wrong credentials (401), bad input (422), locked (429)
            status, headers = _refusal(form, error)
        else:
            if outcome == "mfa":
                session[MFA_CHALLENGE] = result
                return redirect(url_for("auth.two_factor", next=request.args.get("next")))
            sign_in_browser(result, remember=form.remember.data, method="password")
            flash("You are logged in.", "success")
            return redirect(safe_next_url(request.args.get("next")))
    elif form.errors:
        status = 422
    return render_template("auth/login.html", form=form), status, headers


@bp.route("/login/two-factor", methods=["GET", "POST"])
@auth_limit
def two_factor():
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")))
    token = session.get(MFA_CHALLENGE)
    try:
        mfa_challenges.pending_user(token=token, purpose="web")
    except AuthError as error:
        session.pop(MFA_CHALLENGE, None)
        flash(error.message if token else "Log in with your password first.", "info")
        return redirect(url_for("auth.login", next=request.args.get("next")))
    form = TwoFactorLoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            done = mfa_challenges.complete(
                token=token, purpose="web", code=form.code.data or None, recovery_code=form.recovery_code.data or None
            )
        except mfa.WrongFactor as error:
            status, headers = _refusal(form, error)
        except AuthError as error:  # expired, used, or ended by too many wrong codes
            session.pop(MFA_CHALLENGE, None)
            flash(error.message, "warning")
            return redirect(url_for("auth.login", next=request.args.get("next")))
        except ServiceError as error:
            status, headers = _refusal(form, error)
        else:
            session.pop(MFA_CHALLENGE, None)
            sign_in_browser(done.user, remember=done.remember, method=done.method)
            flash("You are logged in.", "success")
            if done.recovery_codes_left is not None and done.recovery_codes_left <= FEW_RECOVERY_CODES:
                flash(
                    f"You have {done.recovery_codes_left} recovery code(s) left: make new ones in "
                    "Settings → Two-factor sign-in.",
                    "warning",
                )
            return redirect(safe_next_url(request.args.get("next")))
    elif form.errors:
        status = 422
    return render_template("auth/two_factor.html", form=form), status, headers


@bp.post("/logout")
@login_required
def logout():
    # CSRFProtect has already refused a POST without a valid token. The session ends on the server
    # too, so a copy of the session or remember-me cookie no longer signs anyone in.
    sign_out_browser()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
