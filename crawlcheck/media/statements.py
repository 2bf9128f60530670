"""What embedded XMP says, as observations: IPTC/PLUS Data Mining and TDMRep.

Values are matched leniently (real tools write bare codes, ``https``, other case, spaces or
underscores) but never guessed: a value that is not one of the PLUS vocabulary's codes is
an ``error`` problem, and the file's answer for every purpose it might speak to is unknown,
never allowed. A permission read from a place the spec does not define (a near-miss
namespace, a PDF metadata stream that is not the document's) is reported but not counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawlcheck.media.containers import XmpPacket
from crawlcheck.media.xmp import (
    DCTERMS,
    IPTC_EXT,
    PLUS,
    TDMREP,
    TDMREP_HASH,
    XMP_NOTE,
    XmpProperty,
    XmpRead,
)
from crawlcheck.model import Evidence, Observation, Problem, Signal

#: The PLUS Data Mining vocabulary (IPTC Photo Metadata 2023.1+, "Data Mining" property):
#: every code, under ``http://ns.useplus.org/ldf/vocab/``.
PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
DATA_MINING_CODES: tuple[str, ...] = (
    "DMI-UNSPECIFIED",
    "DMI-ALLOWED",
    "DMI-PROHIBITED-AIMLTRAINING",
    "DMI-PROHIBITED-GENAIMLTRAINING",
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
    "DMI-PROHIBITED",
    "DMI-PROHIBITED-SEECONSTRAINT",
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
)
_BY_LETTERS = {re.sub("[^A-Z]", "", code): code for code in DATA_MINING_CODES}
_VOCAB_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?ns\.useplus\.org/ldf/vocab/", re.IGNORECASE)

#: Observation keys.
DATA_MINING = "data-mining"
OTHER_CONSTRAINTS = "other-constraints"
RIGHTS_EXPRESSION = "rights-expression"
RESERVATION = "tdm-reservation"
POLICY = "tdm-policy"


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """An observation, and whether a permission it makes may count."""

    observation: Observation
    permission_counts: bool = True
    why_not: str = ""
    """Why a permission from it does not count (shown in the problem)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class XmpFacts:
    """Everything read from the XMP packets of one file."""

    statements: tuple[Statement, ...] = ()
    problems: tuple[Problem, ...] = ()
    remote_manifests: tuple[str, ...] = ()
    """C2PA manifest URLs named by ``dcterms:provenance`` (fetched in phase 2, by the crawl)."""


def data_mining_code(raw: str) -> str | None:
    """Return the PLUS code a Data Mining value names, or None when it names none.

    >>> data_mining_code("http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING")
    'DMI-PROHIBITED-AIMLTRAINING'
    >>> data_mining_code(" dmi_prohibited_genaimltraining ")
    'DMI-PROHIBITED-GENAIMLTRAINING'
    >>> data_mining_code("DMI-PROHIBITED-AITRAINING") is None
    True
    """
    text = _VOCAB_PREFIX.sub("", raw.strip())
    return _BY_LETTERS.get(re.sub("[^A-Z]", "", text.upper()))


def xmp_facts(
    packets: tuple[tuple[XmpPacket, XmpRead], ...],
    *,
    source: str,
    scope: str,
    document_packets: frozenset[int] | None = None,
) -> XmpFacts:
    """Return the statements of every packet (offsets in *document_packets* may permit).

    *document_packets*: the offsets of the packets that describe the file itself (PDF: the
    catalog's metadata stream); None means every packet does.
    """
    statements: list[Statement] = []
    problems: list[Problem] = []
    remote: list[str] = []
    # Extended XMP splits one description over packets: "is there a Data Mining value" is
    # asked of the file, not of one packet.
    mining = any(
        read.find(PLUS, "DataMining") or read.find(IPTC_EXT, "DataMining") for _, read in packets
    )
    for packet, read in packets:
        if read.error:
            problems.append(
                Problem(
                    code="media.xmp-unreadable",
                    message=f"{packet.where}: XMP packet {read.error}; its statements are unknown",
                    source=source,
                    level="error",
                )
            )
            continue
        own = document_packets is None or packet.offset in document_packets
        reader = _PacketReader(packet, read, source, scope, own, mining)
        reader.read()
        statements.extend(reader.statements)
        problems.extend(reader.problems)
        remote.extend(reader.remote)
    problems.extend(_extended_problems(packets, source))
    return XmpFacts(
        statements=tuple(statements),
        problems=tuple(problems),
        remote_manifests=tuple(dict.fromkeys(remote)),
    )


def _extended_problems(
    packets: tuple[tuple[XmpPacket, XmpRead], ...], source: str
) -> list[Problem]:
    """Check JPEG Extended XMP against the GUID the main packet names (XMP Part 3 §1.1.3.1).

    A named extension that is missing (stripped, or cut off) hides statements: an error.
    """
    named = {
        value.strip().upper()
        for _, read in packets
        for prop in read.find(XMP_NOTE, "HasExtendedXMP")
        for value in prop.values
    }
    found = {packet.extended_guid.upper() for packet, _ in packets if packet.extended_guid}
    problems = [
        Problem(
            code="media.xmp-extended-missing",
            message=f"the XMP names Extended XMP {guid}, which is not in the file: "
            "what it states is unknown",
            source=source,
            level="error",
        )
        for guid in sorted(named - found)
    ]
    problems += [
        Problem(
            code="media.xmp-extended-unnamed",
            message=f"Extended XMP {guid} is not the one the main packet names; read anyway",
            source=source,
            level="info",
        )
        for guid in sorted(found - named)
    ]
    return problems


class _PacketReader:
    def __init__(
        self, packet: XmpPacket, read: XmpRead, source: str, scope: str, own: bool, mining: bool
    ) -> None:
        self.mining = mining
        self.packet = packet
        self.read_ = read
        self.source = source
        self.scope = scope
        self.own = own
        self.statements: list[Statement] = []
        self.problems: list[Problem] = []
        self.remote: list[str] = []

    def problem(self, code: str, message: str, level: str = "warning") -> None:
        self.problems.append(
            Problem(
                code=code,
                message=f"{self.packet.where}: {message}",
                source=self.source,
                level=level,
            )
        )

    def add(
        self, signal: Signal, key: str, value: str, prop: XmpProperty, *, counts: bool, why: str
    ) -> None:
        evidence = Evidence(
            source=self.source, text=prop.raw, where=f"{self.packet.where}, XMP {prop.qname}"
        )
        observation = Observation(
            signal=signal, key=key, value=value, scope=self.scope, evidence=evidence
        )
        if not self.own:
            counts, why = False, why or "not the document's own metadata stream"
        self.statements.append(
            Statement(observation=observation, permission_counts=counts, why_not=why)
        )

    def read(self) -> None:
        read = self.read_
        constraints = read.find(PLUS, "OtherConstraints")
        for prop in read.find(PLUS, "DataMining"):
            self._data_mining(prop, constraints, official=True)
        for prop in read.find(IPTC_EXT, "DataMining"):
            self.problem(
                "iptc-data-mining.namespace",
                "DataMining is written in the IPTC Extension namespace, not PLUS "
                f"({PLUS}); a reservation is read, a permission is not counted",
            )
            self._data_mining(prop, constraints, official=False)
        # The terms a Data Mining value points to are evidence only beside such a value.
        terms = constraints if self.mining else ()
        if self.mining:
            for name in ("EmbdEncRightsExpr", "LinkedEncRightsExpr"):
                terms += read.find(IPTC_EXT, name)
        for prop in terms:
            key = OTHER_CONSTRAINTS if prop.name == "OtherConstraints" else RIGHTS_EXPRESSION
            self.add(
                Signal.IPTC_DATA_MINING, key, " | ".join(prop.values), prop, counts=True, why=""
            )
        for namespace in (TDMREP, TDMREP_HASH):
            self._tdmrep(namespace)
        for prop in read.find(DCTERMS, "provenance"):
            self.remote.extend(v for v in prop.values if v.startswith(("http://", "https://")))

    def _data_mining(
        self, prop: XmpProperty, constraints: tuple[XmpProperty, ...], *, official: bool
    ) -> None:
        if not prop.values:
            self.problem("iptc-data-mining.empty", f"{prop.qname} has no value", "error")
        for value in prop.values:
            code = data_mining_code(value)
            if code is None:
                self.problem(
                    "iptc-data-mining.unknown-value",
                    f"{prop.qname} value {value!r} is not in the PLUS Data Mining vocabulary "
                    f"({PLUS_VOCAB}); what it reserves is unknown",
                    "error",
                )
                self.add(
                    Signal.IPTC_DATA_MINING, DATA_MINING, value, prop, counts=False, why="unknown"
                )
                continue
            if value != PLUS_VOCAB + code:
                self.problem(
                    "iptc-data-mining.non-canonical",
                    f"{prop.qname} is written {value!r}; the vocabulary's form is "
                    f"'{PLUS_VOCAB}{code}' (read as {code}; other readers may not)",
                    "info",
                )
            if code.startswith("DMI-PROHIBITED-SEE") and not constraints:
                self.problem(
                    "iptc-data-mining.constraint-missing",
                    f"{code} points to terms stated elsewhere, but the packet has no "
                    "plus:OtherConstraints; counted as a prohibition",
                    "info",
                )
            self.add(
                Signal.IPTC_DATA_MINING,
                DATA_MINING,
                code,
                prop,
                counts=official,
                why="" if official else "DataMining outside the PLUS namespace",
            )

    def _tdmrep(self, namespace: str) -> None:
        read = self.read_
        reservations = read.find(namespace, "reservation")
        policies = read.find(namespace, "policy")
        if not reservations and not policies:
            return
        official = namespace == TDMREP
        if not official:
            self.problem(
                "xmp-tdmrep.namespace",
                f"tdm: properties use the EPUB 3 prefix IRI {TDMREP_HASH}; TDMRep's XMP "
                f"namespace is {TDMREP}. A reservation is read, a permission is not counted",
            )
        reserved = False
        for prop in reservations:
            for value in prop.values or ("",):
                if value.strip() not in ("0", "1"):
                    # TDMRep §"tdm-reservation": any other value is a protocol error (unset).
                    self.problem(
                        "xmp-tdmrep.invalid-value",
                        f"{prop.qname} {value!r} is not 1 or 0: protocol error, ignored",
                    )
                    continue
                reserved = reserved or value.strip() == "1"
                self.add(
                    Signal.XMP_TDMREP,
                    RESERVATION,
                    value.strip(),
                    prop,
                    counts=official,
                    why="" if official else "TDMRep property outside its XMP namespace",
                )
        # §"tdm-policy": a policy is processed only alongside a reservation of 1.
        if reserved:
            for prop in policies:
                for value in prop.values:
                    self.add(Signal.XMP_TDMREP, POLICY, value, prop, counts=True, why="")
