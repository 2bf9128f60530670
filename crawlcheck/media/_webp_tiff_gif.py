"""WebP, TIFF and GIF walkers (see :mod:`crawlcheck.media.containers` for the specs)."""

from __future__ import annotations

import struct

from crawlcheck.media._walk import (
    MAX_BLOCKS,
    TIFF_C2PA_TAG,
    TIFF_XMP_TAG,
    Walk,
    XmpPacket,
)
from crawlcheck.media.view import Truncated

# --- WebP ------------------------------------------------------------------------------------


def webp(w: Walk) -> None:
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


def tiff(w: Walk) -> None:
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


def gif(w: Walk) -> None:
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
            # Reading stops here, and XMP may follow: what the rest says is unknown.
            w.note(
                "media.gif-bad-block",
                f"unknown GIF block 0x{introducer:02x} at byte {pos:,}: the rest is unread",
                "error",
            )
            return
    w.note(
        "media.too-many-blocks", f"more than {MAX_BLOCKS:,} GIF blocks; reading stopped", "error"
    )


def _gif_skip_blocks(w: Walk, pos: int) -> int:
    """Return the offset after a sub-block chain (each: length byte, data; 0 ends it)."""
    for _ in range(10 * MAX_BLOCKS):
        size = w.view.read(pos, pos + 1, "GIF sub-block")[0]
        pos += 1 + size
        if size == 0:
            return pos
    raise Truncated("GIF sub-block chain does not end")


def _gif_xmp(w: Walk, block: int, start: int, end: int) -> None:
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
