"""TDMRep in EPUB package metadata (TDMRep CG-FINAL §"EPUB"), read from the zip in place.

The package document is the first ``rootfile`` of ``META-INF/container.xml`` (EPUB OCF
3.3 §4.2.6.3.1); its ``<metadata>`` may say ``<meta name="tdm:reservation" content="1"/>``
(EPUB 2) or ``<meta property="tdm:reservation">1</meta>`` with the package ``prefix``
``tdm: http://www.w3.org/ns/tdmrep#`` (EPUB 3), and ``tdm:policy`` likewise. It applies to
the whole publication.

The zip is read through a file object over the bytes held, so only the central directory
and the two entries are needed (range requests); every entry is inflated to a bounded size
(a zip bomb stops at the limit) and both XML files go through ``defusedxml``.
"""

from __future__ import annotations

import io
import itertools
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass

from defusedxml.ElementTree import DefusedXMLParser

from crawlcheck.media.view import ByteView, NeedBytes, Truncated

CONTAINER = "META-INF/container.xml"
OCF_NS = "urn:oasis:names:tc:opendocument:xmlns:container"
OPF_NS = "http://www.idpf.org/2007/opf"
TDMREP_PREFIX_IRI = "http://www.w3.org/ns/tdmrep#"
#: Largest container.xml / package document read (they are a few KiB in practice).
MAX_XML_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class EpubMeta:
    """One ``tdm:`` meta element of the package document."""

    name: str
    """``tdm:reservation`` or ``tdm:policy``."""
    value: str
    raw: str
    epub3: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class EpubScan:
    """The TDMRep metadata of a publication, and the package document's path."""

    package: str = ""
    metas: tuple[EpubMeta, ...] = ()
    notes: tuple[tuple[str, str, str], ...] = ()


class ViewFile(io.RawIOBase):
    """A read-only, seekable file over a ByteView; reading unheld bytes raises NeedBytes."""

    def __init__(self, view: ByteView) -> None:
        super().__init__()
        if view.size is None:  # the central directory is found from the end of the file
            raise Truncated("zip size unknown: its directory sits at the end of the file")
        self.view = view
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        size = self.view.size or 0
        base = {0: 0, 1: self.pos, 2: size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def read(self, n: int | None = -1) -> bytes:
        size = self.view.size or 0
        end = size if n is None or n < 0 else min(size, self.pos + n)
        data = self.view.read(self.pos, max(self.pos, end), "zip structure")
        self.pos += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def scan(view: ByteView) -> EpubScan:
    """Return the ``tdm:`` metadata of an EPUB; raises NeedBytes for bytes not held yet."""
    notes: list[tuple[str, str, str]] = []
    try:
        archive = zipfile.ZipFile(ViewFile(view))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Truncated(f"not a readable zip archive ({exc})") from exc
    with archive:
        container = _member(archive, CONTAINER)
        if container is None:
            return EpubScan(notes=(("epub.no-container", "error", f"no {CONTAINER}"),))
        root = _xml(container)
        if root is None:
            return EpubScan(notes=(("epub.bad-container", "error", f"{CONTAINER} unreadable"),))
        rootfile = root.find(f".//{{{OCF_NS}}}rootfile")
        package = (rootfile.get("full-path") if rootfile is not None else None) or ""
        if not package:
            return EpubScan(notes=(("epub.no-rootfile", "error", "container names no package"),))
        opf = _member(archive, package)
        if opf is None:
            return EpubScan(
                package=package, notes=(("epub.no-package", "error", f"{package} not found"),)
            )
        pkg = _xml(opf)
        if pkg is None:
            return EpubScan(
                package=package,
                notes=(("epub.bad-package", "error", f"{package} is not readable XML"),),
            )
    prefixes = (pkg.get("prefix") or "").split()
    declared = any(a == "tdm:" and b == TDMREP_PREFIX_IRI for a, b in itertools.pairwise(prefixes))
    metas: list[EpubMeta] = []
    for meta in pkg.iter(f"{{{OPF_NS}}}meta"):
        name = (meta.get("name") or "").strip()
        prop = (meta.get("property") or "").strip()
        if name.lower() in ("tdm:reservation", "tdm:policy"):
            content = meta.get("content") or ""
            raw = f'<meta name="{name}" content="{content}"/>'
            metas.append(EpubMeta(name=name.lower(), value=content.strip(), raw=raw, epub3=False))
        elif prop.lower() in ("tdm:reservation", "tdm:policy"):
            text = (meta.text or "").strip()
            raw = f'<meta property="{prop}">{text}</meta>'
            metas.append(EpubMeta(name=prop.lower(), value=text, raw=raw, epub3=True))
    if any(m.epub3 for m in metas) and not declared:
        notes.append(
            (
                "epub.tdm-prefix",
                "warning",
                f"tdm: properties are used but the package does not declare the prefix "
                f"'tdm: {TDMREP_PREFIX_IRI}' (TDMRep §EPUB); read anyway",
            )
        )
    return EpubScan(package=package, metas=tuple(metas), notes=tuple(notes))


def _member(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_XML_BYTES:
        raise Truncated(f"{name} declares {info.file_size:,} bytes (limit {MAX_XML_BYTES:,})")
    try:
        with archive.open(info) as member:
            data = member.read(MAX_XML_BYTES + 1)
    except NeedBytes:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise Truncated(f"{name} cannot be read from the zip ({exc})") from exc
    if len(data) > MAX_XML_BYTES:
        raise Truncated(f"{name} inflates past {MAX_XML_BYTES:,} bytes (a zip bomb?)")
    return data


def _xml(data: bytes) -> ET.Element | None:
    parser = DefusedXMLParser(
        target=ET.TreeBuilder(), forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(data)
        return parser.close()
    except Exception:  # defusedxml refusals, expat errors: unreadable either way
        return None
