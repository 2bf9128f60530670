"""Every PLUS Data Mining value and TDMRep value, in the spellings and RDF forms tools write."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_support import VOCAB, data_mining, with_packet, with_xmp, xmp_packet

from crawlcheck.media import scan_bytes, scan_path
from crawlcheck.media.statements import DATA_MINING_CODES, data_mining_code
from crawlcheck.media.xmp import read_xmp
from crawlcheck.model import PURPOSES

PLUS_NS = "xmlns:plus='http://ns.useplus.org/ldf/xmp/1.0/'"

#: code -> expected per-purpose state (tdm, ai-train, ai-input, search).
EXPECTED = {
    "DMI-UNSPECIFIED": ("not-reserved", "not-reserved", "not-reserved", "not-reserved"),
    "DMI-ALLOWED": ("permitted", "permitted", "not-reserved", "permitted"),
    "DMI-PROHIBITED-AIMLTRAINING": ("not-reserved", "reserved", "not-reserved", "not-reserved"),
    "DMI-PROHIBITED-GENAIMLTRAINING": ("not-reserved", "reserved", "not-reserved", "not-reserved"),
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": (
        "reserved",
        "reserved",
        "not-reserved",
        "not-reserved",
    ),
    "DMI-PROHIBITED": ("reserved", "reserved", "not-reserved", "reserved"),
    "DMI-PROHIBITED-SEECONSTRAINT": ("reserved", "reserved", "not-reserved", "reserved"),
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR": ("reserved", "reserved", "not-reserved", "reserved"),
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR": ("reserved", "reserved", "not-reserved", "reserved"),
}


def test_every_vocabulary_code_is_expected() -> None:
    assert set(EXPECTED) == set(DATA_MINING_CODES)


@pytest.mark.parametrize("code", DATA_MINING_CODES)
def test_each_code_written_by_exiftool(tmp_path: Path, code: str) -> None:
    result = scan_path(with_xmp(tmp_path, "a.jpg", data_mining(VOCAB + code)))
    assert tuple(result.state(p) for p in PURPOSES) == EXPECTED[code]
    [finding] = [f for f in result.findings if f.key == "data-mining"]
    assert finding.value == code
    assert VOCAB + code in finding.evidence


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("DMI-PROHIBITED-AIMLTRAINING", "DMI-PROHIBITED-AIMLTRAINING"),
        ("dmi-prohibited-aimltraining", "DMI-PROHIBITED-AIMLTRAINING"),
        ("  DMI-PROHIBITED-GENAIMLTRAINING \n", "DMI-PROHIBITED-GENAIMLTRAINING"),
        ("https://ns.useplus.org/ldf/vocab/DMI-PROHIBITED", "DMI-PROHIBITED"),
        ("ns.useplus.org/ldf/vocab/DMI-ALLOWED", "DMI-ALLOWED"),
        (
            "DMI_PROHIBITED_EXCEPT_SEARCH_ENGINE_INDEXING",
            "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
        ),
    ],
)
def test_odd_spellings_are_read_and_reported(tmp_path: Path, written: str, code: str) -> None:
    result = scan_path(with_xmp(tmp_path, "a.png", data_mining(written)))
    [finding] = [f for f in result.findings if f.key == "data-mining"]
    assert finding.value == code
    assert [p.code for p in result.problems] == ["iptc-data-mining.non-canonical"]


@pytest.mark.parametrize(
    "written",
    ["DMI-PROHIBITED-AITRAINING", "http://example.com/DMI-PROHIBITED", "no", "Prohibited"],
)
def test_unknown_value_is_unknown_never_permitted(tmp_path: Path, written: str) -> None:
    result = scan_path(with_xmp(tmp_path, "a.jpg", data_mining(written)))
    assert set(result.states().values()) == {"unknown"}
    assert [p.code for p in result.problems if p.level == "error"] == [
        "iptc-data-mining.unknown-value"
    ]


def test_unknown_value_beside_a_reservation_keeps_the_reservation() -> None:
    packet = xmp_packet(
        f"<rdf:Description {PLUS_NS}><plus:DataMining><rdf:Bag>"
        f"<rdf:li>{VOCAB}DMI-PROHIBITED-AIMLTRAINING</rdf:li><rdf:li>whatever</rdf:li>"
        "</rdf:Bag></plus:DataMining></rdf:Description>"
    )
    result = scan_bytes(_jpeg_with_packet(packet), source="two.jpg")
    assert result.state("ai-train") == "reserved"
    assert result.state("tdm") == "unknown"


@pytest.mark.parametrize(
    "body",
    [
        f"<rdf:Description {PLUS_NS} plus:DataMining='{VOCAB}DMI-PROHIBITED'/>",
        f"<rdf:Description {PLUS_NS}><plus:DataMining rdf:resource='{VOCAB}DMI-PROHIBITED'/>"
        "</rdf:Description>",
        f"<rdf:Description {PLUS_NS}><plus:DataMining>{VOCAB}DMI-PROHIBITED</plus:DataMining>"
        "</rdf:Description>",
        f"<rdf:Description {PLUS_NS}><plus:DataMining><rdf:Alt><rdf:li xml:lang='x-default'>"
        f"{VOCAB}DMI-PROHIBITED</rdf:li></rdf:Alt></plus:DataMining></rdf:Description>",
        f"<rdf:Description {PLUS_NS}><plus:DataMining><rdf:Seq><rdf:li rdf:resource="
        f"'{VOCAB}DMI-PROHIBITED'/></rdf:Seq></plus:DataMining></rdf:Description>",
        f"<rdf:Description {PLUS_NS}><plus:DataMining rdf:parseType='Resource'><rdf:value>"
        f"{VOCAB}DMI-PROHIBITED</rdf:value></plus:DataMining></rdf:Description>",
        # Another prefix bound to the same namespace: names are matched by namespace.
        "<rdf:Description xmlns:p2='http://ns.useplus.org/ldf/xmp/1.0/'>"
        f"<p2:DataMining>{VOCAB}DMI-PROHIBITED</p2:DataMining></rdf:Description>",
    ],
)
def test_every_rdf_form_written_by_exiftool(tmp_path: Path, body: str) -> None:
    result = scan_path(with_packet(tmp_path, "a.jpg", xmp_packet(body)))
    assert result.state("tdm") == "reserved", result.problems


def test_wrong_namespace_is_not_read() -> None:
    body = (
        "<rdf:Description xmlns:plus='http://ns.useplus.org/ldf/xmp/2.0/' "
        f"plus:DataMining='{VOCAB}DMI-PROHIBITED'/>"
    )
    assert read_xmp(xmp_packet(body)).properties == ()


def test_iptc_extension_namespace_reads_reservations_only() -> None:
    ns = "xmlns:Iptc4xmpExt='http://iptc.org/std/Iptc4xmpExt/2008-02-29/'"
    reserve = xmp_packet(f"<rdf:Description {ns} Iptc4xmpExt:DataMining='DMI-PROHIBITED'/>")
    allow = xmp_packet(f"<rdf:Description {ns} Iptc4xmpExt:DataMining='DMI-ALLOWED'/>")
    assert scan_bytes(_jpeg_with_packet(reserve), source="r.jpg").state("tdm") == "reserved"
    allowed = scan_bytes(_jpeg_with_packet(allow), source="a.jpg")
    assert allowed.state("tdm") == "not-reserved"
    assert "iptc-data-mining.permission-not-counted" in [p.code for p in allowed.problems]


def test_see_constraint_shows_the_constraint_text(tmp_path: Path) -> None:
    path = with_xmp(
        tmp_path,
        "a.webp",
        data_mining(VOCAB + "DMI-PROHIBITED-SEECONSTRAINT"),
        "-XMP-plus:OtherConstraints=Mining allowed for research with a licence from the owner",
    )
    result = scan_path(path)
    assert result.state("ai-train") == "reserved"
    constraint = [f for f in result.findings if f.key == "other-constraints"]
    assert constraint[0].value == "Mining allowed for research with a licence from the owner"


def test_see_linked_rights_expression_is_evidence() -> None:
    ns = "xmlns:Iptc4xmpExt='http://iptc.org/std/Iptc4xmpExt/2008-02-29/'"
    packet = xmp_packet(
        f"<rdf:Description {PLUS_NS} {ns} "
        f"plus:DataMining='{VOCAB}DMI-PROHIBITED-SEELINKEDRIGHTSEXPR'>"
        "<Iptc4xmpExt:LinkedEncRightsExpr><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        "<Iptc4xmpExt:LinkedRightsExpr>https://example.com/rights.odrl</Iptc4xmpExt:LinkedRightsExpr>"
        "</rdf:li></rdf:Bag></Iptc4xmpExt:LinkedEncRightsExpr></rdf:Description>"
    )
    result = scan_bytes(_jpeg_with_packet(packet), source="l.jpg")
    assert result.state("tdm") == "reserved"
    assert "https://example.com/rights.odrl" in " ".join(f.value for f in result.findings)


@pytest.mark.parametrize(("value", "state"), [("1", "reserved"), ("0", "permitted")])
def test_tdm_reservation_values(tmp_path: Path, value: str, state: str) -> None:
    result = scan_path(with_xmp(tmp_path, "a.tif", f"-XMP-tdm:reservation={value}"))
    assert result.state("tdm") == state
    assert result.state("ai-train") == state


@pytest.mark.parametrize("value", ["2", "yes", "true", ""])
def test_tdm_reservation_protocol_error_is_unset(tmp_path: Path, value: str) -> None:
    packet = xmp_packet(
        "<rdf:Description xmlns:tdm='http://www.w3.org/ns/tdmrep/'>"
        f"<tdm:reservation>{value}</tdm:reservation></rdf:Description>"
    )
    result = scan_bytes(_jpeg_with_packet(packet), source="t.jpg")
    assert result.state("tdm") == "not-reserved"
    assert not result.findings
    assert "xmp-tdmrep.invalid-value" in [p.code for p in result.problems]


def test_tdm_policy_without_reservation_is_ignored(tmp_path: Path) -> None:
    result = scan_path(
        with_xmp(tmp_path, "a.pdf", "-XMP-tdm:reservation=0", "-XMP-tdm:policy=https://e.com/p")
    )
    assert [f.key for f in result.findings] == ["tdm-reservation"]


def test_tdm_hash_namespace_reserves_but_never_permits() -> None:
    ns = "xmlns:tdm='http://www.w3.org/ns/tdmrep#'"
    one = scan_bytes(
        _jpeg_with_packet(xmp_packet(f"<rdf:Description {ns} tdm:reservation='1'/>")), source="1"
    )
    zero = scan_bytes(
        _jpeg_with_packet(xmp_packet(f"<rdf:Description {ns} tdm:reservation='0'/>")), source="0"
    )
    assert one.state("tdm") == "reserved"
    assert zero.state("tdm") == "not-reserved"
    assert "xmp-tdmrep.namespace" in [p.code for p in zero.problems]


def test_data_mining_code_doctest_cases() -> None:
    assert data_mining_code(VOCAB + "DMI-UNSPECIFIED") == "DMI-UNSPECIFIED"
    assert data_mining_code("") is None


def _jpeg_with_packet(packet: bytes) -> bytes:
    """Return a minimal JPEG (SOI, APP1 XMP, EOI) holding *packet*."""
    body = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    return b"\xff\xd8\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body + b"\xff\xd9"
