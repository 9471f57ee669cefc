"""The one way the statement readers parse XML: defusedxml, with DTDs and entities refused.

An uploaded XML file could declare entities that expand to gigabytes ("billion laughs") or pull
in local files and URLs (external entities). Bank statements (OFX 2.x, CAMT) never need a DTD or
an entity declaration, so any file that has one is refused whole, with a message saying why.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import defusedxml
import defusedxml.ElementTree as safe_et

from expense_app.statements.model import UnreadableFile

ENTITY_MESSAGE = "This file contains XML entity declarations, which are refused for safety."

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def parse_xml(data: bytes | str) -> ET.Element:
    """The root element of `data`. A DTD, an entity declaration or an external reference ->
    UnreadableFile(ENTITY_MESSAGE); text that is not well-formed XML -> UnreadableFile."""
    if isinstance(data, str):
        # A str is already decoded; its declaration's encoding would contradict that.
        data = _DECLARATION.sub("", data, count=1)
    try:
        return safe_et.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as error:
        raise UnreadableFile(ENTITY_MESSAGE) from error
    except (ET.ParseError, ValueError, LookupError) as error:
        # LookupError: an encoding name in the declaration that Python does not know.
        raise UnreadableFile(f"This file is not well-formed XML ({_reason(error)}).") from error


def _reason(error: Exception) -> str:
    text = str(error).split(":", 1)[0] if isinstance(error, ET.ParseError) else str(error)
    return text.strip()[:120] or "unreadable"


def local_name(tag: object) -> str:
    """An element's tag without its namespace (`{urn:...camt.053.001.02}Ntry` -> `Ntry`); ""
    for comments and processing instructions, whose tag is not a string."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def child(element: ET.Element | None, *path: str) -> ET.Element | None:
    """The first descendant along `path` of local names, whatever the namespace, or None."""
    node = element
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if local_name(c.tag) == name), None)
    return node


def text_of(element: ET.Element | None, *path: str) -> str | None:
    """The stripped text at `path` under `element` (`element` itself without a path), or None
    when it is missing or empty."""
    node = child(element, *path) if path else element
    if node is None or node.text is None:
        return None
    return node.text.strip() or None
