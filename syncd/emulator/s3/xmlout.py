"""Building S3's XML bodies and its two time formats.

Imports nothing from syncd. ElementTree builds the documents (it escapes text); the
namespace is S3's 2006-03-01 one.
"""

from __future__ import annotations

import email.utils
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from starlette.responses import Response

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
XML_TYPE = "application/xml"


def element(
    tag: str, text: str | int | None = None, *, parent: ET.Element | None = None
) -> ET.Element:
    """A new element (under ``parent`` when given) with ``text``."""
    node = ET.Element(tag) if parent is None else ET.SubElement(parent, tag)
    if text is not None:
        node.text = str(text)
    return node


def to_xml(root: ET.Element) -> bytes:
    """The document with its XML declaration."""
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def document(tag: str) -> ET.Element:
    """A root element in S3's namespace."""
    return ET.Element(tag, xmlns=NAMESPACE)


def xml_reply(
    root: ET.Element, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """An XML reply."""
    reply = Response(to_xml(root), status_code=status, headers={"Content-Type": XML_TYPE})
    for name, value in (headers or {}).items():
        reply.headers[name] = value
    return reply


def iso_time(ms: int) -> str:
    """``2026-01-02T03:04:05.678Z`` (listings)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def http_time(ms: int) -> str:
    """``Wed, 02 Jan 2026 03:04:05 GMT`` (the Last-Modified header)."""
    return email.utils.formatdate(ms / 1000, usegmt=True)
