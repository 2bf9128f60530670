"""A fixture web of images and documents, for the media-over-HTTP tests and the benchmark.

Files are generated into a folder (Pillow for the pixels, ExifTool for the XMP, the C2PA
SDK for manifests: tests/media_support.py) and served from disk by the fixture web's
``file`` resources, with real range support (206, 416, If-Range), or with ranges ignored
(``ranges: ignore``), changing (``changing``), or a lying Content-Length (``truncate``).
Real published images of ``../shared/data/media`` are served in place, never copied.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media_support import (
    SigningChain,
    data_mining,
    exiftool,
    make_chain,
    png_move_text_after_idat,
    sign_asset,
    training_mining,
)
from webfixture import FixtureSite, parse_site

VOCAB = "http://ns.useplus.org/ldf/vocab/"
IPTC_2023 = "media/iptc_images/sinfin_folio__IPTC-PhotometadataRef-Std2023.1.jpg"
HOST = "pics.media.test"
CDN = "cdn.media.test"
NORANGE = "norange.media.test"
CHANGING = "changing.media.test"
LYING = "lying.media.test"


def noise_image(path: Path, size: tuple[int, int], fmt: str, **save: Any) -> Path:
    """Write an image of random pixels (incompressible: the file is as big as it gets)."""
    from PIL import Image

    data = random.Random(size[0] * 7 + size[1]).randbytes(size[0] * size[1] * 3)
    Image.frombytes("RGB", size, data).save(path, fmt, **save)
    return path


@dataclass(frozen=True)
class MediaFiles:
    """The generated files, by role."""

    folder: Path
    chain: SigningChain

    def __getitem__(self, name: str) -> Path:
        return self.folder / name


def build_media_files(folder: Path) -> MediaFiles:
    """Generate every file the media web serves into *folder*; return them."""
    folder.mkdir(parents=True, exist_ok=True)
    # A 2 MB photo whose XMP reserves AI training (ExifTool puts XMP at the start).
    photo = noise_image(folder / "photo.jpg", (1600, 1200), "JPEG", quality=92)
    exiftool(photo, data_mining(VOCAB + "DMI-PROHIBITED-AIMLTRAINING"))
    noise_image(folder / "plain.jpg", (1200, 900), "JPEG", quality=92)
    noise_image(folder / "plain.png", (600, 400), "PNG")
    # A PNG whose XMP follows the image data: the tail must be fetched.
    late = noise_image(folder / "late.png", (1000, 800), "PNG")
    exiftool(late, data_mining(VOCAB + "DMI-PROHIBITED"))
    late.write_bytes(png_move_text_after_idat(late.read_bytes()))
    # The same, larger than the 4 MiB budget: reachable by ranges only.
    huge = noise_image(folder / "huge-late.png", (1400, 1100), "PNG")
    exiftool(huge, data_mining(VOCAB + "DMI-PROHIBITED-AIMLTRAINING"))
    huge.write_bytes(png_move_text_after_idat(huge.read_bytes()))
    # A PDF with TDMRep XMP (ExifTool appends it as an incremental update, at the end).
    pdf = noise_image(folder / "report.pdf", (1600, 1200), "PDF")
    exiftool(pdf, "-XMP-tdm:reservation=1", "-XMP-tdm:policy=https://e.test/policy.json")
    # A photo cut inside its XMP packet: truncated.
    cut = photo.read_bytes()
    (folder / "cut.jpg").write_bytes(cut[: cut.index(b"DataMining") + 8])
    (folder / "empty.jpg").write_bytes(b"")
    # C2PA: a signed photo whose manifest reserves training; another kept apart (remote).
    chain = make_chain()
    asset = (folder / "plain.jpg").read_bytes()
    signed, _ = sign_asset(
        chain,
        asset,
        "image/jpeg",
        [training_mining({"cawg.ai_training": {"use": "notAllowed"}})],
    )
    (folder / "signed.jpg").write_bytes(signed)
    small = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (64, 48), (10, 20, 30)).save(small, "JPEG")
    remote, store = sign_asset(
        chain,
        small.getvalue(),
        "image/jpeg",
        [training_mining({"cawg.ai_generative_training": {"use": "notAllowed"}})],
        embed=False,
    )
    (folder / "remote.jpg").write_bytes(remote)
    (folder / "remote.c2pa").write_bytes(store)
    return MediaFiles(folder=folder, chain=chain)


def _file(path: Path, content_type: str, **extra: Any) -> dict[str, Any]:
    return {"file": str(path), "content_type": content_type, **extra}


def media_sites(files: MediaFiles, shared: Path) -> list[FixtureSite]:
    """Return the sites serving *files* (and the shared IPTC reference image)."""
    jpeg, png = "image/jpeg", "image/png"
    common = {
        "/photo.jpg": _file(files["photo.jpg"], jpeg),
        "/plain.jpg": _file(files["plain.jpg"], jpeg),
        "/late.png": _file(files["late.png"], png),
        "/huge-late.png": _file(files["huge-late.png"], png),
        "/report.pdf": _file(files["report.pdf"], "application/pdf"),
    }
    return [
        parse_site(
            {
                "host": HOST,
                "resources": {
                    "/robots.txt": {
                        "body": "User-agent: *\nDisallow: /private/\n\n"
                        "User-agent: crawlcheck\nDisallow: /nocc/\n"
                    },
                    **common,
                    "/iptc.jpg": _file(shared / IPTC_2023, jpeg),
                    "/cut.jpg": _file(files["cut.jpg"], jpeg),
                    "/empty.jpg": _file(files["empty.jpg"], jpeg),
                    "/signed.jpg": _file(files["signed.jpg"], jpeg),
                    "/remote.jpg": _file(
                        files["remote.jpg"],
                        jpeg,
                        headers={"Link": '</manifests/remote.c2pa>; rel="c2pa-manifest"'},
                    ),
                    "/manifests/remote.c2pa": _file(files["remote.c2pa"], "application/c2pa"),
                    "/private/photo.jpg": _file(files["photo.jpg"], jpeg),
                    "/nocc/photo.jpg": _file(files["photo.jpg"], jpeg),
                    "/moved.jpg": {"redirect": {"to": f"http://{CDN}/photo.jpg", "status": 301}},
                    "/gone.jpg": {"status": 404, "body": "not here\n"},
                    "/page.html": {
                        "body": "<html><body><p>not an image</p></body></html>",
                        "content_type": "text/html",
                    },
                    "/octet": _file(files["photo.jpg"], "application/octet-stream"),
                    "/endless.jpg": {
                        "generate": {
                            "size": 50_000_000,
                            "head": "GIF89a",
                            "line": "a 50 MB GIF that never ends\n",
                        },
                        "content_type": jpeg,
                    },
                },
            }
        ),
        parse_site(
            {
                "host": CDN,
                "resources": {
                    "/robots.txt": {"body": "User-agent: *\nAllow: /\n"},
                    "/photo.jpg": _file(files["photo.jpg"], jpeg),
                },
            }
        ),
        parse_site(
            {
                "host": NORANGE,
                "resources": {
                    "/robots.txt": {"body": "User-agent: *\nAllow: /\n"},
                    **{path: {**spec, "ranges": "ignore"} for path, spec in common.items()},
                },
            }
        ),
        parse_site(
            {
                "host": CHANGING,
                "resources": {
                    "/robots.txt": {"body": "User-agent: *\nAllow: /\n"},
                    "/iptc.jpg": _file(shared / IPTC_2023, jpeg, ranges="changing"),
                    "/late.png": _file(files["late.png"], png, ranges="changing"),
                },
            }
        ),
        parse_site(
            {
                "host": LYING,
                "resources": {
                    "/robots.txt": {"body": "User-agent: *\nAllow: /\n"},
                    "/late.png": _file(files["late.png"], png, truncate=True),
                    "/photo.jpg": _file(files["photo.jpg"], jpeg, truncate=True),
                    "/plain.png": _file(files["plain.png"], png, truncate=True),
                },
            }
        ),
    ]


GALLERY = "gallery.media.test"
BLOCKED_CDN = "cdn.blocked.test"


def gallery_sites(files: MediaFiles) -> list[FixtureSite]:
    """Return a site whose pages show images (its own, another host's) and link a PDF.

    Its home page names an og:image, a photo on pics.media.test and a PDF; /about shows an
    image on a host whose robots.txt disallows everything, and one that is missing.
    """
    home = (
        "<html><head><meta property='og:image' content='/hero.jpg'></head><body>"
        f"<img src='http://{HOST}/photo.jpg' srcset='http://{HOST}/photo.jpg 2x'>"
        "<a href='/about'>about</a> <a href='/docs/report.pdf'>the report</a></body></html>"
    )
    about = (
        f"<html><body><img src='http://{BLOCKED_CDN}/x.jpg'><img src='/missing.jpg'></body></html>"
    )
    return [
        parse_site(
            {
                "host": GALLERY,
                "resources": {
                    "/robots.txt": {"body": "User-agent: *\nAllow: /\n"},
                    "/": {"body": home, "content_type": "text/html"},
                    "/about": {"body": about, "content_type": "text/html"},
                    "/hero.jpg": _file(files["plain.jpg"], "image/jpeg"),
                    "/docs/report.pdf": _file(files["report.pdf"], "application/pdf"),
                },
            }
        ),
        parse_site(
            {
                "host": BLOCKED_CDN,
                "resources": {
                    "/robots.txt": {"body": "User-agent: *\nDisallow: /\n"},
                    "/x.jpg": _file(files["photo.jpg"], "image/jpeg"),
                },
            }
        ),
    ]
