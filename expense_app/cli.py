"""`flask` commands for operators: create-user, purge-tokens, recurring post, seed-bench."""

import click
from flask import Flask

from expense_app.errors import ServiceError
from expense_app.recurring_cli import recurring_cli
from expense_app.seeding import seed_bench_command
from expense_app.services import accounts, tokens


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


def register_cli(app: Flask) -> None:
    for command in (create_user, purge_tokens, seed_bench_command, recurring_cli):
        app.cli.add_command(command)
