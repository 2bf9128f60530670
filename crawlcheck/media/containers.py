"""Where XMP and C2PA live in image containers: JPEG, PNG, WebP, TIFF, GIF.

Each walker reads a file's structure through a :class:`~crawlcheck.media.view.ByteView`,
touching only the headers of the blocks it skips and the bodies of the blocks that carry
metadata. It returns the raw XMP packets with where they were found and whether a C2PA
manifest store is present; it raises ``NeedBytes`` when bytes it must read are not held yet
and ``Truncated`` when the file ends inside a structure it declares.

The container is detected from magic bytes (:func:`detect`), never from a file name.
Specs: JPEG — XMP Specification Part 3 (2020) §1.1.3 (APP1, Extended XMP); PNG — PNG 3rd
edition §11.3.3.4 iTXt and XMP Part 3 §1.1.5; WebP — RIFF container spec ("XMP " chunk);
TIFF — TIFF 6.0 + XMP Part 3 §1.1.6 (tag 700), BigTIFF; GIF — XMP Part 3 §1.1.2
(application extension "XMP DataXMP"). C2PA 2.1 §A.3 names the carriers detected here
(JPEG APP11 JUMBF, PNG ``caBX``, WebP ``C2PA``, TIFF tag 0xCD41).
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from crawlcheck.media.view import ByteView, Truncated

#: Media types by magic bytes; checked in order.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
    (b"II+\x00", 0, "image/tiff"),
    (b"MM\x00+", 0, "image/tiff"),
    (b"%PDF-", 0, "application/pdf"),
)

#: How many blocks (segments, chunks, IFD entries, GIF blocks) a walker visits at most: a
#: hostile file of millions of empty blocks must not keep it busy.
MAX_BLOCKS = 20_000

XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXTENSION_APP1 = b"http://ns.adobe.com/xmp/extension/\x00"
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"
#: ImageMagick writes XMP as a hex "raw profile" in tEXt/zTXt (not the XMP spec's place).
PNG_RAW_PROFILE_KEYWORD = b"Raw profile type xmp"
TIFF_XMP_TAG = 700
TIFF_C2PA_TAG = 0xCD41


@dataclass(frozen=True, slots=True, kw_only=True)
class XmpPacket:
    """One raw XMP packet and where it sits in the file."""

    data: bytes
    offset: int
    """Byte offset in the file of the block that carries it."""
    where: str
    """Human-readable location: ``JPEG APP1 segment``, ``PNG iTXt chunk after IDAT``…"""
    extended_guid: str = ""
    """For JPEG Extended XMP: the GUID the parts were reassembled under."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerScan:
    """What a container walk found."""

    media_type: str
    packets: tuple[XmpPacket, ...] = ()
    c2pa: tuple[str, ...] = ()
    """Where a C2PA manifest store was seen (empty: none in the places looked at)."""
    c2pa_ranges: tuple[tuple[int, int], ...] = ()
    """Byte ranges of the blocks carrying it (JPEG APP11 segments, PNG caBX chunk)."""
    notes: tuple[tuple[str, str, str], ...] = ()
    """(code, level, message) of defects found on the way; the planner makes them problems."""


def detect(head: bytes) -> str:
    """Return the media type of a file from its first bytes, or ``""`` when unknown.

    >>> detect(b"\\x89PNG\\r\\n\\x1a\\n....")
    'image/png'
    >>> detect(b"RIFF\\x00\\x00\\x00\\x00WEBPVP8X")
    'image/webp'
    """
    for magic, offset, media_type in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"PK\x03\x04" and head[30:58] == b"mimetypeapplication/epub+zip":
        return "application/epub+zip"
    if head[:4] == b"PK\x03\x04":
        return "application/zip"
    # A PDF header may follow up to 1024 bytes of junk (ISO 32000-2 §7.5.2 readers' practice).
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    return ""


def truncated_signature(head: bytes) -> bool:
    """Return True when *head* (a whole, short file) is the start of a known signature.

    >>> truncated_signature(b"\\x89PN"), truncated_signature(b"RIFF\\x00\\x01"), truncated_signature(b"hi")
    (True, True, False)
    """
    magics = [magic for magic, _, _ in _MAGIC] + [b"RIFF", b"PK\x03\x04"]
    if any(len(head) < len(m) and m.startswith(head) for m in magics):
        return True
    # Signatures with a length field inside: RIFF size WEBP; the EPUB zip's first entry name.
    if head.startswith(b"RIFF") and len(head) < 12:
        return True
    epub = b"PK\x03\x04" + b"\x00" * 26 + b"mimetypeapplication/epub+zip"
    return len(head) < len(epub) and head.startswith(b"PK\x03\x04")


#: How many bytes :func:`detect` wants to see.
DETECT_BYTES = 1024


class _Walk:
    """Collects packets and notes during one walk."""

    def __init__(self, view: ByteView, media_type: str) -> None:
        self.view = view
        self.media_type = media_type
        self.packets: list[XmpPacket] = []
        self.c2pa: list[str] = []
        self.c2pa_ranges: list[tuple[int, int]] = []
        self.notes: list[tuple[str, str, str]] = []
        self.max_xmp = 0

    def note(self, code: str, message: str, level: str = "warning") -> None:
        self.notes.append((code, level, message))

    def result(self) -> ContainerScan:
        return ContainerScan(
            media_type=self.media_type,
            packets=tuple(self.packets),
            c2pa=tuple(self.c2pa),
            c2pa_ranges=tuple(self.c2pa_ranges),
            notes=tuple(self.notes),
        )


def walk(view: ByteView, media_type: str, *, max_xmp_bytes: int) -> ContainerScan:
    """Return the XMP packets and C2PA carriers of an image container.

    Raises NeedBytes when a needed range is not held, Truncated when the file ends early.
    """
    state = _Walk(view, media_type)
    state.max_xmp = max_xmp_bytes
    walker = {
        "image/jpeg": _jpeg,
        "image/png": _png,
        "image/webp": _webp,
        "image/tiff": _tiff,
        "image/gif": _gif,
    }[media_type]
    try:
        walker(state)
    except Truncated as exc:
        # What was read before the break still counts; the rest is unknown.
        state.note("media.truncated", exc.message, "error")
    except (struct.error, IndexError) as exc:  # a structure shorter than it declares
        state.note("media.truncated", f"{media_type} structure ends early ({exc})", "error")
    return state.result()


# --- JPEG ------------------------------------------------------------------------------------


def _jpeg(w: _Walk) -> None:
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
    w: _Walk,
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
    w: _Walk, guid: str, offset: int, full_length: int, parts: dict[int, bytes]
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


def _png(w: _Walk) -> None:
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


def _png_chunk(w: _Walk, pos: int, kind: bytes, length: int, after_idat: bool) -> None:
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
    w: _Walk, first_idat: int, first_idat_end: int
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
    w: _Walk, pos: int, kind: bytes, name: bytes, start: int, end: int, after_idat: bool
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


def _inflate(w: _Walk, data: bytes, where: str) -> bytes | None:
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


def inflate_bounded(data: bytes, limit: int) -> bytes | None:
    """Return zlib/deflate *data* inflated to at most ``limit + 1`` bytes; None when corrupt.

    A result longer than *limit* means "too large": the caller reports it. Memory stays
    bounded by the limit whatever the compression ratio (a decompression bomb stops early).
    """
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return None
    return out


# --- WebP ------------------------------------------------------------------------------------


def _webp(w: _Walk) -> None:
    view = w.view
    riff_size = struct.unpack("<I", view.read(4, 8, "RIFF size"))[0]
    end = 8 + riff_size
    if view.size is not None and end > view.size:
        w.note(
            "media.truncated",
            f"the RIFF header declares {end:,} bytes but the file has {view.size:,}",
            "error",
        )
        end = view.size
    pos = 12
    for _ in range(MAX_BLOCKS):
        if pos + 8 > end:
            return
        fourcc, size = struct.unpack("<4sI", view.read(pos, pos + 8, "WebP chunk header"))
        data_start, data_end = pos + 8, pos + 8 + size
        if fourcc == b"XMP ":
            if size > w.max_xmp:
                w.note(
                    "media.xmp-too-large", f"WebP XMP chunk of {size:,} bytes; not read", "error"
                )
            else:
                data = view.read(data_start, data_end, "WebP XMP chunk")
                w.packets.append(
                    XmpPacket(data=data, offset=pos, where=f"WebP 'XMP ' chunk at byte {pos:,}")
                )
        elif fourcc == b"C2PA":
            w.c2pa.append(f"WebP C2PA chunk at byte {pos:,}")
        pos = data_end + (size & 1)
    w.note(
        "media.too-many-blocks", f"more than {MAX_BLOCKS:,} WebP chunks; reading stopped", "error"
    )


# --- TIFF ------------------------------------------------------------------------------------

_TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
_TIFF_TYPE_SIZES.update({13: 4, 16: 8, 17: 8, 18: 8})


def _tiff(w: _Walk) -> None:
    view = w.view
    order = "<" if view.read(0, 2, "TIFF byte order") == b"II" else ">"
    version = struct.unpack(order + "H", view.read(2, 4, "TIFF version"))[0]
    big = version == 43
    if big:
        # BigTIFF: offset size (8), reserved (0), then an 8-byte IFD offset.
        ifd = struct.unpack(order + "Q", view.read(8, 16, "BigTIFF IFD offset"))[0]
        count_fmt, entry_size, count_size = "Q", 20, 8
    else:
        ifd = struct.unpack(order + "I", view.read(4, 8, "TIFF IFD offset"))[0]
        count_fmt, entry_size, count_size = "H", 12, 2
    # XMP Part 3 §1.1.6: the packet is tag 700 in the first IFD (IFD0).
    count = struct.unpack(
        order + count_fmt, view.read(ifd, ifd + count_size, "TIFF IFD entry count")
    )[0]
    if count > MAX_BLOCKS:
        w.note("media.too-many-blocks", f"IFD0 declares {count:,} entries; not read", "error")
        return
    entries = view.read(
        ifd + count_size, ifd + count_size + count * entry_size, "TIFF IFD0 entries"
    )
    for index in range(count):
        entry = entries[index * entry_size : (index + 1) * entry_size]
        if big:
            tag, kind, n = struct.unpack(order + "HHQ", entry[:12])
            inline, value_field = 8, entry[12:20]
        else:
            tag, kind, n = struct.unpack(order + "HHI", entry[:8])
            inline, value_field = 4, entry[8:12]
        if tag not in (TIFF_XMP_TAG, TIFF_C2PA_TAG):
            continue
        entry_at = ifd + count_size + index * entry_size
        if tag == TIFF_C2PA_TAG:
            w.c2pa.append(f"TIFF tag 0xCD41 in IFD0 at byte {entry_at:,}")
            continue
        size = n * _TIFF_TYPE_SIZES.get(kind, 1)
        if size > w.max_xmp:
            w.note("media.xmp-too-large", f"TIFF XMP tag of {size:,} bytes; not read", "error")
            continue
        if size <= inline:
            data = value_field[:size]
            at = entry_at
        else:
            at = struct.unpack(order + ("Q" if big else "I"), value_field)[0]
            data = view.read(at, at + size, "TIFF XMP tag value")
        w.packets.append(
            XmpPacket(data=data, offset=at, where=f"TIFF tag 700 (IFD0) data at byte {at:,}")
        )


# --- GIF -------------------------------------------------------------------------------------

_GIF_XMP_APP = b"XMP DataXMP"


def _gif(w: _Walk) -> None:
    view = w.view
    flags = view.read(10, 11, "GIF screen descriptor")[0]
    pos = 13
    if flags & 0x80:  # global colour table
        pos += 3 * (1 << ((flags & 0x07) + 1))
    for _ in range(MAX_BLOCKS):
        introducer = view.read(pos, pos + 1, "GIF block")[0]
        if introducer == 0x3B:  # trailer
            return
        if introducer == 0x21:  # extension: label, then sub-blocks
            label = view.read(pos + 1, pos + 2, "GIF extension label")[0]
            start = pos + 2
            if label == 0xFF:
                app = view.read(start, start + 12, "GIF application extension")
                if app[0] == 11 and app[1:12] == _GIF_XMP_APP:
                    end = _gif_skip_blocks(w, start + 12)
                    _gif_xmp(w, pos, start + 12, end)
                    pos = end
                    continue
                if app[0] == 11 and app[1:9] == b"C2PA_GIF":
                    w.c2pa.append(f"GIF application extension C2PA_GIF at byte {pos:,}")
            pos = _gif_skip_blocks(w, start)
        elif introducer == 0x2C:  # image descriptor, local colour table, LZW size, data
            packed = view.read(pos + 9, pos + 10, "GIF image descriptor")[0]
            pos += 10
            if packed & 0x80:
                pos += 3 * (1 << ((packed & 0x07) + 1))
            pos = _gif_skip_blocks(w, pos + 1)
        else:
            w.note("media.gif-bad-block", f"unknown GIF block 0x{introducer:02x} at byte {pos:,}")
            return
    w.note(
        "media.too-many-blocks", f"more than {MAX_BLOCKS:,} GIF blocks; reading stopped", "error"
    )


def _gif_skip_blocks(w: _Walk, pos: int) -> int:
    """Return the offset after a sub-block chain (each: length byte, data; 0 ends it)."""
    for _ in range(10 * MAX_BLOCKS):
        size = w.view.read(pos, pos + 1, "GIF sub-block")[0]
        pos += 1 + size
        if size == 0:
            return pos
    raise Truncated("GIF sub-block chain does not end")


def _gif_xmp(w: _Walk, block: int, start: int, end: int) -> None:
    # XMP Part 3 §1.1.2: the packet is written raw (its bytes double as sub-block lengths),
    # followed by a 258-byte "magic trailer" (0x01, 0xFF…0x00, 0x00) that ends the chain.
    if end - start > w.max_xmp:
        w.note("media.xmp-too-large", f"GIF XMP of {end - start:,} bytes; not read", "error")
        return
    raw = w.view.read(start, end, "GIF XMP application extension")
    closing = raw.rfind(b"<?xpacket end=")
    if closing >= 0:
        stop = raw.find(b"?>", closing)
        raw = raw[: stop + 2] if stop >= 0 else raw
    else:
        raw = raw[: max(0, len(raw) - 258)]
    w.packets.append(
        XmpPacket(data=raw, offset=block, where=f"GIF XMP application extension at byte {block:,}")
    )
