"""The bounded-read planner: from the bytes held so far, the findings or the next range needed.

:func:`plan` is pure. Given a :class:`ByteView` (a prefix of the file, maybe other spans,
and the total size when known) it either returns a :class:`MediaResult` or a
:class:`NeedRange` naming the bytes still needed: the rest of an XMP packet, a PNG text
chunk after the image data, the tail of a PDF, a zip's central directory, the whole file
when a C2PA manifest must be validated. A driver (local files: :mod:`crawlcheck.media.api`;
HTTP range requests: the crawl, phase 2) fetches them and calls :func:`plan` again.

Every file has a hard byte budget (:class:`Limits`). What cannot be read within it, or at
all (truncated, corrupt, hostile), is an ``error`` problem: the answer for the purposes it
might speak to is ``unknown``, never ``permitted``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from crawlcheck.media import containers, epub, pdf
from crawlcheck.media.c2pa import INSTALL_HINT, C2paFacts, read_c2pa, sdk_available
from crawlcheck.media.containers import XmpPacket
from crawlcheck.media.statements import POLICY, RESERVATION, Statement, xmp_facts
from crawlcheck.media.view import ByteRange, ByteView, NeedBytes, Truncated
from crawlcheck.media.xmp import read_xmp
from crawlcheck.model import (
    Effect,
    Evidence,
    Finding,
    MediaResult,
    Observation,
    Problem,
    Signal,
)
from crawlcheck.ruleset import Ruleset

#: Per-purpose answers of one file (``MediaResult.state``).
STATES: tuple[str, ...] = ("reserved", "permitted", "not-reserved", "unknown")

#: Carriers whose C2PA detection by the walkers is complete (elsewhere the bytes are searched).
_C2PA_WALKED = frozenset({"image/jpeg", "image/png", "image/webp"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Bounds of one file's read (bytes); docs/media.md lists them."""

    budget: int = 32 * 1024 * 1024
    """Most bytes held for one file; past it the metadata is unknown."""
    first_read: int = 64 * 1024
    """Bytes a driver reads first (one range request covers most images' metadata)."""
    min_read: int = 16 * 1024
    """Smallest follow-up read a driver makes (fewer round trips for chunk walks)."""
    max_xmp_bytes: int = 4 * 1024 * 1024
    """Largest XMP packet (after reassembly or inflation) read."""
    pdf_tail: int = 64 * 1024
    """Bytes read from the end of a PDF (incremental updates put the newest metadata last)."""
    read_c2pa: bool = True
    """Look for and validate C2PA manifests (needs crawlcheck[media])."""
    c2pa_validation: str = "always"
    """``always``: validate every manifest (reads the whole file). ``when-needed``: read only
    the manifest's blocks (JPEG APP11, PNG caBX) and validate the whole file only when an
    entry would permit something: a reservation counts whatever the validation state."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NeedRange:
    """The planner's request: these bytes are needed before it can answer."""

    range: ByteRange


def plan(
    view: ByteView,
    *,
    source: str,
    ruleset: Ruleset,
    limits: Limits | None = None,
    scope: str = "file",
    remote_manifest: bytes | None = None,
    trust_anchors: str | None = None,
) -> MediaResult | NeedRange:
    """Return the file's embedded signals, or the byte range still needed; never raises."""
    limits = limits or Limits()
    planner = _Planner(view, source, ruleset, limits, scope, remote_manifest, trust_anchors)
    try:
        return planner.run()
    except NeedBytes as need:
        return planner.request(need.wanted)
    except Truncated as exc:
        return planner.finish(problems=[planner.problem("media.truncated", exc.message)])
    except Exception as exc:  # a bug, not bad input: still never a crash, never a permission
        return planner.finish(
            problems=[
                planner.problem(
                    "media.internal-error",
                    f"reading stopped on an internal error ({type(exc).__name__}: {exc})",
                )
            ]
        )


class _Planner:
    def __init__(
        self,
        view: ByteView,
        source: str,
        ruleset: Ruleset,
        limits: Limits,
        scope: str,
        remote_manifest: bytes | None,
        trust_anchors: str | None,
    ) -> None:
        self.view = view
        self.source = source
        self.ruleset = ruleset
        self.limits = limits
        self.scope = scope
        self.remote_manifest = remote_manifest
        self.trust_anchors = trust_anchors
        self.media_type = ""
        self.c2pa_ranges: tuple[tuple[int, int], ...] = ()

    def problem(self, code: str, message: str, level: str = "error") -> Problem:
        return Problem(code=code, message=message, source=self.source, level=level)

    def request(self, wanted: ByteRange) -> MediaResult | NeedRange:
        """Ask for *wanted*, or finish with a budget problem when it cannot fit."""
        size = self.view.size
        end = wanted.end if wanted.end >= 0 else (size if size is not None else -1)
        missing = (end - wanted.start) if end >= 0 else self.limits.min_read
        if self.view.held + missing > self.limits.budget:
            return self.finish(
                problems=[
                    self.problem(
                        "media.budget",
                        f"{wanted.reason}: bytes {wanted.start:,}-{end:,} are past the "
                        f"{self.limits.budget:,}-byte budget; the metadata there is unknown",
                    )
                ]
            )
        return NeedRange(range=replace(wanted, end=end))

    def run(self) -> MediaResult | NeedRange:
        view = self.view
        head = view.prefix()
        if len(head) < containers.DETECT_BYTES and not view.complete and view.size != len(head):
            self.view.read_upto(0, self.limits.first_read, "file header")  # raises NeedBytes
        self.media_type = containers.detect(head)
        if not head or (not self.media_type and containers.truncated_signature(head)):
            what = "empty" if not head else "cut inside its file signature"
            return self.finish(
                problems=[self.problem("media.truncated", f"the file is {what}: unknown")]
            )
        if not self.media_type or self.media_type == "application/zip":
            return self.finish(
                problems=[
                    self.problem(
                        "media.unsupported",
                        "not an image or document crawlcheck reads (JPEG, PNG, WebP, TIFF, "
                        "GIF, PDF, EPUB): no embedded signal read",
                        "info",
                    )
                ]
            )
        if self.media_type == "application/pdf":
            return self._pdf()
        if self.media_type == "application/epub+zip":
            return self._epub()
        scan = containers.walk(view, self.media_type, max_xmp_bytes=self.limits.max_xmp_bytes)
        self.c2pa_ranges = scan.c2pa_ranges
        return self._conclude(scan.packets, None, scan.c2pa, scan.notes)

    def _pdf(self) -> MediaResult | NeedRange:
        view, limits = self.view, self.limits
        if not view.complete and view.size is not None:
            # Incremental updates append the newest definitions (ISO 32000-2 §7.5.6): the tail
            # is read even when the head already shows metadata, which may be superseded.
            tail_start = max(0, view.size - limits.pdf_tail)
            view.read(tail_start, view.size, "PDF tail (newest metadata, cross-reference)")
        found = pdf.scan(view, max_xmp_bytes=limits.max_xmp_bytes)
        if not found.document and not view.complete and view.size is not None:
            wanted = pdf.locate(view, found)
            if wanted is not None:
                view.read(wanted.start, min(wanted.end, view.size), wanted.reason)
            # A catalog without /Metadata in the held bytes: nothing more to find; else the
            # metadata object is somewhere unknown: read the whole file, within budget.
            if not (found.catalog_found and found.metadata_object is None):
                view.read(0, view.size, "PDF body (metadata object not located)")
        c2pa: tuple[str, ...] = ()
        if any(b"C2PA_Manifest" in chunk or b"jumd" in chunk for _, chunk in view.spans):
            c2pa = ("PDF embedded file (C2PA_Manifest)",)
        notes = found.notes
        size = view.size
        tail = view.get(max(0, size - 1024), size) if size is not None else None
        if tail is not None and not tail.rstrip(b"\x00\t\n\x0c\r ").endswith(b"%%EOF"):
            # ISO 32000-2 §7.5.5: a file ends with %%EOF; without it the file was cut.
            notes += (
                (
                    "media.truncated",
                    "error",
                    "the PDF does not end with %%EOF: truncated, or bytes follow it",
                ),
            )
        elif not found.catalog_found:
            level = "info" if found.packets else "error"
            notes += (("pdf.no-catalog", level, "no document catalog found: metadata unknown"),)
        if found.packets and not found.catalog_found:
            notes += (
                (
                    "pdf.no-catalog",
                    "info",
                    "no document catalog found: metadata streams are read for reservations; "
                    "none counts as the document's permission",
                ),
            )
        return self._conclude(found.packets, found.document, c2pa, notes)

    def _epub(self) -> MediaResult | NeedRange:
        try:
            found = epub.scan(self.view)
        except Truncated as exc:
            return self.finish(problems=[self.problem("epub.unreadable", exc.message)])
        statements: list[Statement] = []
        problems = [self.problem(c, m, lvl) for c, lvl, m in found.notes]
        reservations = [m for m in found.metas if m.name == "tdm:reservation"]
        for meta in found.metas:
            evidence = Evidence(
                source=self.source, text=meta.raw, where=f"EPUB package {found.package} <meta>"
            )
            if meta.name == "tdm:reservation" and meta.value not in ("0", "1"):
                problems.append(
                    self.problem(
                        "xmp-tdmrep.invalid-value",
                        f"{meta.raw}: not 1 or 0, a protocol error (TDMRep §tdm-reservation); ignored",
                        "warning",
                    )
                )
                continue
            if meta.name == "tdm:policy" and not any(r.value == "1" for r in reservations):
                continue  # §tdm-policy: read only with a reservation of 1
            key = RESERVATION if meta.name == "tdm:reservation" else POLICY
            observation = Observation(
                signal=Signal.XMP_TDMREP,
                key=key,
                value=meta.value,
                scope=self.scope,
                evidence=evidence,
            )
            statements.append(Statement(observation=observation))
        return self.finish(statements=statements, problems=problems)

    def _conclude(
        self,
        packets: tuple[XmpPacket, ...],
        document: frozenset[int] | None,
        c2pa_carriers: tuple[str, ...],
        notes: tuple[tuple[str, str, str], ...],
    ) -> MediaResult | NeedRange:
        problems = [self.problem(code, message, level) for code, level, message in notes]
        reads = tuple((packet, read_xmp(packet.data)) for packet in packets)
        facts = xmp_facts(reads, source=self.source, scope=self.scope, document_packets=document)
        problems.extend(facts.problems)
        statements = list(facts.statements)
        c2pa_state = ""
        if self.limits.read_c2pa:
            carriers = c2pa_carriers or self._c2pa_in_bytes()
            if carriers or self.remote_manifest is not None:
                c2pa = self._c2pa(carriers)
                c2pa_state = c2pa.state
                statements.extend(c2pa.statements)
                problems.extend(c2pa.problems)
            else:
                c2pa_state = "absent"
        return self.finish(
            statements=statements,
            problems=problems,
            c2pa=c2pa_state,
            remote=facts.remote_manifests,
        )

    def _c2pa_in_bytes(self) -> tuple[str, ...]:
        if self.media_type in _C2PA_WALKED:
            return ()
        for offset, chunk in self.view.spans:
            at = chunk.find(b"jumd")
            if at >= 0 and b"c2pa" in chunk[at : at + 64]:
                return (f"JUMBF manifest store near byte {offset + at:,}",)
        return ()

    def _c2pa(self, carriers: tuple[str, ...]) -> C2paFacts:
        where = carriers[0] if carriers else "a remote manifest"
        if not sdk_available():
            return C2paFacts(
                state="not-installed",
                problems=(
                    self.problem(
                        "c2pa.not-installed",
                        f"a C2PA manifest is present ({where}) but {INSTALL_HINT}; "
                        "what it states is unknown",
                    ),
                ),
            )
        remote_only = self.remote_manifest is not None and not carriers
        if self.limits.c2pa_validation == "when-needed" and (self.c2pa_ranges or remote_only):
            manifest_only = self._c2pa_manifest_only()
            if manifest_only is not None:
                return manifest_only
        size = self.view.size
        if size is None or size > self.limits.budget:
            return C2paFacts(
                state="unchecked",
                problems=(
                    self.problem(
                        "c2pa.too-large",
                        f"a C2PA manifest is present ({where}) but validating it needs the whole "
                        f"file, larger than the {self.limits.budget:,}-byte budget; unknown",
                    ),
                ),
            )
        whole = self.view.read(0, size, f"whole file to validate the C2PA manifest ({where})")
        return read_c2pa(
            whole,
            self.media_type,
            source=self.source,
            scope=self.scope,
            remote_manifest=self.remote_manifest,
            trust_anchors=self.trust_anchors,
        )

    def _c2pa_manifest_only(self) -> C2paFacts | None:
        """Return the manifest read without validation when it permits nothing, else None.

        The embedded manifest's blocks, or a remote manifest (handed in by the caller) read
        against the file's signature alone: enough to see what it reserves.
        """
        blocks = [self.view.read(a, b, "C2PA manifest store") for a, b in self.c2pa_ranges]
        if self.media_type == "image/jpeg":
            container = b"\xff\xd8" + b"".join(blocks) + b"\xff\xd9"
        elif self.media_type == "image/png":
            header = self.view.read(0, 33, "PNG signature and IHDR")
            container = header + b"".join(blocks) + containers.PNG_IEND
        else:
            return None
        facts = read_c2pa(
            container,
            self.media_type,
            source=self.source,
            scope=self.scope,
            remote_manifest=self.remote_manifest if not self.c2pa_ranges else None,
            validate=False,
        )
        permits = any(
            s.observation.value.lower() == "allowed" for s in facts.statements
        )  # a permission counts only once the whole file validates
        if facts.state != "unvalidated" or permits:
            return None
        return facts

    def finish(
        self,
        *,
        statements: list[Statement] | None = None,
        problems: list[Problem] | None = None,
        c2pa: str = "",
        remote: tuple[str, ...] = (),
    ) -> MediaResult:
        findings: list[Finding] = []
        notes: list[str] = []
        all_problems = list(problems or [])
        for statement in statements or []:
            finding = self.ruleset.classify(statement.observation)
            meaning = self.ruleset.meaning(
                statement.observation.signal, statement.observation.key, statement.observation.value
            )
            note = meaning.note
            if finding.effect is Effect.PERMIT and not statement.permission_counts:
                # Fail closed: a permission from an unverified place is shown, not counted.
                all_problems.append(
                    self.problem(
                        f"{finding.signal}.permission-not-counted",
                        f"{finding.key}={finding.value} would permit "
                        f"{', '.join(finding.purposes)}, but {statement.why_not}: not counted",
                        "warning",
                    )
                )
                note = f"Not counted ({statement.why_not}). {note}"
                finding = replace(finding, effect=Effect.INFO, purposes=())
            findings.append(finding)
            notes.append(note)
        return MediaResult(
            source=self.source,
            media_type=self.media_type,
            size=self.view.size,
            bytes_read=self.view.held,
            findings=tuple(findings),
            problems=tuple(all_problems),
            notes=tuple(notes),
            c2pa=c2pa,
            remote_manifests=remote,
        )
