"""C2PA / CAWG training-and-data-mining: real published files and manifests signed in set-up."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from media_support import SigningChain, jpeg_bytes, make_chain, sign_asset, training_mining

from crawlcheck.media import Limits, manifest_links, scan_bytes, scan_path
from crawlcheck.media.c2pa import read_c2pa
from crawlcheck.model import Effect


@pytest.fixture(scope="module")
def chain() -> SigningChain:
    return make_chain()


def _signed(
    chain: SigningChain, entries: dict[str, object], label: str = "cawg.training-mining"
) -> bytes:
    signed, _ = sign_asset(chain, jpeg_bytes(), "image/jpeg", [training_mining(entries, label)])
    return signed


def test_real_adobe_file_allows_but_its_manifest_is_invalid(shared_data: Path) -> None:
    path = shared_data / "media/c2pa/contentauth_c2pa-rs__adobe_connected_identities.jpg"
    result = scan_path(path)
    assert result.c2pa == "invalid"
    entries = {(f.key, f.value) for f in result.findings}
    assert entries == {
        ("cawg.ai_inference", "allowed"),
        ("cawg.ai_generative_training", "allowed"),
        ("c2pa.ai_inference", "allowed"),
        ("c2pa.ai_generative_training", "allowed"),
    }
    # A permission counts only from a valid manifest: nothing is permitted here.
    assert all(f.effect is Effect.INFO for f in result.findings)
    assert "permitted" not in result.states().values()
    assert "signer: Adobe C2PA Stage" in result.findings[0].evidence


def test_real_file_with_manifest_without_assertion(shared_data: Path) -> None:
    result = scan_path(shared_data / "media/c2pa/contentauth_c2pa-rs__CA.jpg")
    assert result.c2pa == "valid-untrusted"
    assert not result.findings
    assert set(result.states().values()) == {"not-reserved"}


def test_real_file_without_manifest(shared_data: Path) -> None:
    result = scan_path(shared_data / "media/c2pa/contentauth_c2pa-rs__no_manifest.jpg")
    assert result.c2pa == "absent"
    assert result.bytes_read < result.size  # no manifest: the rest of the file is not read


def test_not_allowed_reserves_whatever_the_trust(chain: SigningChain) -> None:
    data = _signed(chain, {"cawg.ai_generative_training": {"use": "notAllowed"}})
    untrusted = scan_bytes(data, source="s.jpg")
    trusted = scan_bytes(data, source="s.jpg", trust_anchors=chain.root_pem.decode())
    assert untrusted.c2pa == "valid-untrusted"
    assert trusted.c2pa == "valid"
    for result in (untrusted, trusted):
        assert result.state("ai-train") == "reserved"
        assert result.findings[0].purposes == ("ai-train",)


def test_allowed_counts_only_from_a_trusted_valid_manifest(chain: SigningChain) -> None:
    data = _signed(
        chain, {"cawg.ai_inference": {"use": "allowed"}, "cawg.data_mining": {"use": "allowed"}}
    )
    untrusted = scan_bytes(data, source="s.jpg")
    assert untrusted.state("ai-input") == "not-reserved"
    assert untrusted.state("tdm") == "not-reserved"
    trusted = scan_bytes(data, source="s.jpg", trust_anchors=chain.root_pem.decode())
    assert trusted.state("ai-input") == "permitted"
    assert trusted.state("tdm") == "permitted"


def test_constrained_is_not_allowed(chain: SigningChain) -> None:
    data = _signed(chain, {"cawg.ai_training": {"use": "constrained", "constraint_info": "ask us"}})
    result = scan_bytes(data, source="s.jpg")
    assert result.state("ai-train") == "reserved"
    assert '"constraint_info": "ask us"' in result.findings[0].evidence


def test_generative_only_permission_is_not_all_training(chain: SigningChain) -> None:
    trust = chain.root_pem.decode()
    only = _signed(chain, {"cawg.ai_generative_training": {"use": "allowed"}})
    assert scan_bytes(only, source="g.jpg", trust_anchors=trust).state("ai-train") == "not-reserved"
    both = _signed(
        chain,
        {"cawg.ai_generative_training": {"use": "allowed"}, "cawg.ai_training": {"use": "allowed"}},
    )
    result = scan_bytes(both, source="b.jpg", trust_anchors=trust)
    assert result.state("ai-train") == "permitted"
    assert "ai_training+ai_generative_training" in [f.key for f in result.findings]


def test_legacy_c2pa_labels(chain: SigningChain) -> None:
    data = _signed(chain, {"c2pa.ai_training": {"use": "notAllowed"}}, label="c2pa.training-mining")
    result = scan_bytes(data, source="l.jpg")
    assert result.state("ai-train") == "reserved"
    assert "assertion c2pa.training-mining" in result.findings[0].evidence


def test_unknown_use_is_unknown(chain: SigningChain) -> None:
    data = _signed(chain, {"cawg.ai_training": {"use": "maybe"}})
    result = scan_bytes(data, source="u.jpg", trust_anchors=chain.root_pem.decode())
    assert result.state("ai-train") == "unknown"
    assert "c2pa.unknown-use" in [p.code for p in result.problems]


def test_tampered_asset_is_invalid_and_still_reserves(chain: SigningChain) -> None:
    data = bytearray(
        _signed(
            chain,
            {"cawg.ai_training": {"use": "notAllowed"}, "cawg.ai_inference": {"use": "allowed"}},
        )
    )
    data[-10] ^= 0xFF  # inside the image data, covered by the manifest's hash
    result = scan_bytes(bytes(data), source="t.jpg", trust_anchors=chain.root_pem.decode())
    assert result.c2pa == "invalid"
    assert result.state("ai-train") == "reserved"
    assert result.state("ai-input") == "not-reserved"
    assert "c2pa-training-mining.permission-not-counted" in [p.code for p in result.problems]


def test_remote_manifest_bytes_validate_against_the_asset(chain: SigningChain) -> None:
    asset = jpeg_bytes()
    signed, store = sign_asset(
        chain,
        asset,
        "image/jpeg",
        [training_mining({"cawg.ai_training": {"use": "notAllowed"}})],
        embed=False,
    )
    facts = read_c2pa(signed, "image/jpeg", source="r.jpg", scope="file", remote_manifest=store)
    assert facts.state in ("valid-untrusted", "valid")
    assert [s.observation.key for s in facts.statements] == ["cawg.ai_training"]
    alone = read_c2pa(signed, "image/jpeg", source="r.jpg", scope="file")
    assert alone.state == "absent"


def test_link_header_names_the_remote_manifest() -> None:
    headers = [
        ("Content-Type", "image/jpeg"),
        ("Link", '</m/1.c2pa>; rel="c2pa-manifest", <https://e.com/lic>; rel="license"'),
        ("link", "<https://cdn.e.com/x.c2pa>; rel=C2PA-Manifest"),
    ]
    assert manifest_links(headers, "https://e.com/img/a.jpg") == (
        "https://e.com/m/1.c2pa",
        "https://cdn.e.com/x.c2pa",
    )


def test_without_the_sdk_xmp_still_works_and_c2pa_is_unknown(
    chain: SigningChain, tmp_path: Path, shared_data: Path
) -> None:
    signed = tmp_path / "signed.jpg"
    signed.write_bytes(_signed(chain, {"cawg.ai_training": {"use": "allowed"}}))
    iptc = shared_data / "media/iptc_images/sinfin_folio__IPTC-PhotometadataRef-Std2023.1.jpg"
    code = (
        "import sys; sys.modules['c2pa'] = None\n"  # as if crawlcheck[media] were not installed
        "from crawlcheck.media import scan_path\n"
        f"a = scan_path({str(signed)!r}); b = scan_path({str(iptc)!r})\n"
        "print(a.c2pa, a.state('ai-train'), [p.message for p in a.problems])\n"
        "print(b.state('ai-train'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    assert out[0].startswith("not-installed unknown")
    assert "install crawlcheck[media]" in out[0]
    assert out[1] == "reserved"


@pytest.mark.parametrize("media_type", ["image/jpeg", "image/png"])
def test_when_needed_reads_only_the_manifest_of_a_reservation(
    chain: SigningChain, media_type: str
) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((800, 600), 60).convert("RGB").save(buffer, media_type.split("/")[1].upper())
    reserve, _ = sign_asset(
        chain,
        buffer.getvalue(),
        media_type,
        [training_mining({"cawg.ai_generative_training": {"use": "notAllowed"}})],
    )
    limits = Limits(first_read=16 * 1024, c2pa_validation="when-needed")
    result = scan_bytes(reserve, source="r", limits=limits)
    assert result.c2pa == "unvalidated"
    assert result.state("ai-train") == "reserved"
    assert result.bytes_read < len(reserve) // 4
    assert "not validated" in result.findings[0].evidence
    permit, _ = sign_asset(
        chain,
        buffer.getvalue(),
        media_type,
        [training_mining({"cawg.ai_inference": {"use": "allowed"}})],
    )
    trust = chain.root_pem.decode()
    result = scan_bytes(permit, source="p", limits=limits, trust_anchors=trust)
    assert result.c2pa == "valid"  # a permission needs the whole file validated
    assert result.state("ai-input") == "permitted"
    assert result.bytes_read == len(permit)
