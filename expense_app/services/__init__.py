"""The domain: plain functions with keyword-only arguments and an explicit owner.

Services own the rules and the transaction; they raise the errors of `expense_app.errors` and
never read `request`, `g` or `current_user`. Under them is a small kernel used by all: the input
rules (`rules`), the unit of work (`unit_of_work.transaction`) and exact money sums (`money`);
see docs/ARCHITECTURE.md.
"""
