"""Unbound extension singletons, bound to an app in `create_app` with `init_app`.

Keeping them here (and not in `__init__`) lets models, services and views import them without
import cycles, and keeps import free of side effects: nothing connects until `init_app`.

flask-talisman is not here: a Talisman instance keeps the app it was bound to (`self.app`) and its
options as attributes, so it cannot serve several apps in one process (the test suite builds one
per test). `expense_app.ops.security_headers` builds one per app instead.
"""

from flask import current_app, request
from flask_compress import Compress
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from expense_app.models.base import Base
from expense_app.responses import JsonErrorApi

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
jwt = JWTManager()
csrf = CSRFProtect()
# Sends nothing until a page asks it to; the mail flows exist only when MAIL_SERVER is set.
mail = Mail()


def _outside_api() -> bool:
    # The default limit guards the JSON API; pages and static files are exempt.
    return not request.path.startswith("/api/")


def _default_api_limit() -> str:
    # Read per request: flask-limiter keeps the first app's configured default for the process.
    return current_app.config["RATELIMIT_DEFAULT"]


limiter = Limiter(get_remote_address, default_limits=[_default_api_limit], default_limits_exempt_when=_outside_api)
cors = CORS()
compress = Compress()
api = JsonErrorApi()
