"""Unbound extension singletons, bound to an app in `create_app` with `init_app`.

Keeping them here (and not in `__init__`) lets models, services and views import them without
import cycles, and keeps import free of side effects: nothing connects until `init_app`.
"""

from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

from expense_app.errors import JsonErrorApi
from expense_app.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
jwt = JWTManager()
csrf = CSRFProtect()
limiter = Limiter(get_remote_address)
talisman = Talisman()
cors = CORS()
api = JsonErrorApi()
