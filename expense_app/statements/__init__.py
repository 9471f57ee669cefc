"""Statement files in, parsed rows out: CSV, OFX/QFX, QIF, MT940, CAMT and apps' exports.

No database, no Flask: bytes and settings in, a `model.ParsedFile` out, or `UnreadableFile` with a
message for the user. The imports service (`services/imports.py`) stages what these return.
"""
