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

import struct
from dataclasses import dataclass

from crawlcheck.media import _jpeg_png, _webp_tiff_gif
from crawlcheck.media._jpeg_png import PNG_IEND as PNG_IEND
from crawlcheck.media._walk import MAX_BLOCKS as MAX_BLOCKS
from crawlcheck.media._walk import Walk, XmpPacket
from crawlcheck.media._walk import inflate_bounded as inflate_bounded
from crawlcheck.media.view import ByteView, Truncated

__all__ = [
    "DETECT_BYTES",
    "MAX_BLOCKS",
    "PNG_IEND",
    "ContainerScan",
    "XmpPacket",
    "detect",
    "inflate_bounded",
    "truncated_signature",
    "walk",
]

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


def walk(view: ByteView, media_type: str, *, max_xmp_bytes: int) -> ContainerScan:
    """Return the XMP packets and C2PA carriers of an image container.

    Raises NeedBytes when a needed range is not held, Truncated when the file ends early.
    """
    state = Walk(view, media_type)
    state.max_xmp = max_xmp_bytes
    walker = {
        "image/jpeg": _jpeg_png.jpeg,
        "image/png": _jpeg_png.png,
        "image/webp": _webp_tiff_gif.webp,
        "image/tiff": _webp_tiff_gif.tiff,
        "image/gif": _webp_tiff_gif.gif,
    }[media_type]
    try:
        walker(state)
    except Truncated as exc:
        # What was read before the break still counts; the rest is unknown.
        state.note("media.truncated", exc.message, "error")
    except (struct.error, IndexError) as exc:  # a structure shorter than it declares
        state.note("media.truncated", f"{media_type} structure ends early ({exc})", "error")
    return ContainerScan(
        media_type=state.media_type,
        packets=tuple(state.packets),
        c2pa=tuple(state.c2pa),
        c2pa_ranges=tuple(state.c2pa_ranges),
        notes=tuple(state.notes),
    )
