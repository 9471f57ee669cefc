"""The shared rate limit of the credential endpoints, and the client key limits are counted by.

Log-in, registration and token refresh share one budget per client (`RATELIMIT_AUTH`, 5 per minute
by default) across both faces: five attempts on the login page leave none for the API, and the
other way round. Every POST counts, successful or not, so guessing and account farming cost the
same. The key is the client address after ProxyFix (see `expense_app.ops.security_headers`).
"""

from flask import current_app

from expense_app.extensions import limiter

AUTH_SCOPE = "login"


def _auth_limit_value() -> str:
    return current_app.config["RATELIMIT_AUTH"]


auth_limit = limiter.shared_limit(
    _auth_limit_value,
    scope=AUTH_SCOPE,
    methods=["POST"],
    error_message="Too many attempts to log in, register or refresh; wait a minute and try again.",
)
