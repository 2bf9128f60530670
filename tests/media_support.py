"""Test set-up for crawlcheck.media: images made by Pillow, metadata written by ExifTool,
C2PA manifests signed by the C2PA SDK with a throw-away certificate chain.

Nothing here is shipped test data: every file is generated in a temporary folder (see
tests/data/media/README.md for how, and for the real files under ../shared/data/media).
"""

from __future__ import annotations

import atexit
import datetime
import io
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data" / "media"
EXIFTOOL_CONFIG = DATA / "exiftool.config"
VOCAB = "http://ns.useplus.org/ldf/vocab/"
#: Pillow format name per file extension.
FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP", "tif": "TIFF", "gif": "GIF", "pdf": "PDF"}


def base_image(path: Path, size: tuple[int, int] = (64, 48), *, noise: bool = False) -> Path:
    """Write a small image in the format named by *path*'s extension (Pillow)."""
    from PIL import Image

    if noise:
        import random

        rng = random.Random(7)
        image = Image.frombytes(
            "RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3))
        )
    else:
        image = Image.new("RGB", size, (40, 90, 160))
    image.save(path, FORMATS[path.suffix[1:]])
    return path


class _ExifTool:
    """One ExifTool process for the whole test session (``-stay_open``): no start-up per file."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None

    def run(self, *args: str) -> str:
        if self.process is None or self.process.poll() is not None:
            if shutil.which("exiftool") is None:
                pytest.fail("exiftool not found: apt-get install libimage-exiftool-perl")
            self.process = subprocess.Popen(
                ["exiftool", "-config", str(EXIFTOOL_CONFIG), "-stay_open", "True", "-@", "-"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            atexit.register(self.close)
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write("\n".join([*args, "-execute"]) + "\n")
        self.process.stdin.flush()
        lines = []
        for line in self.process.stdout:
            if line.strip() == "{ready}":
                return "".join(lines)
            lines.append(line)
        raise AssertionError("exiftool stopped: " + "".join(lines))

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("-stay_open\nFalse\n")
            self.process.stdin.flush()
            self.process.wait(timeout=30)


_EXIFTOOL = _ExifTool()


def exiftool(path: Path, *assignments: str) -> Path:
    """Run ExifTool on *path* in place with the test config (plus:DataMining, XMP-tdm)."""
    output = _EXIFTOOL.run("-overwrite_original", *assignments, str(path))
    assert "Warning" not in output, output
    assert "Error" not in output, output
    assert "1 image files updated" in output, output
    return path


def with_xmp(tmp: Path, name: str, *assignments: str, noise: bool = False) -> Path:
    """Return a new image *name* in *tmp* with ExifTool *assignments* written."""
    return exiftool(base_image(tmp / name, noise=noise), *assignments)


def data_mining(code: str) -> str:
    """Return the ExifTool assignment of plus:DataMining, written verbatim (no PrintConv)."""
    return f"-XMP-plus:DataMining#={code}"


# --- PNG chunk surgery (the chunks themselves are ExifTool's, bytes unchanged) -----------------


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Return (type, data) of every chunk."""
    chunks, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunks.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def png_build(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """Return a PNG of *chunks* (CRCs computed)."""
    out = bytearray(b"\x89PNG\r\n\x1a\n")
    for kind, body in chunks:
        out += struct.pack(">I", len(body)) + kind + body
        out += struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return bytes(out)


def png_move_text_after_idat(data: bytes) -> bytes:
    """Return the PNG with its iTXt chunks moved after the last IDAT (as some tools write)."""
    chunks = png_chunks(data)
    texts = [c for c in chunks if c[0] == b"iTXt"]
    rest = [c for c in chunks if c[0] != b"iTXt"]
    end = len(rest) - 1  # IEND
    return png_build(rest[:end] + texts + rest[end:])


def png_compress_itxt(data: bytes) -> bytes:
    """Return the PNG with its XMP iTXt chunk's text zlib-compressed (flag 1, method 0)."""
    out = []
    for kind, body in png_chunks(data):
        if kind == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00"):
            keyword, rest = body.split(b"\x00", 1)
            language, translated, text = rest[2:].split(b"\x00", 2)
            body = keyword + b"\x00\x01\x00" + language + b"\x00" + translated + b"\x00"
            body += zlib.compress(text)
        out.append((kind, body))
    return png_build(out)


# --- TIFF built by hand (ExifTool then writes the XMP into it, keeping the byte order) -----


def tiff_minimal(big_endian: bool) -> bytes:
    """Return a valid 1x1 8-bit greyscale TIFF in the given byte order."""
    order = ">" if big_endian else "<"
    entries = [
        (256, 3, 1, 1),  # ImageWidth
        (257, 3, 1, 1),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: BlackIsZero
        (273, 4, 1, 0),  # StripOffsets (patched)
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 3, 1, 1),  # RowsPerStrip
        (279, 4, 1, 1),  # StripByteCounts
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    pixel_at = 8 + ifd_size
    out = bytearray((b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(order + "I", 8))
    out += struct.pack(order + "H", len(entries))
    for tag, kind, count, value in entries:
        value = pixel_at if tag == 273 else value
        if kind == 3:
            out += struct.pack(order + "HHIHH", tag, kind, count, value, 0)
        else:
            out += struct.pack(order + "HHII", tag, kind, count, value)
    out += struct.pack(order + "I", 0) + b"\x80"
    return bytes(out)


def bigtiff_with_xmp(xmp: bytes, big_endian: bool = False) -> bytes:
    """Return a minimal BigTIFF whose IFD0 has tag 700 holding *xmp* (ExifTool cannot write BigTIFF)."""
    order = ">" if big_endian else "<"
    head = (b"MM\x00+" if big_endian else b"II+\x00") + struct.pack(order + "HHQ", 8, 0, 16)
    ifd = struct.pack(order + "Q", 1)
    xmp_at = 16 + 8 + 20 + 8
    ifd += struct.pack(order + "HHQQ", 700, 1, len(xmp), xmp_at) + struct.pack(order + "Q", 0)
    return head + ifd + xmp


def xmp_packet(body: str) -> bytes:
    """Return an XMP packet around rdf:Description content *body* (namespaces declared)."""
    return (
        "<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>"
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
        "xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        f"{body}</rdf:RDF></x:xmpmeta><?xpacket end='w'?>"
    ).encode()


def with_packet(tmp: Path, name: str, packet: bytes) -> Path:
    """Return an image with *packet* written as its XMP by ExifTool (``-xmp<=FILE``)."""
    source = tmp / (name + ".xmp")
    source.write_bytes(packet)
    return exiftool(base_image(tmp / name), f"-xmp<={source}")


# --- C2PA --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningChain:
    """A throw-away CA and signer (ES256), PEM-encoded."""

    root_pem: bytes
    chain_pem: bytes
    key_pem: bytes


def make_chain() -> SigningChain:
    """Return a root CA and an end-entity signing certificate made with ``cryptography``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "crawlcheck tests"),
            ]
        )

    def usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    now = datetime.datetime.now(datetime.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(name("crawlcheck test root"))
        .issuer_name(name("crawlcheck test root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage(sign=False, ca=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("crawlcheck test signer"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=True, ca=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return SigningChain(
        root_pem=root.public_bytes(pem),
        chain_pem=leaf.public_bytes(pem) + root.public_bytes(pem),
        key_pem=key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def training_mining(entries: dict[str, Any], label: str = "cawg.training-mining") -> dict[str, Any]:
    """Return a training-and-data-mining assertion with *entries* (label: ``{"use": …}``)."""
    return {"label": label, "data": {"entries": entries}}


def sign_asset(
    chain: SigningChain,
    asset: bytes,
    media_type: str,
    assertions: list[dict[str, Any]],
    *,
    embed: bool = True,
) -> tuple[bytes, bytes]:
    """Return (signed asset, manifest store bytes) made by the C2PA SDK's Builder."""
    import c2pa

    manifest = {
        "claim_generator_info": [{"name": "crawlcheck-tests", "version": "1"}],
        "title": "crawlcheck test asset",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                        }
                    ]
                },
            },
            *assertions,
        ],
    }
    info = c2pa.C2paSignerInfo(
        alg=b"es256", sign_cert=chain.chain_pem, private_key=chain.key_pem, ta_url=None
    )
    context = c2pa.Context.from_dict(
        {"builder": {"thumbnail": {"enabled": False}}, "verify": {"verify_after_sign": False}}
    )
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest, context=context) as builder:
        if not embed:
            builder.set_no_embed()
        out = io.BytesIO()
        store = builder.sign(signer, media_type, io.BytesIO(asset), out)
        return out.getvalue(), bytes(store)


def jpeg_bytes(*, noise: bool = False, size: tuple[int, int] = (64, 48)) -> bytes:
    """Return a JPEG made by Pillow."""
    from PIL import Image

    buffer = io.BytesIO()
    if noise:
        import random

        rng = random.Random(11)
        image = Image.frombytes(
            "RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3))
        )
    else:
        image = Image.new("RGB", size, (200, 120, 40))
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def pdf_rewrite_metadata(
    data: bytes, *, flate: bool = False, replace: tuple[bytes, bytes] = (b"", b"")
) -> tuple[bytes, bytes]:
    """Return (the PDF's metadata object rewritten, that object alone) — Flate-encoded or edited.

    The object keeps its number; the XMP inside is ExifTool's.
    """
    import re

    match = re.search(
        rb"(\d+) 0 obj\s*<<(?:(?!>>).)*?/Type\s*/Metadata.*?>>\s*stream\r?\n(.*?)\r?\nendstream\s*endobj",
        data,
        re.S,
    )
    assert match is not None, "no metadata object"
    packet = match.group(2)
    if replace[0]:
        packet = packet.replace(*replace)
    extra = b""
    if flate:
        packet = zlib.compress(packet)
        extra = b" /Filter /FlateDecode"
    obj = (
        match.group(1)
        + b" 0 obj\n<< /Type /Metadata /Subtype /XML"
        + extra
        + b" /Length "
        + str(len(packet)).encode()
        + b" >>\nstream\n"
        + packet
        + b"\nendstream\nendobj"
    )
    return data[: match.start()] + obj + data[match.end() :], obj
