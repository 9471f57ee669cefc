"""The two-factor sign-in settings page: enrol (QR code), confirm, recovery codes, turn off.

The QR code is an inline SVG made on the server (`segno`): no script, no inline style, no
third-party request, so the strict Content-Security-Policy holds. Recovery codes are rendered in
the response to the POST that made them, never stored in the session or a flash message: they
exist only in that one page.
"""

import segno
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from expense_app.errors import ServiceError, ValidationFailed
from expense_app.ops.rate_limits import error_headers
from expense_app.services import mfa
from expense_app.web.forms import apply_service_errors
from expense_app.web.forms.two_factor import (
    ConfirmEnrolmentForm,
    DisableForm,
    RegenerateCodesForm,
    StartEnrolmentForm,
)

bp = Blueprint("two_factor", __name__, url_prefix="/settings/two-factor")
FEW_CODES = 3
_GROUP = 4


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + _GROUP] for i in range(0, len(secret), _GROUP))


def _page(*, start=None, confirm=None, regenerate=None, disable=None, status=200, headers=None):
    user = current_user._get_current_object()
    secret = mfa.pending_secret(user=user)
    pending = qr_svg = None
    if secret is not None:
        uri = mfa.provisioning_uri(user=user, secret=secret)
        # segno writes the SVG from the URI alone (the email in it is percent-encoded).
        qr_svg = Markup(  # noqa: S704 (segno writes only paths from the bits and our constant title)
            segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your authenticator app")
        )
        pending = {"grouped": _grouped(secret)}
    return (
        render_template(
            "settings/two_factor.html",
            status=mfa.status(user=user),
            pending=pending,
            qr_svg=qr_svg,
            few_codes=FEW_CODES,
            start_form=start or StartEnrolmentForm(formdata=None),
            confirm_form=confirm or ConfirmEnrolmentForm(formdata=None),
            regenerate_form=regenerate or RegenerateCodesForm(formdata=None),
            disable_form=disable or DisableForm(formdata=None),
        ),
        status,
        headers or {},
    )


def _codes_page(codes: list[str]):
    return render_template("settings/two_factor_codes.html", codes=codes, codes_text="\r\n".join(codes) + "\r\n")


def _run(form, action):
    """Validate `form` and run `action`; return (result, None) or (None, the re-rendered page's kwargs)."""
    if not form.validate_on_submit():
        return None, {"status": 422}
    try:
        return action(), None
    except ValidationFailed as error:
        apply_service_errors(form, error)
        return None, {"status": 422}
    except ServiceError as error:  # Conflict (state changed meanwhile), TooManyAttempts (429)
        form.form_errors.append(error.message)
        return None, {"status": error.status_code, "headers": error_headers(error)}


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("/start")
@login_required
def start():
    form = StartEnrolmentForm()
    _, failed = _run(form, lambda: mfa.start_enrolment(user=current_user._get_current_object()))
    if failed:
        return _page(start=form, **failed)
    flash("Scan the QR code with your authenticator app, then enter the code it shows.", "info")
    return redirect(url_for("two_factor.index"))


@bp.post("/confirm")
@login_required
def confirm():
    form = ConfirmEnrolmentForm()
    codes, failed = _run(
        form, lambda: mfa.confirm_enrolment(user=current_user._get_current_object(), code=form.code.data)
    )
    if failed:
        return _page(confirm=form, **failed)
    flash("Two-factor sign-in is on.", "success")
    return _codes_page(codes)


@bp.post("/recovery-codes")
@login_required
def regenerate():
    form = RegenerateCodesForm()
    codes, failed = _run(
        form,
        lambda: mfa.regenerate_recovery_codes(
            user=current_user._get_current_object(), password=form.password.data, code=form.code.data
        ),
    )
    if failed:
        return _page(regenerate=form, **failed)
    flash("New recovery codes were made; the old ones no longer work.", "success")
    return _codes_page(codes)


@bp.post("/disable")
@login_required
def disable():
    form = DisableForm()
    _, failed = _run(
        form,
        lambda: mfa.disable(
            user=current_user._get_current_object(),
            password=form.password.data,
            code=form.code.data or None,
            recovery_code=form.recovery_code.data or None,
        ),
    )
    if failed:
        return _page(disable=form, **failed)
    flash("Two-factor sign-in is off.", "info")
    return redirect(url_for("two_factor.index"))
