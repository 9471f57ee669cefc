"""WSGI entry point: `gunicorn wsgi:app`; also lets `flask` find the app without FLASK_APP."""

from dotenv import load_dotenv

from expense_app import create_app

load_dotenv()  # a local .env, if any; real environment variables win
app = create_app()
