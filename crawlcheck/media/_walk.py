"""What container walkers share: the packets and notes of one walk, and bounded inflation.

Private to :mod:`crawlcheck.media`; :mod:`crawlcheck.media.containers` is the public face.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from crawlcheck.media.view import ByteView

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


class Walk:
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
