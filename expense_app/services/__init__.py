"""The domain: plain functions with keyword-only arguments and an explicit owner.

Services own the rules and the transaction (one commit per use case); they raise the errors of
`expense_app.errors` and never read `request`, `g` or `current_user`.
"""
