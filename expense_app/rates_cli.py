"""`flask rates load [FILE]`: store the ECB reference rates and convert what was waiting for them."""

import time

import click
from flask.cli import AppGroup

from expense_app.errors import ValidationFailed
from expense_app.services import conversions, exchange_rates

rates_cli = AppGroup("rates", help="Exchange rates (the ECB reference rates).")


@rates_cli.command("load")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
def load(file: str | None) -> None:
    """Load FILE (an ECB eurofxref-hist .zip or .csv; default: the copy bundled with the app).

    Safe to repeat. Afterwards, every expense that was waiting for a rate and now has one is
    converted to its owner's base currency.
    """
    started = time.perf_counter()
    try:
        report = exchange_rates.load_rates(file)
    except ValidationFailed as error:
        raise click.ClickException(
            " ".join(message for messages in error.errors.values() for message in messages)
        ) from None
    converted = conversions.convert_waiting()
    click.echo(
        f"Loaded {report.rates} rates of {report.days} days ({report.first_date} to {report.last_date}), "
        f"{report.added} new, {report.changed} changed; converted {converted} waiting expenses in {time.perf_counter() - started:.1f} s"
    )
