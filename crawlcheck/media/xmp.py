"""Read the rights properties of one raw XMP packet, namespaces intact, through a safe parser.

XMP is RDF/XML (XMP Specification Part 1, ISO 16684-1 §7): a property may be an attribute
of ``rdf:Description`` (simple value), an element with text, an element with
``rdf:resource`` (a URI value), an element holding an ``rdf:Alt``/``rdf:Bag``/``rdf:Seq``
of ``rdf:li`` items, or a qualified value (``rdf:value``). Every form is read.

The packet is parsed with ``defusedxml`` exactly as RSL licences are
(:mod:`crawlcheck.parsers.rsl`): entity declarations and external references are refused,
so a hostile packet can neither expand (billion laughs) nor read local files, and nothing
is fetched. Size is bounded by the caller (the planner's per-packet limit).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: PLUS LDF XMP namespace (IPTC Photo Metadata 2023.1 "Data Mining", "Other Constraints").
PLUS = "http://ns.useplus.org/ldf/xmp/1.0/"
#: TDMRep XMP namespace for PDF (TDMRep CG-FINAL §"PDF"): ends with a slash.
TDMREP = "http://www.w3.org/ns/tdmrep/"
#: The EPUB 3 prefix IRI (ends with '#'); seen in XMP by mistake, read with a warning.
TDMREP_HASH = "http://www.w3.org/ns/tdmrep#"
#: IPTC Extension namespace: some tools wrote DataMining here instead of the PLUS one.
IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
XMP_NOTE = "http://ns.adobe.com/xmp/note/"
#: C2PA 2.1 §A.2.2: XMP ``dcterms:provenance`` names the manifest (a remote URL or a JUMBF URI).
DCTERMS = "http://purl.org/dc/terms/"

#: Properties read, as (namespace, local name).
WANTED: frozenset[tuple[str, str]] = frozenset(
    {
        (PLUS, "DataMining"),
        (PLUS, "OtherConstraints"),
        (IPTC_EXT, "DataMining"),
        (IPTC_EXT, "EmbdEncRightsExpr"),
        (IPTC_EXT, "LinkedEncRightsExpr"),
        (TDMREP, "reservation"),
        (TDMREP, "policy"),
        (TDMREP_HASH, "reservation"),
        (TDMREP_HASH, "policy"),
        (XMP_NOTE, "HasExtendedXMP"),
        (DCTERMS, "provenance"),
    }
)

#: Conventional prefixes, for evidence text.
PREFIXES = {
    PLUS: "plus",
    TDMREP: "tdm",
    TDMREP_HASH: "tdm",
    IPTC_EXT: "Iptc4xmpExt",
    XMP_NOTE: "xmpNote",
    DCTERMS: "dcterms",
}

_CONTAINERS = frozenset({f"{{{RDF}}}Alt", f"{{{RDF}}}Bag", f"{{{RDF}}}Seq"})
#: Nesting followed inside one property value (li → Description → value …).
_MAX_VALUE_DEPTH = 8
#: Characters kept of a structured value's text (rights expressions can be long).
_MAX_STRUCT_TEXT = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class XmpProperty:
    """One property as written: its values and the raw form it was found in."""

    namespace: str
    name: str
    values: tuple[str, ...]
    """Each value as written, surrounding whitespace removed (several for Bag/Seq/Alt)."""
    raw: str
    """The property as found, e.g. ``<plus:DataMining rdf:resource="…"/>``."""

    @property
    def qname(self) -> str:
        """Return ``prefix:name`` with the conventional prefix."""
        return f"{PREFIXES.get(self.namespace, self.namespace)}:{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class XmpRead:
    """The properties of interest in one packet, or why it could not be read."""

    properties: tuple[XmpProperty, ...] = ()
    error: str = ""
    """Empty when the packet parsed; else why not (the planner makes it a Problem)."""
    unsafe: bool = False
    """The packet declared entities or external references and was refused."""

    def find(self, namespace: str, name: str) -> tuple[XmpProperty, ...]:
        """Return the properties named (*namespace*, *name*) in document order."""
        return tuple(p for p in self.properties if (p.namespace, p.name) == (namespace, name))


def trim_packet(data: bytes) -> bytes:
    """Return *data* cut to the XMP packet: from the first ``<`` to the packet's end.

    Containers pad packets (NULs, spaces, GIF's trailer); the XML parser must not see that.

    >>> trim_packet(b"\\x00\\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'></x:xmpmeta>\\x00  junk")
    b"<x:xmpmeta xmlns:x='adobe:ns:meta/'></x:xmpmeta>"
    """
    start = data.find(b"<")
    if start < 0:
        return b""
    data = data[start:]
    end_pi = data.rfind(b"<?xpacket end=")
    if end_pi >= 0:
        close = data.find(b"?>", end_pi)
        if close >= 0:
            return data[: close + 2]
    for closing in (b"</x:xmpmeta>", b"</x:xapmeta>", b"</rdf:RDF>"):
        at = data.rfind(closing)
        if at >= 0:
            return data[: at + len(closing)]
    return data.rstrip(b"\x00 \t\r\n")


def read_xmp(data: bytes) -> XmpRead:
    """Return the rights-related properties of one XMP packet; never raises.

    >>> packet = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
    ...     b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    ...     b'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" plus:DataMining='
    ...     b'"http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED"/></rdf:RDF></x:xmpmeta>')
    >>> [p.values for p in read_xmp(packet).properties]
    [('http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED',)]
    """
    packet = trim_packet(data)
    if not packet:
        return XmpRead(error="no XML in the packet")
    parser = DefusedXMLParser(
        target=ET.TreeBuilder(), forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(packet)
        root = parser.close()
    except DefusedXmlException as exc:
        return XmpRead(error=f"refused: the XMP declares entities or a DTD ({exc})", unsafe=True)
    except ET.ParseError as exc:
        return XmpRead(error=f"not well-formed XML ({exc})")
    except Exception as exc:  # expat raises a few other errors on odd encodings
        return XmpRead(error=f"not readable as XML ({type(exc).__name__}: {exc})")
    found: list[XmpProperty] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for key, value in element.attrib.items():
            name = _split(key)
            if name in WANTED:
                raw = f'{_qname(name)}="{value}"'
                found.append(_prop(name, (value.strip(),), raw))
        name = _split(element.tag)
        if name in WANTED:
            try:
                values = tuple(v for v in _values(element, 0) if v)
            except _TooDeep:
                return XmpRead(
                    error=f"{_qname(name)} is nested deeper than {_MAX_VALUE_DEPTH} levels"
                )
            found.append(_prop(name, values, _raw_element(name, element, values)))
    return XmpRead(properties=tuple(found))


class _TooDeep(Exception):
    """A property value nested past ``_MAX_VALUE_DEPTH``: malformed, so unknown."""


def _prop(name: tuple[str, str], values: tuple[str, ...], raw: str) -> XmpProperty:
    return XmpProperty(namespace=name[0], name=name[1], values=values, raw=raw)


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _qname(name: tuple[str, str]) -> str:
    return f"{PREFIXES.get(name[0], name[0])}:{name[1]}"


def _values(element: ET.Element, depth: int) -> list[str]:
    """Return the values of a property element in any RDF form (bounded nesting)."""
    if depth > _MAX_VALUE_DEPTH:
        raise _TooDeep
    resource = element.get(f"{{{RDF}}}resource")
    if resource is not None:
        return [resource.strip()]
    value_attr = element.get(f"{{{RDF}}}value")
    if value_attr is not None:
        return [value_attr.strip()]
    values: list[str] = []
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _CONTAINERS:
            for item in child:
                if item.tag == f"{{{RDF}}}li":
                    values.extend(_values(item, depth + 1))
        elif tag == f"{{{RDF}}}Description" or tag == f"{{{RDF}}}value":
            values.extend(_values(child, depth + 1))
    if values:
        return values
    for child in element:  # rdf:parseType="Resource": the value is an rdf:value child
        if child.tag == f"{{{RDF}}}value":
            return _values(child, depth + 1)
    text = (element.text or "").strip()
    if text:
        return [text]
    if any(isinstance(c.tag, str) and c.tag in _CONTAINERS for c in element):
        return []  # an empty container
    # A structure (e.g. Iptc4xmpExt:LinkedEncRightsExpr): its leaf texts, as one value.
    leaves = " ".join(" ".join(element.itertext()).split())
    return [leaves[:_MAX_STRUCT_TEXT]] if leaves else []


def _raw_element(name: tuple[str, str], element: ET.Element, values: tuple[str, ...]) -> str:
    qname = _qname(name)
    resource = element.get(f"{{{RDF}}}resource")
    if resource is not None:
        return f'<{qname} rdf:resource="{resource}"/>'
    container = next(
        (_split(c.tag)[1] for c in element if isinstance(c.tag, str) and c.tag in _CONTAINERS),
        "",
    )
    shown = "".join(f"<rdf:li>{v}</rdf:li>" for v in values)
    if container:
        return f"<{qname}><rdf:{container}>{shown}</rdf:{container}></{qname}>"
    return f"<{qname}>{' '.join(values)}</{qname}>"
