"""PDF metadata streams: the XMP of the document (ISO 32000-2 §14.3.2) and of its objects.

A metadata stream is a stream object whose dictionary has ``/Type /Metadata`` and
``/Subtype /XML``; the document's own is the one the catalog's ``/Metadata`` names. Files
are read as they are written, not through a full PDF parser: objects are found by their
``N G obj`` headers in the bytes held, the latest definition of an object number wins
(incremental updates append new definitions, ISO 32000-2 §7.5.6), and catalogs inside
compressed object streams (§7.5.7) are found by inflating those streams (bounded).

Streams are uncompressed or ``/FlateDecode`` (bounded inflation: a decompression bomb stops
at the limit and is reported). Any other filter is reported, and the stream is unknown.
Where a file's bytes are only partly held (range requests), :func:`locate` says which
range holds what is missing: the classic cross-reference table names each object's offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawlcheck.media.containers import XmpPacket, inflate_bounded
from crawlcheck.media.view import ByteRange, ByteView

_OBJ = re.compile(rb"(?<![0-9])(\d{1,10})\s+(\d{1,5})\s+obj\b")
_TYPE_METADATA = re.compile(rb"/Type\s*/Metadata\b")
_SUBTYPE_XML = re.compile(rb"/Subtype\s*/XML\b")
_TYPE_CATALOG = re.compile(rb"/Type\s*/Catalog\b")
_TYPE_OBJSTM = re.compile(rb"/Type\s*/ObjStm\b")
_METADATA_REF = re.compile(rb"/Metadata\s+(\d{1,10})\s+(\d{1,5})\s+R\b")
_LENGTH = re.compile(rb"/Length\s+(\d{1,12})(\s+\d{1,5}\s+R)?")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
_STREAM = re.compile(rb"stream(\r\n|\n|\r)")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
#: How far past a dictionary's start ``stream`` is looked for (dictionaries are small).
_MAX_DICT = 64 * 1024
#: Object streams inflated to look for the catalog, at most.
_MAX_OBJSTM = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfScan:
    """The metadata streams of a PDF (latest definitions), and which is the document's."""

    packets: tuple[XmpPacket, ...] = ()
    document: frozenset[int] = frozenset()
    """Offsets of the packets that are the document's own metadata (the catalog's)."""
    catalog_found: bool = False
    metadata_object: int | None = None
    """Object number the catalog names as ``/Metadata`` (None: none, or no catalog)."""
    notes: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class _Object:
    number: int
    offset: int
    dictionary: bytes
    body_start: int
    """Offset of the stream data, or -1 for an object without a stream."""
    length: int | None


def _objects(view: ByteView) -> dict[int, _Object]:
    """Return the latest definition of every object whose header is held, by number.

    Each object's dictionary is looked for between its header and the next header (at most
    ``_MAX_DICT`` bytes), so the work stays linear in the bytes held whatever they contain.
    """
    found: dict[int, _Object] = {}
    for span_start, chunk in view.spans:
        headers = [(m.start(), m.end(), int(m.group(1))) for m in _OBJ.finditer(chunk)]
        for index, (start, at, number) in enumerate(headers):
            limit = headers[index + 1][0] if index + 1 < len(headers) else len(chunk)
            limit = min(limit, at + _MAX_DICT)
            stream = _STREAM.search(chunk, at, limit)
            end_obj = chunk.find(b"endobj", at, limit)
            if stream is not None and (end_obj < 0 or stream.start() < end_obj):
                dictionary = chunk[at : stream.start()]
                length_match = _LENGTH.search(dictionary)
                length = (
                    int(length_match.group(1))
                    if length_match and not length_match.group(2)
                    else None
                )
                body = span_start + stream.end()
            else:
                dictionary = chunk[at : end_obj if end_obj >= 0 else limit]
                body, length = -1, None
            offset = span_start + start
            previous = found.get(number)
            if previous is None or previous.offset < offset:
                found[number] = _Object(number, offset, dictionary, body, length)
    return found


def _stream_data(view: ByteView, obj: _Object, limit: int) -> bytes | None:
    """Return the raw stream bytes when held (by /Length, else up to ``endstream``)."""
    if obj.length is not None:
        if obj.length > limit:
            return None
        return view.get(obj.body_start, obj.body_start + obj.length)
    held = view.held_from(obj.body_start)[: limit + 16]
    end = held.find(b"endstream")
    if end < 0:
        return None
    return held[:end].rstrip(b"\r\n")


def _decode(raw: bytes, dictionary: bytes, limit: int) -> tuple[bytes | None, str]:
    """Return (decoded bytes, problem) of a stream: raw, or Flate-inflated within *limit*."""
    match = _FILTER.search(dictionary)
    filters = re.findall(rb"/([A-Za-z0-9]+)", match.group(1)) if match else []
    if not filters:
        return raw, ""
    if filters != [b"FlateDecode"]:
        names = ", ".join(f.decode("ascii", "replace") for f in filters)
        return None, f"filter {names} is not read (only FlateDecode)"
    inflated = inflate_bounded(raw, limit)
    if inflated is None:
        return None, "FlateDecode data is corrupt"
    if len(inflated) > limit:
        return None, f"inflates past {limit:,} bytes (limit)"
    return inflated, ""


def scan(view: ByteView, *, max_xmp_bytes: int) -> PdfScan:
    """Return the metadata streams found in the bytes held, and the catalog's choice."""
    objects = _objects(view)
    notes: list[tuple[str, str, str]] = []
    metadata_ref: int | None = None
    catalog_found = False
    catalogs = [o for o in objects.values() if _TYPE_CATALOG.search(o.dictionary)]
    if catalogs:
        catalog = max(catalogs, key=lambda o: o.offset)
        catalog_found = True
        ref = _METADATA_REF.search(catalog.dictionary)
        metadata_ref = int(ref.group(1)) if ref else None
    else:
        catalog_found, metadata_ref = _catalog_in_object_streams(view, objects, max_xmp_bytes)
    packets: list[XmpPacket] = []
    document: set[int] = set()
    for obj in sorted(objects.values(), key=lambda o: o.offset):
        if obj.body_start < 0 or not _TYPE_METADATA.search(obj.dictionary):
            continue
        if not _SUBTYPE_XML.search(obj.dictionary):
            continue
        where = f"PDF metadata stream (object {obj.number}) at byte {obj.offset:,}"
        raw = _stream_data(view, obj, max_xmp_bytes)
        if raw is None:
            level = "error" if view.complete else "info"
            notes.append(("pdf.metadata-unread", level, f"{where}: stream data not held"))
            continue
        data, problem = _decode(raw, obj.dictionary, max_xmp_bytes)
        if data is None:
            notes.append(("pdf.metadata-undecodable", "error", f"{where}: {problem}"))
            continue
        own = obj.number == metadata_ref
        if own:
            where = f"PDF document metadata stream (object {obj.number}, the catalog's /Metadata) at byte {obj.offset:,}"
            document.add(obj.offset)
        packets.append(XmpPacket(data=data, offset=obj.offset, where=where))
    return PdfScan(
        packets=tuple(packets),
        document=frozenset(document),
        catalog_found=catalog_found,
        metadata_object=metadata_ref,
        notes=tuple(notes),
    )


def _catalog_in_object_streams(
    view: ByteView, objects: dict[int, _Object], limit: int
) -> tuple[bool, int | None]:
    streams = [
        o for o in objects.values() if o.body_start >= 0 and _TYPE_OBJSTM.search(o.dictionary)
    ]
    for obj in streams[:_MAX_OBJSTM]:
        raw = _stream_data(view, obj, limit)
        if raw is None:
            continue
        data, _ = _decode(raw, obj.dictionary, limit)
        if data is None:
            continue
        for match in _TYPE_CATALOG.finditer(data):
            # The catalog's dictionary surrounds the match; /Metadata is near it.
            window = data[max(0, match.start() - 2048) : match.end() + 2048]
            ref = _METADATA_REF.search(window)
            return True, int(ref.group(1)) if ref else None
    return False, None


def locate(view: ByteView, pdf: PdfScan) -> ByteRange | None:
    """Return a byte range that would complete the document's metadata, or None.

    Uses the classic cross-reference tables held (``xref`` sections) to find the catalog's
    ``/Metadata`` object; without one (or with cross-reference streams) returns None and the
    planner falls back to reading the file whole, within its budget.
    """
    if pdf.document:
        return None
    offsets = _xref_offsets(view)
    wanted = pdf.metadata_object
    if wanted is not None and wanted in offsets:
        start = offsets[wanted]
        if not view.has(start, start + 1):
            return ByteRange(start=start, end=start + 64 * 1024, reason="PDF metadata object")
    return None


def _xref_offsets(view: ByteView) -> dict[int, int]:
    """Return object number -> offset from every classic xref section held (latest wins)."""
    offsets: dict[int, int] = {}
    for _, chunk in view.spans:
        for section in re.finditer(rb"\bxref\s+", chunk):
            pos = section.end()
            for _ in range(1000):
                header = re.match(rb"(\d{1,10})\s+(\d{1,10})\s+", chunk[pos:])
                if header is None:
                    break
                first, count = int(header.group(1)), int(header.group(2))
                pos += header.end()
                for index in range(min(count, 1_000_000)):
                    entry = _XREF_ENTRY.match(chunk, pos)
                    if entry is None:
                        break
                    if entry.group(3) == b"n":
                        offsets[first + index] = int(entry.group(1))
                    pos = entry.end()
                    while pos < len(chunk) and chunk[pos : pos + 1] in b" \r\n":
                        pos += 1
    return offsets
