"""Benchmarks of the expense app: data at scale (`bench.seeding`) and the load harness (`bench.run`).

Bench code lives outside the `expense_app` package, so the Docker image and an installed app ship
without it. Run its modules from the repository root, e.g. `python -m bench.run --help`; the
root is then on `sys.path`, so `expense_app` and `config` import without any path edits.
"""
