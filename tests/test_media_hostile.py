"""Truncated, corrupt and hostile files: no exception, bounded memory, never a permission."""

from __future__ import annotations

import io
import random
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from media_support import (
    VOCAB,
    data_mining,
    jpeg_bytes,
    make_chain,
    png_build,
    png_chunks,
    sign_asset,
    training_mining,
    with_xmp,
    xmp_packet,
)

from crawlcheck.media import Limits, MediaResult, drive, scan_bytes
from crawlcheck.model import PURPOSES

LIMITS = Limits(first_read=4096, min_read=1024)


def _never_more_permissive(full: MediaResult, cut: MediaResult) -> None:
    assert not [p for p in cut.problems if p.code == "media.internal-error"], cut.problems
    for purpose in PURPOSES:
        before, after = full.state(purpose), cut.state(purpose)
        if after == "permitted":
            assert before == "permitted", (purpose, cut.source)
        if before == "reserved":
            assert after in ("reserved", "unknown"), (purpose, cut.source, cut.problems)


@pytest.fixture(scope="module")
def corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Real files, ExifTool-written permissions and reservations in every container, C2PA."""
    tmp = tmp_path_factory.mktemp("corpus")
    files = {p.name: p.read_bytes() for p in sorted((shared_data / "media").glob("*/*.*"))}
    files = {k: v for k, v in files.items() if not k.endswith((".gz", ".warc"))}
    for name in ("a.jpg", "a.png", "a.webp", "a.tif", "a.gif", "a.pdf"):
        allowed = with_xmp(tmp, "allowed-" + name, data_mining(VOCAB + "DMI-ALLOWED"), noise=True)
        files[allowed.name] = allowed.read_bytes()
        reserved = with_xmp(tmp, "reserved-" + name, data_mining(VOCAB + "DMI-PROHIBITED"))
        files[reserved.name] = reserved.read_bytes()
    chain = make_chain()
    signed, _ = sign_asset(
        chain,
        jpeg_bytes(),
        "image/jpeg",
        [training_mining({"cawg.ai_training": {"use": "notAllowed"}})],
    )
    files["signed.jpg"] = signed
    return files


def test_every_file_cut_at_many_offsets(corpus: dict[str, bytes]) -> None:
    for name, data in corpus.items():
        full = scan_bytes(data, source=name, limits=LIMITS)
        step = max(1, len(data) // 40)
        offsets = sorted({*range(min(len(data), 64)), *range(0, len(data), step)})
        for cut in offsets:
            _never_more_permissive(
                full, scan_bytes(data[:cut], source=f"{name}[:{cut}]", limits=LIMITS)
            )


def test_bit_flips(corpus: dict[str, bytes]) -> None:
    rng = random.Random(20261206)
    for name, data in corpus.items():
        full = scan_bytes(data, source=name, limits=LIMITS)
        for _ in range(25):
            flipped = bytearray(data)
            # Half the flips land in the first 4 KiB, where the metadata structures are.
            at = rng.randrange(min(len(data), 4096) if rng.random() < 0.5 else len(data))
            flipped[at] ^= 1 << rng.randrange(8)
            result = scan_bytes(bytes(flipped), source=f"{name}^{at}", limits=LIMITS)
            assert not [p for p in result.problems if p.code == "media.internal-error"]
            if full.state("tdm") != "permitted":
                assert "permitted" not in (result.state("tdm"), result.state("ai-train"))


def _app1(payload: bytes, length: int | None = None) -> bytes:
    size = len(payload) + 2 if length is None else length
    return b"\xff\xe1" + struct.pack(">H", size) + payload


EXT = b"http://ns.adobe.com/xmp/extension/\x00"

HOSTILE = {
    "jpeg segment longer than file": b"\xff\xd8"
    + _app1(b"http://ns.adobe.com/xap/1.0/\x00<x", 0xFFFF),
    "jpeg segment length 0": b"\xff\xd8\xff\xe1\x00\x00" + b"\x00" * 50,
    "jpeg extended xmp 4 GiB": b"\xff\xd8"
    + _app1(EXT + b"0" * 32 + struct.pack(">II", 0xFFFFFFFF, 0) + b"<x/>")
    + b"\xff\xd9",
    "jpeg extended xmp offset past length": b"\xff\xd8"
    + _app1(EXT + b"0" * 32 + struct.pack(">II", 10, 4000) + b"<x/>")
    + b"\xff\xd9",
    "jpeg only fill bytes": b"\xff\xd8" + b"\xff" * 100_000,
    "jpeg 25k empty segments": b"\xff\xd8" + b"\xff\xe5\x00\x02" * 25_000,
    "png chunk 2 GiB": b"\x89PNG\r\n\x1a\n" + struct.pack(">I4s", 0x7FFFFFF0, b"iTXt") + b"XML",
    "png itxt short": b"\x89PNG\r\n\x1a\n"
    + struct.pack(">I4s", 18, b"iTXt")
    + b"XML:com.adobe.xmp\x00"
    + b"\x00" * 4,
    "webp riff 4 GiB": b"RIFF\xff\xff\xff\xffWEBP" + struct.pack("<4sI", b"XMP ", 0xFFFFFFF0),
    "webp zero chunks": b"RIFF"
    + struct.pack("<I", 4 + 8 * 25_000)
    + b"WEBP"
    + b"JUNK\x00\x00\x00\x00" * 25_000,
    "tiff ifd past end": b"II*\x00" + struct.pack("<I", 0x7FFFFFFF),
    "tiff 65535 entries": b"II*\x00" + struct.pack("<IH", 8, 0xFFFF) + b"\x00" * 100,
    "tiff xmp 4 GiB": b"II*\x00"
    + struct.pack("<IH", 8, 1)
    + struct.pack("<HHII", 700, 7, 0xFFFFFFFF, 26)
    + b"\x00" * 8,
    "bigtiff entry count 2^63": b"II+\x00" + struct.pack("<HHQQ", 8, 0, 16, 1 << 63),
    "gif endless sub-blocks": b"GIF89a"
    + b"\x01\x00\x01\x00\x00\x00\x00"
    + b"\x21\xfe"
    + b"\xff"
    + b"a" * 255 * 3,
    "gif xmp no trailer": b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x21\xff\x0bXMP DataXMP<x:xmpmeta",
    "pdf length huge": b"%PDF-1.7\n1 0 obj\n<< /Type /Metadata /Subtype /XML /Length 999999999999 >>\nstream\n<x/>\nendstream\nendobj\n",
    "pdf unknown filter": b"%PDF-1.7\n1 0 obj\n<< /Type /Metadata /Subtype /XML /Filter /LZWDecode /Length 4 >>\nstream\nabcd\nendstream\nendobj\n",
    "pdf 40k object headers": b"%PDF-1.7\n" + b"1 0 obj " * 40_000,
    "epub not a zip": b"PK\x03\x04"
    + b"\x00" * 26
    + b"mimetypeapplication/epub+zip"
    + b"\x00" * 100,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_structures(name: str) -> None:
    data = HOSTILE[name]
    tracemalloc.start()
    try:
        known = drive(lambda s, e: data[s:e], len(data), source=name, limits=LIMITS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024
    unknown_size = drive(lambda s, e: data[s:e], None, source=name, limits=LIMITS)
    for result in (known, unknown_size):
        assert not [p for p in result.problems if p.code == "media.internal-error"], result.problems
        assert "permitted" not in result.states().values()
        assert "reserved" not in result.states().values()


def _bounded(data: bytes, limits: Limits = LIMITS) -> MediaResult:
    tracemalloc.start()
    try:
        result = scan_bytes(data, source="bomb", limits=limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, peak
    return result


def _epub_bytes(opf: bytes, *, lie: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr(
            "META-INF/container.xml",
            '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="content.opf"/></rootfiles></container>',
        )
        archive.writestr("content.opf", opf, compress_type=zipfile.ZIP_DEFLATED)
    data = buffer.getvalue()
    if lie:  # the central directory and local header claim a small size
        data = bytearray(data)
        for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
            at = data.rfind(signature)
            data[at + offset : at + offset + 4] = struct.pack("<I", 100)
        data = bytes(data)
    return data


def test_epub_zip_bomb() -> None:
    opf = b"<package xmlns='http://www.idpf.org/2007/opf'>" + b" " * 40_000_000
    for lie in (False, True):
        result = _bounded(_epub_bytes(opf, lie=lie))
        assert result.media_type == "application/epub+zip"
        assert set(result.states().values()) == {"unknown"}


def test_pdf_flate_bomb() -> None:
    stream = zlib.compress(b"<" + b" " * 40_000_000, 9)
    pdf = (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Metadata 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length "
        + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream\nendobj\n%%EOF\n"
    )  # fmt: skip
    result = _bounded(pdf)
    assert set(result.states().values()) == {"unknown"}
    assert "pdf.metadata-undecodable" in [p.code for p in result.problems]


def test_png_compressed_text_bomb() -> None:
    body = b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(b" " * 40_000_000, 9)
    png = png_build([(b"IHDR", b"\x00" * 13), (b"iTXt", body), (b"IEND", b"")])
    assert png_chunks(png)[1][0] == b"iTXt"
    result = _bounded(png)
    assert set(result.states().values()) == {"unknown"}


def _jpeg(packet: bytes) -> bytes:
    body = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    return b"\xff\xd8\xff\xe1" + struct.pack(">H", len(body) + 2) + body + b"\xff\xd9"


def test_billion_laughs_and_external_entities_are_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>&c;</x:xmpmeta>"
    )
    external = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>&e;</x:xmpmeta>"
    )
    for packet in (laughs, external):
        result = _bounded(_jpeg(packet))
        assert set(result.states().values()) == {"unknown"}
        assert "refused" in result.problems[0].message


def test_deeply_nested_xmp() -> None:
    depth = 50_000
    inner = (
        "<rdf:Description xmlns:plus='http://ns.useplus.org/ldf/xmp/1.0/' "
        f"plus:DataMining='{VOCAB}DMI-PROHIBITED'/>"
    )
    packet = xmp_packet("<a>" * depth + "</a>" * depth + inner)
    itxt = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet
    png = png_build([(b"IHDR", b"\x00" * 13), (b"iTXt", itxt), (b"IEND", b"")])
    result = _bounded(png, Limits(max_xmp_bytes=8 * 1024 * 1024))
    assert result.state("tdm") == "reserved"
    nested_value = xmp_packet(
        "<rdf:Description xmlns:plus='http://ns.useplus.org/ldf/xmp/1.0/'><plus:DataMining>"
        + "<rdf:Bag><rdf:li>" * 2000
        + "DMI-ALLOWED"
        + "</rdf:li></rdf:Bag>" * 2000
        + "</plus:DataMining></rdf:Description>"
    )
    itxt = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + nested_value
    png = png_build([(b"IHDR", b"\x00" * 13), (b"iTXt", itxt), (b"IEND", b"")])
    result = _bounded(png)
    assert "permitted" not in result.states().values()
