"""`flask` commands for operators: create-user, reset-password, purge-tokens, expenses purge-deleted, rates load, recurring
post, imports purge, and seed-bench in a checkout.

`seed-bench` is bench code (`bench/seeding.py`, outside the package): it is registered only when
the `bench` package can be imported, i.e. when the app runs from a checkout of the repository.
The Docker image and a pip-installed app have no bench/ and simply lack the command.
"""

import click
from flask import Flask

from expense_app.accounts_cli import reset_password_command
from expense_app.errors import ServiceError
from expense_app.imports_cli import imports_cli
from expense_app.rates_cli import rates_cli
from expense_app.recurring_cli import recurring_cli
from expense_app.services import accounts, deletions, tokens


@click.command("create-user")
@click.option("--email", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "full_name", default="")
@click.option("--currency", default="USD", show_default=True)
def create_user(email: str, password: str, full_name: str, currency: str) -> None:
    """Create an account (with the starter categories)."""
    try:
        user = accounts.register_user(email=email, password=password, full_name=full_name, currency=currency)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created user {user.id} <{user.email}>")


@click.command("purge-tokens")
def purge_tokens() -> None:
    """Delete token families whose refresh tokens have expired (run daily)."""
    click.echo(f"Deleted {tokens.purge_expired()} expired token families")


expenses_cli = click.Group("expenses", help="Maintenance of expenses.")


@expenses_cli.command("purge-deleted")
def purge_deleted() -> None:
    """Delete the Undo records of expenses deleted more than 7 days ago (run daily; deletes purge too)."""
    click.echo(f"Purged {deletions.purge_expired()} deleted expenses past the undo window")


def register_cli(app: Flask) -> None:
    for command in (
        create_user,
        reset_password_command,
        purge_tokens,
        expenses_cli,
        rates_cli,
        recurring_cli,
        imports_cli,
    ):
        app.cli.add_command(command)
    register_bench_cli(app)


def register_bench_cli(app: Flask) -> None:
    """Add `flask seed-bench` when the bench package is importable; do nothing when it is absent.

    Only a missing `bench` is tolerated: an ImportError from inside bench (a name it needs from
    the app has moved) is raised, so a broken bench fails loudly instead of losing its command.
    """
    try:
        from bench.seeding import seed_bench_command
    except ModuleNotFoundError as error:
        if error.name not in ("bench", "bench.seeding"):
            raise
        return
    app.cli.add_command(seed_bench_command)
