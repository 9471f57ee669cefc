"""Helpers the OFX, QIF, MT940 and CAMT readers share: bytes to text, bank amounts, the row limit.

Bank files rarely say their encoding truthfully (an OFX header says `CHARSET:1252` or `USASCII`
over Latin-1 bytes), so text is decoded by what the bytes are: a BOM, then strict UTF-8, then the
charset the file declares, then a single-byte guess. Nothing here raises for a bad value: an
amount that cannot be read is None, so the reader can turn it into a row error.
"""

from __future__ import annotations

import bisect
import codecs
import re
from decimal import Decimal, InvalidOperation

from expense_app.statements.model import UnreadableFile

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# How files name their charset -> the Python codec. Unknown names are ignored, not trusted.
_CHARSET_ALIASES = {
    "1252": "cp1252",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
    "8859-1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
    "latin1": "latin-1",
    "latin-1": "latin-1",
    "iso-8859-15": "iso-8859-15",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "usascii": "ascii",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "macintosh": "mac_roman",
    "mac_roman": "mac_roman",
    "macroman": "mac_roman",
}


def codec_for(charset: str | None) -> str | None:
    """The Python codec for a charset name a file declares, or None when it is unknown."""
    if not charset:
        return None
    return _CHARSET_ALIASES.get(charset.strip().lower())


def decode(data: bytes, *, declared: str | None = None, single_byte: tuple[str, ...] = ()) -> str:
    """`data` as text: BOM, strict UTF-8, the declared charset, then the best of `single_byte`
    codecs by charset-normalizer (cp1252 when none is given); never fails (Latin-1 reads any
    byte). A NUL byte means a binary file: UnreadableFile."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError as error:
                raise UnreadableFile(
                    "This file starts with a Unicode byte-order mark but is not valid text."
                ) from error
    if b"\x00" in data:
        raise UnreadableFile("This file contains binary data, not a text statement.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = codec_for(declared)
    if codec and codec not in ("utf-8", "ascii"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    candidates = single_byte or ("cp1252",)
    if len(candidates) > 1:
        # Local import: charset-normalizer is only needed for the rare non-UTF-8 file.
        from charset_normalizer import from_bytes

        best = from_bytes(data, cp_isolation=list(candidates)).best()
        if best is not None:
            return str(best)
    try:
        return data.decode(candidates[0])
    except UnicodeDecodeError:
        return data.decode("latin-1")


def split_lines(text: str) -> list[str]:
    """Lines of `text` on LF, CRLF or a bare CR (classic Mac files), without the line ends."""
    return re.split(r"\r\n|\r|\n", text)


_AMOUNT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_amount(text: str | None, *, decimal: str | None = None) -> Decimal | None:
    """A bank amount as Decimal, or None when it is not one. `decimal` is "." or ","; None reads
    either: the last of `.`/`,` is the decimal mark when both occur, a lone `,` is a decimal
    comma (OFX and MT940 have no thousands separators). ASCII digits only."""
    if text is None:
        return None
    value = text.strip().replace(" ", "").replace("\u00a0", "").replace("'", "")
    if value.startswith("+"):
        value = value[1:]
    if not value:
        return None
    if decimal is None:
        if "," in value and "." in value:
            decimal = "," if value.rfind(",") > value.rfind(".") else "."
        else:
            decimal = "," if "," in value else "."
    thousands = "." if decimal == "," else ","
    value = value.replace(thousands, "")
    if decimal == ",":
        value = value.replace(",", ".")
    if value.count(".") > 1 or not _AMOUNT.fullmatch(value):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def check_row_limit(count: int, max_rows: int) -> None:
    """UnreadableFile when a file has more than `max_rows` transaction records."""
    if count > max_rows:
        raise UnreadableFile(
            f"This file has more than {max_rows:,} transactions; split it into smaller files "
            "and import them one by one."
        )


class LineIndex:
    """1-based line numbers of character offsets of one text (LF, CRLF or CR line ends), found
    by bisection so a file of 100,000 records is not rescanned per record."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def line(self, offset: int) -> int:
        """The line number character `offset` is on."""
        return bisect.bisect_right(self._starts, offset)


def clean(text: str | None) -> str:
    """`text` with runs of whitespace collapsed to one space and no edges; "" for None."""
    return " ".join((text or "").split())
