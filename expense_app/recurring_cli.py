"""`flask recurring ...`: the scheduler's entry point for recurring expenses.

Run `flask recurring post` from cron or a Heroku-style scheduler (daily is enough). Running it
twice, or twice at the same moment, creates each occurrence exactly once.
"""

import datetime as dt

import click
from flask.cli import AppGroup

from expense_app.services import recurring

recurring_cli = AppGroup("recurring", help="Recurring expenses.")


@recurring_cli.command("post")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Post as if today were this date (YYYY-MM-DD); today in UTC by default.",
)
def post(today: dt.datetime | None) -> None:
    """Create every due expense of every running template, up to and including today."""
    created = recurring.post_all_due(today=today.date() if today else None)
    noun = "expense" if created == 1 else "expenses"
    click.echo(f"Created {created} recurring {noun}")
