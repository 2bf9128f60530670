"""Every container crawlcheck reads, with XMP written by ExifTool (and real published files)."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import pytest
from media_support import (
    VOCAB,
    base_image,
    bigtiff_with_xmp,
    data_mining,
    exiftool,
    pdf_rewrite_metadata,
    png_compress_itxt,
    png_move_text_after_idat,
    tiff_minimal,
    with_xmp,
    xmp_packet,
)

from crawlcheck.media import MediaResult, detect, scan_bytes, scan_path
from crawlcheck.model import Effect

TDM = ("-XMP-tdm:reservation=1", "-XMP-tdm:policy=https://example.com/tdm-policy.json")


def _only(result: MediaResult, signal: str) -> list[tuple[str, str, str]]:
    return [(f.key, f.value, str(f.effect)) for f in result.findings if f.signal == signal]


@pytest.mark.parametrize(
    ("name", "media_type", "where"),
    [
        ("a.jpg", "image/jpeg", "JPEG APP1 segment"),
        ("a.png", "image/png", "PNG iTXt chunk 'XML:com.adobe.xmp'"),
        ("a.webp", "image/webp", "WebP 'XMP ' chunk"),
        ("a.tif", "image/tiff", "TIFF tag 700 (IFD0)"),
        ("a.gif", "image/gif", "GIF XMP application extension"),
        ("a.pdf", "application/pdf", "PDF document metadata stream"),
    ],
)
def test_data_mining_and_tdmrep_in_every_container(
    tmp_path: Path, name: str, media_type: str, where: str
) -> None:
    path = with_xmp(tmp_path, name, data_mining(VOCAB + "DMI-PROHIBITED-AIMLTRAINING"), *TDM)
    result = scan_path(path)
    assert result.media_type == media_type
    assert _only(result, "iptc-data-mining") == [
        ("data-mining", "DMI-PROHIBITED-AIMLTRAINING", "reserve")
    ]
    assert _only(result, "xmp-tdmrep") == [
        ("tdm-reservation", "1", "reserve"),
        ("tdm-policy", "https://example.com/tdm-policy.json", "info"),
    ]
    assert all(where in f.evidence for f in result.findings)
    assert result.states() == {
        "tdm": "reserved",
        "ai-train": "reserved",
        "ai-input": "not-reserved",
        "search": "not-reserved",
    }
    assert not [p for p in result.problems if p.level == "error"]


def test_container_is_detected_by_magic_not_by_name(tmp_path: Path) -> None:
    path = with_xmp(tmp_path, "a.png", data_mining(VOCAB + "DMI-PROHIBITED"))
    renamed = path.rename(tmp_path / "photo.jpg")
    result = scan_path(renamed)
    assert result.media_type == "image/png"
    assert result.state("tdm") == "reserved"
    assert detect(b"not an image at all") == ""


def test_tdm_reservation_zero_permits(tmp_path: Path) -> None:
    result = scan_path(with_xmp(tmp_path, "a.pdf", "-XMP-tdm:reservation=0"))
    assert _only(result, "xmp-tdmrep") == [("tdm-reservation", "0", "permit")]
    assert result.state("tdm") == "permitted"
    assert result.state("ai-train") == "permitted"


def test_png_xmp_after_idat(tmp_path: Path) -> None:
    path = with_xmp(tmp_path, "a.png", data_mining(VOCAB + "DMI-PROHIBITED-GENAIMLTRAINING"))
    moved = tmp_path / "late.png"
    moved.write_bytes(png_move_text_after_idat(path.read_bytes()))
    result = scan_path(moved)
    assert result.state("ai-train") == "reserved"
    assert "(after IDAT)" in result.findings[0].evidence


def test_png_compressed_itxt(tmp_path: Path) -> None:
    path = with_xmp(tmp_path, "a.png", data_mining(VOCAB + "DMI-PROHIBITED"))
    packed = tmp_path / "packed.png"
    packed.write_bytes(png_compress_itxt(path.read_bytes()))
    assert b"DMI-PROHIBITED" not in packed.read_bytes()
    assert scan_path(packed).state("search") == "reserved"


def test_png_imagemagick_raw_profile(tmp_path: Path) -> None:
    # ImageMagick keeps XMP as a hex "Raw profile type xmp" in a zTXt chunk.
    from media_support import png_build, png_chunks

    packet = xmp_packet(
        "<rdf:Description xmlns:plus='http://ns.useplus.org/ldf/xmp/1.0/' "
        f"plus:DataMining='{VOCAB}DMI-PROHIBITED-AIMLTRAINING'/>"
    )
    profile = b"\nxmp\n" + str(len(packet)).encode() + b"\n" + packet.hex().encode() + b"\n"
    ztxt = b"Raw profile type xmp\x00\x00" + zlib.compress(profile)
    chunks = png_chunks(base_image(tmp_path / "a.png").read_bytes())
    data = png_build([chunks[0], (b"zTXt", ztxt), *chunks[1:]])
    result = scan_bytes(data, source="raw.png")
    assert result.state("ai-train") == "reserved"
    assert "ImageMagick raw profile" in result.findings[0].evidence


@pytest.mark.parametrize("big_endian", [False, True])
def test_tiff_both_byte_orders(tmp_path: Path, big_endian: bool) -> None:
    path = tmp_path / "a.tif"
    path.write_bytes(tiff_minimal(big_endian))
    exiftool(path, data_mining(VOCAB + "DMI-PROHIBITED-AIMLTRAINING"))
    assert path.read_bytes()[:2] == (b"MM" if big_endian else b"II")
    assert scan_path(path).state("ai-train") == "reserved"


@pytest.mark.parametrize("big_endian", [False, True])
def test_bigtiff(big_endian: bool) -> None:
    packet = xmp_packet(
        "<rdf:Description xmlns:tdm='http://www.w3.org/ns/tdmrep/' tdm:reservation='1'/>"
    )
    result = scan_bytes(bigtiff_with_xmp(packet, big_endian), source="big.tif")
    assert result.media_type == "image/tiff"
    assert result.state("tdm") == "reserved"


def test_jpeg_extended_xmp_is_reassembled(tmp_path: Path) -> None:
    # ExifTool moves large properties into Extended XMP (XMP Part 3 §1.1.3.1) past 64 KiB.
    text = tmp_path / "long.txt"
    text.write_text("terms " * 20000)
    path = with_xmp(
        tmp_path,
        "a.jpg",
        data_mining(VOCAB + "DMI-PROHIBITED-SEECONSTRAINT"),
        f"-XMP-plus:OtherConstraints<={text}",
    )
    result = scan_path(path)
    assert result.state("tdm") == "reserved"
    extended = [f for f in result.findings if "Extended XMP" in f.evidence]
    assert extended
    assert extended[0].key == "other-constraints"
    assert extended[0].value.startswith("terms terms")


def test_pdf_incremental_update_latest_metadata_wins(tmp_path: Path) -> None:
    data = with_xmp(tmp_path, "a.pdf", data_mining(VOCAB + "DMI-ALLOWED")).read_bytes()
    # An incremental update (ISO 32000-2 §7.5.6) redefining ExifTool's metadata object.
    _, newer = pdf_rewrite_metadata(data, replace=(b"DMI-ALLOWED", b"DMI-PROHIBITED"))
    updated = data + b"\n" + newer + b"\n%%EOF\n"
    assert updated.count(b"DMI-ALLOWED") == 1
    result = scan_bytes(updated, source="updated.pdf")
    assert _only(result, "iptc-data-mining") == [("data-mining", "DMI-PROHIBITED", "reserve")]


def test_pdf_flate_metadata_stream(tmp_path: Path) -> None:
    data = with_xmp(tmp_path, "a.pdf", *TDM).read_bytes()
    flate, _ = pdf_rewrite_metadata(data, flate=True)
    assert b"tdm:reservation" not in flate
    result = scan_bytes(flate, source="flate.pdf")
    assert result.state("tdm") == "reserved", result.problems
    assert "PDF document metadata stream" in result.findings[0].evidence


def test_pdf_metadata_of_an_object_does_not_permit_the_document() -> None:
    packet = xmp_packet(
        "<rdf:Description xmlns:plus='http://ns.useplus.org/ldf/xmp/1.0/' "
        f"plus:DataMining='{VOCAB}DMI-ALLOWED'/>"
    )
    pdf = (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"5 0 obj\n<< /Type /Metadata /Subtype /XML /Length " + str(len(packet)).encode()
        + b" >>\nstream\n" + packet + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )  # fmt: skip
    result = scan_bytes(pdf, source="image-xmp.pdf")
    assert result.state("ai-train") == "not-reserved"
    assert any(p.code.endswith("permission-not-counted") for p in result.problems)


def _epub(tmp: Path, opf: str, *, prefix: str = "") -> Path:
    path = tmp / "book.epub"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" '
            'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
        archive.writestr(
            "OEBPS/content.opf",
            f'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
            f'unique-identifier="id"{prefix}><metadata '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/">{opf}</metadata></package>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
        archive.writestr("OEBPS/chapter.xhtml", "<html/>" * 20000)
    return path


def test_epub3_tdm_reservation_and_policy(tmp_path: Path) -> None:
    path = _epub(
        tmp_path,
        '<meta property="tdm:reservation">1</meta>'
        '<meta property="tdm:policy">https://example.com/policy.json</meta>',
        prefix=' prefix="tdm: http://www.w3.org/ns/tdmrep#"',
    )
    result = scan_path(path)
    assert result.media_type == "application/epub+zip"
    assert _only(result, "xmp-tdmrep") == [
        ("tdm-reservation", "1", "reserve"),
        ("tdm-policy", "https://example.com/policy.json", "info"),
    ]
    assert "EPUB package OEBPS/content.opf" in result.findings[0].evidence
    assert not result.problems
    assert result.bytes_read <= path.stat().st_size


def test_epub2_meta_and_missing_prefix(tmp_path: Path) -> None:
    path = _epub(tmp_path, '<meta name="tdm:reservation" content="0"/>')
    result = scan_path(path)
    assert result.state("tdm") == "permitted"
    path = _epub(tmp_path, '<meta property="tdm:reservation">1</meta>')
    result = scan_path(path)
    assert result.state("tdm") == "reserved"
    assert [p.code for p in result.problems] == ["epub.tdm-prefix"]


def test_real_iptc_reference_image_reserves_generative_training(shared_data: Path) -> None:
    path = shared_data / "media/iptc_images/sinfin_folio__IPTC-PhotometadataRef-Std2023.1.jpg"
    result = scan_path(path)
    [mining] = [f for f in result.findings if f.key == "data-mining"]
    assert mining.value == "DMI-PROHIBITED-GENAIMLTRAINING"
    assert mining.effect is Effect.RESERVE
    assert mining.purposes == ("ai-train",)
    assert VOCAB + "DMI-PROHIBITED-GENAIMLTRAINING" in mining.evidence
    notes = dict(zip((f.key for f in result.findings), result.notes, strict=True))
    assert "Generative AI/ML training only" in notes["data-mining"]
    assert result.states() == {
        "tdm": "not-reserved",
        "ai-train": "reserved",
        "ai-input": "not-reserved",
        "search": "not-reserved",
    }


@pytest.mark.parametrize(
    "name",
    [
        "iptc_images/Frameright_php-image-metadata-parser__IPTC-PhotometadataRef-Std2021.1.jpg",
        "iptc_images/C0deWiser_exiftool__IPTC-Empty.jpg",
        "iptc_images/Frameright_php-image-metadata-parser__metaphotoshop.png",
        "iptc_images/Frameright_php-image-metadata-parser__nometa.png",
        "c2pa/contentauth_c2pa-rs__no_manifest.jpg",
    ],
)
def test_real_negatives(shared_data: Path, name: str) -> None:
    result = scan_path(shared_data / "media" / name)
    assert result.media_type.startswith("image/")
    assert not result.findings
    assert not result.problems
    assert set(result.states().values()) == {"not-reserved"}


def test_jpeg_extended_xmp_missing_is_unknown(tmp_path: Path) -> None:
    text = tmp_path / "long.txt"
    text.write_text("terms " * 20000)
    path = with_xmp(
        tmp_path,
        "a.jpg",
        data_mining(VOCAB + "DMI-ALLOWED"),
        f"-XMP-plus:OtherConstraints<={text}",
    )
    data = path.read_bytes()
    marker = b"http://ns.adobe.com/xmp/extension/\x00"
    first = data.index(marker) - 4  # the APP1 marker and length before the signature
    stripped = bytearray(data[:first])
    pos = first
    while data[pos : pos + 2] == b"\xff\xe1" and data[pos + 4 : pos + 4 + len(marker)] == marker:
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")  # drop every extension segment
    stripped += data[pos:]
    result = scan_bytes(bytes(stripped), source="stripped.jpg")
    assert "media.xmp-extended-missing" in [p.code for p in result.problems]
    assert result.state("ai-train") == "unknown"
