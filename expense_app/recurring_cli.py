"""`flask recurring ...`: the scheduler's entry point for recurring expenses.

Run `flask recurring post` from cron or a Heroku-style scheduler (daily is enough). Running it
twice, or twice at the same moment, creates each occurrence exactly once. One run posts at most
`MAX_POSTS_PER_RUN` occurrences per template (oldest first) and says when more remain: the next
run continues. An occurrence the database refuses (another run posted it first, or its owner was
deleted meanwhile) is counted, and the run goes on.
"""

import datetime as dt

import click
from flask.cli import AppGroup

from expense_app.services import recurring

recurring_cli = AppGroup("recurring", help="Recurring expenses.")


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


@recurring_cli.command("post")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Post as if today were this date (YYYY-MM-DD); today in UTC by default.",
)
def post(today: dt.datetime | None) -> None:
    """Create every due expense of every running template, up to and including today."""
    report = recurring.post_all_due(today=today.date() if today else None)
    click.echo(f"Created {_plural(report.created, 'recurring expense', 'recurring expenses')}")
    if report.refused:
        click.echo(
            f"{_plural(report.refused, 'due occurrence was', 'due occurrences were')} not posted: another run "
            "posted them first, or their template or its owner changed meanwhile."
        )
    if report.more_due:
        click.echo(
            f"More remain: {_plural(report.more_due, 'recurring expense has', 'recurring expenses have')} more than "
            f"{recurring.MAX_POSTS_PER_RUN} due occurrences; this run posted the oldest {recurring.MAX_POSTS_PER_RUN} "
            "of each. Run `flask recurring post` again to continue."
        )
