"""JPEG and PNG walkers (see :mod:`crawlcheck.media.containers` for the specs)."""

from __future__ import annotations

import re
import struct
import zlib

from crawlcheck.media._walk import (
    MAX_BLOCKS,
    PNG_RAW_PROFILE_KEYWORD,
    PNG_XMP_KEYWORD,
    XMP_APP1,
    XMP_EXTENSION_APP1,
    Walk,
    XmpPacket,
    inflate_bounded,
)
from crawlcheck.media.view import Truncated

# --- JPEG ------------------------------------------------------------------------------------


def jpeg(w: Walk) -> None:
    view = w.view
    pos = 2
    extended: dict[str, tuple[int, int, dict[int, bytes]]] = {}
    """GUID -> (first offset, declared full length, {chunk offset: data})."""
    for _ in range(MAX_BLOCKS):
        marker = view.read(pos, pos + 2, "JPEG marker")
        if marker[0] != 0xFF:
            w.note("media.jpeg-bad-marker", f"no JPEG marker at byte {pos:,}; reading stopped")
            break
        code = marker[1]
        if code == 0xFF:  # fill bytes (T.81 §B.1.1.2): skip the whole run at once
            held = view.held_from(pos)
            pos += max(1, len(held) - len(held.lstrip(b"\xff")) - 1)
            continue
        if code in (0xD9, 0xDA):  # EOI, or SOS: metadata segments precede the scan data
            break
        if code == 0x01 or 0xD0 <= code <= 0xD8:  # standalone markers
            pos += 2
            continue
        length = struct.unpack(">H", view.read(pos + 2, pos + 4, "JPEG segment length"))[0]
        if length < 2:
            w.note("media.jpeg-bad-length", f"segment at byte {pos:,} declares length {length}")
            break
        body_start, body_end = pos + 4, pos + 2 + length
        if code == 0xE1:  # APP1: Exif, XMP or Extended XMP
            head = view.read_upto(body_start, body_start + 75, "JPEG APP1 header")
            if head.startswith(XMP_APP1):
                data = view.read(body_start + len(XMP_APP1), body_end, "JPEG APP1 XMP packet")
                w.packets.append(
                    XmpPacket(data=data, offset=pos, where=f"JPEG APP1 segment at byte {pos:,}")
                )
            elif head.startswith(XMP_EXTENSION_APP1):
                _jpeg_extended(w, pos, body_start + len(XMP_EXTENSION_APP1), body_end, extended)
        elif code == 0xEB:  # APP11: JPEG XT boxes; C2PA puts its JUMBF manifest store here
            # CI "JP", En, Z, then the superbox ('jumb') whose description box is labelled
            # "c2pa" (C2PA 2.1 §A.3.1, ISO 19566-5); later segments continue the first.
            head = view.read_upto(body_start, body_start + 48, "JPEG APP11 header")
            if head[:2] == b"JP" and b"jumb" in head:
                if b"c2pa" in head and not w.c2pa:
                    w.c2pa.append(f"JPEG APP11 JUMBF segment at byte {pos:,}")
                w.c2pa_ranges.append((pos, body_end))
        pos = body_end
    else:
        w.note(
            "media.too-many-blocks",
            f"more than {MAX_BLOCKS:,} JPEG segments; reading stopped",
            "error",
        )
    for guid, (offset, full_length, parts) in extended.items():
        _assemble_extended(w, guid, offset, full_length, parts)


def _jpeg_extended(
    w: Walk,
    segment: int,
    start: int,
    end: int,
    extended: dict[str, tuple[int, int, dict[int, bytes]]],
) -> None:
    # XMP Part 3 §1.1.3.1: 32-byte GUID (hex MD5 of the full extended packet), 4-byte full
    # length, 4-byte offset of this portion, then the portion.
    header = w.view.read(start, start + 40, "JPEG Extended XMP header")
    if len(header) < 40:
        raise Truncated("JPEG Extended XMP segment shorter than its header")
    guid = header[:32].decode("ascii", "replace")
    full_length, offset = struct.unpack(">II", header[32:40])
    if full_length > w.max_xmp:
        w.note(
            "media.xmp-too-large",
            f"Extended XMP {guid} declares {full_length:,} bytes (limit {w.max_xmp:,}); not read",
            "error",
        )
        return
    data = w.view.read(start + 40, end, "JPEG Extended XMP portion")
    _, length, parts = extended.setdefault(guid, (segment, full_length, {}))
    if length != full_length:
        w.note("media.xmp-extended-length", f"Extended XMP {guid}: portions disagree on length")
    parts[offset] = data


def _assemble_extended(
    w: Walk, guid: str, offset: int, full_length: int, parts: dict[int, bytes]
) -> None:
    buffer = bytearray(full_length)
    covered = 0
    for at, data in sorted(parts.items()):
        if at + len(data) > full_length:
            w.note("media.xmp-extended-overflow", f"Extended XMP {guid}: a portion overflows")
            continue
        buffer[at : at + len(data)] = data
        covered += len(data)
    if covered < full_length:
        w.note(
            "media.xmp-extended-incomplete",
            f"Extended XMP {guid}: {covered:,} of {full_length:,} bytes present",
            "error",
        )
        return
    w.packets.append(
        XmpPacket(
            data=bytes(buffer),
            offset=offset,
            where=f"JPEG Extended XMP (APP1 segments from byte {offset:,}, GUID {guid})",
            extended_guid=guid,
        )
    )


# --- PNG -------------------------------------------------------------------------------------


def png(w: Walk) -> None:
    view = w.view
    pos = 8
    seen_idat = False
    for _ in range(MAX_BLOCKS):
        header = view.read(pos, pos + 8, "PNG chunk header")
        length, kind = struct.unpack(">I4s", header)
        if length > 0x7FFFFFFF:
            w.note("media.png-bad-length", f"chunk at byte {pos:,} declares {length:,} bytes")
            return
        end = pos + 12 + length
        if kind == b"IEND":
            return
        if kind == b"IDAT" and not seen_idat and view.size is not None:
            seen_idat = True
            # IDAT chunks are consecutive (PNG §5.6): what follows the run is found from the
            # end of the file, not by visiting every IDAT header in between.
            after = _png_after_idat(w, pos, end)
            if after is not None:
                for chunk_at, chunk_kind, chunk_length in after:
                    _png_chunk(w, chunk_at, chunk_kind, chunk_length, True)
                return
        seen_idat = seen_idat or kind == b"IDAT"
        _png_chunk(w, pos, kind, length, seen_idat)
        pos = end
    w.note(
        "media.too-many-blocks", f"more than {MAX_BLOCKS:,} PNG chunks; reading stopped", "error"
    )


def _png_chunk(w: Walk, pos: int, kind: bytes, length: int, after_idat: bool) -> None:
    data_start, data_end = pos + 8, pos + 8 + length
    if kind == b"caBX":
        w.c2pa.append(f"PNG caBX chunk at byte {pos:,}")
        w.c2pa_ranges.append((pos, pos + 12 + length))
    elif kind in (b"iTXt", b"tEXt", b"zTXt"):
        keyword = w.view.read_upto(data_start, min(data_end, data_start + 80), "PNG text keyword")
        name = keyword.split(b"\x00", 1)[0]
        if name in (PNG_XMP_KEYWORD, PNG_RAW_PROFILE_KEYWORD):
            _png_text(w, pos, kind, name, data_start, data_end, after_idat)


#: Bytes read from the end of a PNG first to find the chunks after the image data.
PNG_TAIL = 64 * 1024
_CHUNK_TYPE = re.compile(rb"(?=[A-Za-z]{4})")
PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _png_after_idat(
    w: Walk, first_idat: int, first_idat_end: int
) -> list[tuple[int, bytes, int]] | None:
    """Return (offset, type, length) of the chunks between the IDAT run and IEND, in order.

    Walks backwards from IEND (the last 12 bytes): each chunk is the one whose length field
    makes it end where the next begins, with a valid CRC, until an IDAT chunk (or the first
    IDAT, whose end is known). Returns None when the file does not end with IEND (then the
    forward walk reads on). Raises NeedBytes for a longer tail when the chain leaves it.
    """
    view = w.view
    size = view.size
    assert size is not None
    if size - 12 < first_idat_end or view.read(size - 12, size, "PNG IEND") != PNG_IEND:
        return None
    span = PNG_TAIL
    while True:
        start = max(first_idat_end, size - span)
        tail = view.read(start, size, "PNG chunks after the image data")
        found: list[tuple[int, bytes, int]] = []
        end = size - 12
        while end > first_idat_end:
            chunk = _png_chunk_ending_at(tail, start, end)
            if chunk is None:
                break
            at, kind, _ = chunk
            if kind == b"IDAT":
                return found[::-1]
            found.append(chunk)
            end = at
        else:
            return found[::-1]  # reached the end of the first IDAT
        if start == first_idat_end:
            # The chain broke inside bytes that are all held: not a well-formed PNG.
            w.note("media.png-bad-chunks", "chunks after the image data do not chain", "error")
            return []
        span *= 4


def _png_chunk_ending_at(tail: bytes, base: int, end: int) -> tuple[int, bytes, int] | None:
    """Return (offset, type, length) of the CRC-valid chunk in *tail* ending at *end*."""
    for match in _CHUNK_TYPE.finditer(tail, 4, end - base - 7):
        at = match.start() - 4
        length = struct.unpack(">I", tail[at : at + 4])[0]
        if base + at + 12 + length != end:
            continue
        body = tail[at + 4 : at + 8 + length]
        crc = struct.unpack(">I", tail[at + 8 + length : at + 12 + length])[0]
        if zlib.crc32(body) & 0xFFFFFFFF == crc:
            return base + at, tail[at + 4 : at + 8], length
    return None


def _png_text(
    w: Walk, pos: int, kind: bytes, name: bytes, start: int, end: int, after_idat: bool
) -> None:
    if end - start > w.max_xmp:
        w.note(
            "media.xmp-too-large",
            f"PNG {kind.decode()} chunk at byte {pos:,} holds {end - start:,} bytes "
            f"(limit {w.max_xmp:,}); not read",
            "error",
        )
        return
    body = w.view.read(start, end, f"PNG {kind.decode()} chunk")
    where = f"PNG {kind.decode()} chunk '{name.decode()}' at byte {pos:,}" + (
        " (after IDAT)" if after_idat else ""
    )
    rest = body[len(name) + 1 :]
    text: bytes | None
    if kind == b"iTXt":
        # iTXt: keyword\0 flag method language\0 translated\0 text (PNG §11.3.3.4)
        if len(rest) < 2:
            w.note("media.png-bad-itxt", f"{where}: too short")
            return
        flag, method = rest[0], rest[1]
        fields = rest[2:].split(b"\x00", 2)
        if len(fields) < 3:
            w.note("media.png-bad-itxt", f"{where}: missing language or keyword fields")
            return
        text = fields[2]
        if flag == 1:
            text = _inflate(w, text, where) if method == 0 else None
            if text is None:
                return
    elif kind == b"zTXt":
        text = _inflate(w, rest[1:], where)
        if text is None:
            return
    else:
        text = rest
    if name == PNG_RAW_PROFILE_KEYWORD:
        text = _raw_profile(text)
        if text is None:
            w.note("media.png-bad-raw-profile", f"{where}: not a hex raw profile", "error")
            return
        where += " (ImageMagick raw profile)"
    w.packets.append(XmpPacket(data=text, offset=pos, where=where))


def _raw_profile(text: bytes) -> bytes | None:
    # "\nxmp\n    LENGTH\nHEXHEX…" (ImageMagick's convention)
    parts = text.split(None, 2)
    if len(parts) < 3 or not parts[1].isdigit():
        return None
    try:
        return bytes.fromhex(parts[2].decode("ascii", "replace").replace("\n", ""))[: int(parts[1])]
    except ValueError:
        return None


def _inflate(w: Walk, data: bytes, where: str) -> bytes | None:
    """Return zlib-inflated *data*, at most the XMP limit; None (and a note) on failure."""
    inflated = inflate_bounded(data, w.max_xmp)
    if inflated is None:
        w.note("media.bad-compression", f"{where}: compressed data is corrupt", "error")
    elif len(inflated) > w.max_xmp:
        w.note(
            "media.xmp-too-large",
            f"{where}: inflates past {w.max_xmp:,} bytes; not read",
            "error",
        )
        return None
    return inflated
