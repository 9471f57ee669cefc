"""Bytes to text: which encoding a statement file is in.

Order matters: a byte-order mark is certain, strict UTF-8 almost so (random Windows-1252 text with
umlauts is practically never valid UTF-8), and only then does `charset-normalizer` guess. German
banks still export Windows-1252/Latin-1 (the Sparkasse sample), so "Müller" must come out right.
Line ends are normalised to `\\n` so every reader counts lines the same way.
"""

from __future__ import annotations

import codecs

import charset_normalizer

from expense_app.statements.model import UnreadableFile

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Single-byte Latin code pages the guesser confuses on short files (it calls the Sparkasse sample
# cp1250). When it names one of these, Windows-1252 competes: whichever decoding turns more of the
# non-ASCII bytes into letters wins, Windows-1252 on a tie (German umlauts are the same bytes in
# both, Polish `ł` is a letter only in cp1250).
_LATIN_LOOKALIKES = {"cp1252", "iso8859_1", "iso8859_15", "cp1250", "iso8859_2", "mac_roman", "cp850", "cp437"}


_SCORE_BYTES = 200_000


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of `data` names, or None."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Return `(text, encoding)`: `data` decoded, BOM removed, line ends normalised to `\\n`.

    A BOM, then strict UTF-8, decide first, even over a chosen `encoding`: a preset saved for a
    Windows-1252 export keeps reading right when the bank switches to UTF-8 (valid UTF-8 with
    umlauts is never really Windows-1252). Otherwise the chosen `encoding` is used, or guessed.
    Raises UnreadableFile when the bytes are not text in the chosen or any guessed encoding.
    """
    bom = bom_encoding(data)
    if encoding and not bom and not _is_utf8(data):
        try:
            text, name = data.decode(encoding).removeprefix("\ufeff"), encoding
        except (UnicodeDecodeError, LookupError):
            raise UnreadableFile(f"This file is not valid {encoding} text; choose another encoding.") from None
    else:
        text, name = _detect(data)
    return normalise_newlines(text), name


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def normalise_newlines(text: str) -> str:
    """`text` with CRLF and lone CR line ends turned into LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _detect(data: bytes) -> tuple[str, str]:
    bom = bom_encoding(data)
    if bom:
        try:
            return data.decode(bom).removeprefix("\ufeff"), bom
        except UnicodeDecodeError:
            raise UnreadableFile(f"This file starts like {bom} text but is not; save it again as UTF-8.") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    # No guess happens on short files; the Latin code pages are then the likely ones.
    guess = "cp1250" if best is None else codecs.lookup(best.encoding).name.replace("-", "_")
    if best is not None and guess not in _LATIN_LOOKALIKES:
        return str(best), best.encoding
    # Scored on a sample: single-byte code pages decode any cut of the bytes.
    sample = data[:_SCORE_BYTES]
    scores = {}
    for name in ("cp1252", guess):
        try:
            data.decode(name)
        except UnicodeDecodeError:
            continue
        scores[name] = _letters(sample.decode(name))
    if not scores:
        return data.decode("latin-1"), "latin-1"
    best_name = max(scores, key=lambda name: scores[name])  # first (cp1252) on a tie
    return data.decode(best_name), best_name


def _letters(text: str) -> int:
    return sum(1 for char in text if not char.isascii() and char.isalpha())
