"""The access tokens page (`/settings/tokens`): list, create (the token shown once) and revoke.

Creating a token needs a fresh sign-in, as on the API: this browser proved who it is less than
FRESH_LOGIN_MINUTES ago (`session_login.verified_within`), else the form asks for the current
password, which then counts as a fresh proof (`mark_verified`).

The page that shows a new token is the POST's own answer, not a redirect: the token must be shown
once and never stored, and the session cookie, which a redirect would have to carry it in, is
signed but not encrypted. That answer is `Cache-Control: no-store`.
"""

from flask import Blueprint, current_app, render_template, url_for
from flask_login import current_user, login_required

from expense_app.errors import TooManyAttempts
from expense_app.ops.rate_limits import error_headers
from expense_app.services import access_tokens
from expense_app.web.forms import submit
from expense_app.web.forms.access_tokens import AccessTokenForm, RevokeAccessTokenForm
from expense_app.web.session_login import mark_verified, verified_within

bp = Blueprint("access_tokens", __name__, url_prefix="/settings/tokens")


def _fresh() -> bool:
    return verified_within(current_app.config["FRESH_LOGIN_MINUTES"] * 60)


def _page(form=None, *, created=None, status=200):
    response = current_app.make_response(
        (
            render_template(
                "settings/tokens.html",
                form=form or AccessTokenForm(formdata=None),
                revoke_form=RevokeAccessTokenForm(formdata=None),
                tokens=access_tokens.list_tokens(user=current_user),
                needs_password=not _fresh(),
                created=created,
                is_live=access_tokens.is_live,
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("")
@login_required
def create():
    form = AccessTokenForm()
    password = None if _fresh() else (form.password.data or "")

    def create_token():
        row, token = access_tokens.create_token(
            user=current_user,
            name=form.name.data or "",
            # What was sent, not the field's default: a POST without a choice creates nothing.
            scopes=list(form.scopes.raw_data or []),
            expires_at=form.expires_at.data or None,
            password=password,
        )
        if password is not None:
            mark_verified()
        return row, token

    try:
        outcome = submit(
            form,
            create_token,
            message=lambda result: f"Token “{result[0].name}” created. Copy it now: it is shown only once.",
            next_url=url_for("access_tokens.index"),
        )
    except TooManyAttempts as error:
        form.password.errors = [error.message]
        response = _page(form, status=429)
        response.headers.update(error_headers(error))
        return response
    if outcome.result is None:
        return _page(form, status=outcome.status)
    # Not submit's redirect: the token is shown on this answer only (see the module docstring).
    row, token = outcome.result
    return _page(created={"row": row, "token": token})


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    form = RevokeAccessTokenForm()
    outcome = submit(
        form,
        lambda: access_tokens.revoke_token(user=current_user, token_id=token_id),
        message=lambda row: f"Token “{row.name}” revoked: it no longer works.",
        next_url=url_for("access_tokens.index"),
    )
    return outcome.response or _page(status=outcome.status)
