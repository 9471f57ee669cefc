"""`flask reset-password EMAIL`: the operator's way to let a user back in.

Without options it prints a one-time reset link (valid `PASSWORD_RESET_MINUTES`) to hand to the
user over a channel the operator trusts; the link is printed, never logged. With `--set` it asks
for the new password (twice, hidden) and sets it. Either way the account's failed sign-in counter
is cleared (a locked-out user can sign in again at once); setting a password, by `--set` or by the
link, ends every session and token of the user.
"""

import click
from flask.cli import with_appcontext

from expense_app.errors import ServiceError
from expense_app.services import password_reset


@click.command("reset-password")
@click.argument("email")
@click.option("--set", "set_now", is_flag=True, help="Prompt for the new password and set it now.")
@with_appcontext
def reset_password_command(email: str, set_now: bool) -> None:
    """Print a one-time reset link for EMAIL's account (or --set a password) and unlock it."""
    user = password_reset.find_user(email)
    if user is None:
        raise click.ClickException(f"No account has the email {email.strip()!r}.")
    password_reset.unlock(user)
    if not set_now:
        link = password_reset.reset_link(user)
        minutes = password_reset.minutes_valid()
        click.echo(f"Unlocked {user.email}. One-time link to choose a new password (valid {minutes} minutes):")
        click.echo(link)
        return
    new_password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        password_reset.set_password(user, new_password)
    except ServiceError as error:
        messages = [message for values in error.errors.values() for message in values] or [error.message]
        raise click.ClickException(" ".join(messages)) from None
    click.echo(f"Password of {user.email} set. Every session and token of the account was signed out.")
