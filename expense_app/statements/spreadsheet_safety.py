"""The formula guard of CSV cells, written by this app's export and undone by its import.

A spreadsheet runs a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (OWASP "CSV Injection"), so the export writes such a cell with a leading `'`, which opens
as text. A cell that itself starts with `'` gets one too, so the import can tell the guard from the
text and a round trip is lossless (`'=x` is written `''=x` and read back as `'=x`).
"""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_GUARD = "'"


def neutralise(cell: str) -> str:
    """`cell` with the guard added when a spreadsheet would run it, or when it starts with the guard."""
    return _GUARD + cell if cell.startswith((*FORMULA_PREFIXES, _GUARD)) else cell


def unneutralise(cell: str) -> str:
    """Undo `neutralise` (and the same guard in other apps' exports): `'=1+1` is the text `=1+1`."""
    return cell[1:] if cell.startswith(_GUARD) and cell[1:].startswith((*FORMULA_PREFIXES, _GUARD)) else cell
