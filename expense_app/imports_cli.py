"""`flask imports purge`: delete the staged imports nobody committed within a day (run daily)."""

import click
from flask.cli import AppGroup

from expense_app.services import imports

imports_cli = AppGroup("imports", help="Statement imports.")


@imports_cli.command("purge")
def purge() -> None:
    """Delete staged imports older than one day, with their rows and stored files."""
    click.echo(f"Deleted {imports.purge_staged()} staged imports older than a day")
