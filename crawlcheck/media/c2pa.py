"""C2PA manifests: the CAWG / C2PA training-and-data-mining assertion, read by the official SDK.

Manifests are read and validated by ``c2pa-python`` (the C2PA reference SDK's binding,
MIT/Apache-2.0), never by a parser of our own; it is an optional extra
(``crawlcheck[media]``) imported only here, on first use. Network access is switched off:
no remote manifest fetch, no OCSP, no other host (``core.allowed_network_hosts: []``);
a remote manifest's bytes are handed in by the caller instead.

Only the active manifest counts (C2PA 2.1 §"Active manifest"). Its ``cawg.training-mining``
assertions (CAWG Training and Data Mining 1.1, entries under ``entries``; 1.0's flat map
too) and legacy ``c2pa.training-mining`` (C2PA 1.4 §18.12) become observations, one per
entry. Validation state is evidence: ``valid`` (the SDK's Trusted: signature, hashes and
signer's trust all check), ``valid-untrusted`` (the SDK's Valid: intact, signer not on a
trust list), ``invalid``. A reservation counts whatever the state (fail closed); a
permission counts only from a ``valid`` manifest.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crawlcheck.media.statements import Statement
from crawlcheck.model import Evidence, Observation, Problem, Signal
from crawlcheck.parsers.links import parse_link_header

#: Assertion labels read, newest first.
ASSERTIONS: tuple[str, ...] = ("cawg.training-mining", "c2pa.training-mining")
#: Values of an entry's ``use`` (CAWG 1.1 §"Assertion definition").
USES: frozenset[str] = frozenset({"allowed", "notallowed", "constrained"})
#: The ``rel`` of an HTTP Link header naming a remote manifest (C2PA 2.1 §"Remote manifests").
LINK_REL = "c2pa-manifest"
#: Install hint, the one line shown when the SDK is missing.
INSTALL_HINT = "c2pa support not installed: install crawlcheck[media]"

_STATES = {"trusted": "valid", "valid": "valid-untrusted", "invalid": "invalid"}
_DESCRIBE = {
    "valid": "valid, signer trusted",
    "valid-untrusted": "valid, signer not on a trust list",
    "invalid": "invalid",
    "unvalidated": "not validated (only the manifest was read)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class C2paFacts:
    """What the C2PA manifest of one file says, and how far it can be trusted."""

    state: str
    """``absent``, ``valid``, ``valid-untrusted``, ``invalid``, ``unvalidated`` (read without
    validation: it only reserves), ``unreadable``, ``remote`` (the manifest lives elsewhere
    and was not given), ``not-installed``."""
    statements: tuple[Statement, ...] = ()
    problems: tuple[Problem, ...] = ()
    signer: str = ""
    manifest: str = ""
    """Label of the active manifest."""
    failures: tuple[str, ...] = ()
    """Validation failure codes of the active manifest (``signingCredential.untrusted``…)."""


def sdk_available() -> bool:
    """Return True when the C2PA SDK (``c2pa-python``) can be imported."""
    try:
        import c2pa  # noqa: F401
    except ImportError:
        return False
    return True


def manifest_links(headers: Sequence[tuple[str, str]], base_url: str) -> tuple[str, ...]:
    """Return the remote-manifest URLs named by ``Link: <…>; rel="c2pa-manifest"`` headers.

    >>> manifest_links([("Link", '<m.c2pa>; rel="c2pa-manifest"')], "https://e.com/a/p.jpg")
    ('https://e.com/a/m.c2pa',)
    """
    found: list[str] = []
    for name, value in headers:
        if name.lower() != "link":
            continue
        for link in parse_link_header(value, base_url):
            if LINK_REL in link.rels:
                found.append(link.url)
    return tuple(dict.fromkeys(found))


def read_c2pa(
    data: bytes,
    media_type: str,
    *,
    source: str,
    scope: str,
    remote_manifest: bytes | None = None,
    trust_anchors: str | None = None,
    validate: bool = True,
) -> C2paFacts:
    """Return the training-and-data-mining statements of the asset's C2PA manifest.

    *data* is the whole asset (validation hashes all of it); *remote_manifest* the bytes of
    a manifest store served apart from it; *trust_anchors* PEM roots to trust besides the
    SDK's. ``validate=False`` reads the manifest without validating it (state
    ``unvalidated``): enough when it only reserves. Never raises on any content.
    """
    try:
        import c2pa
    except ImportError:
        return C2paFacts(
            state="not-installed",
            problems=(Problem(code="c2pa.not-installed", message=INSTALL_HINT, source=source),),
        )
    settings: dict[str, Any] = {
        "verify": {
            "remote_manifest_fetch": False,
            "ocsp_fetch": False,
            "verify_after_reading": validate,
        },
        "core": {"allowed_network_hosts": []},
    }
    if trust_anchors:
        settings["trust"] = {"user_anchors": trust_anchors}
    try:
        context = c2pa.Context.from_dict(settings)
        reader = c2pa.Reader(media_type or None, io.BytesIO(data), remote_manifest, context=context)
    except c2pa.C2paError.ManifestNotFound:
        return C2paFacts(state="absent")
    except Exception as exc:  # the SDK's typed errors, and anything odd input provokes
        message = str(exc) or type(exc).__name__
        remote = "remote" in message.lower()
        return C2paFacts(
            state="remote" if remote else "unreadable",
            problems=(
                Problem(
                    code="c2pa.remote-manifest" if remote else "c2pa.unreadable",
                    message=f"the C2PA manifest could not be read ({message}); "
                    "its statements are unknown",
                    source=source,
                    level="error",
                ),
            ),
        )
    try:
        with reader:
            return _facts(reader, source, scope, validate)
    except Exception as exc:
        return C2paFacts(
            state="unreadable",
            problems=(
                Problem(
                    code="c2pa.unreadable",
                    message=f"the C2PA manifest could not be read ({exc}); statements unknown",
                    source=source,
                    level="error",
                ),
            ),
        )


def _facts(reader: Any, source: str, scope: str, validate: bool) -> C2paFacts:
    state = _STATES.get(str(reader.get_validation_state() or "").lower(), "invalid")
    if not validate:
        state = "unvalidated"
    results = reader.get_validation_results() or {}
    active = results.get("activeManifest") or {}
    failures = (
        tuple(str(f.get("code", "")) for f in active.get("failure") or []) if validate else ()
    )
    manifest = reader.get_active_manifest() or {}
    label = str(manifest.get("label", ""))
    signature = manifest.get("signature_info") or {}
    signer = str(signature.get("common_name") or signature.get("issuer") or "")
    described = _DESCRIBE[state] + (f" ({', '.join(failures)})" if failures else "")
    statements: list[Statement] = []
    problems: list[Problem] = []
    for assertion in manifest.get("assertions") or []:
        name = str(assertion.get("label", ""))
        if name not in ASSERTIONS:
            continue
        where = (
            f"C2PA active manifest {label}, assertion {name} "
            f"(validation: {described}; signer: {signer or 'unknown'})"
        )
        entries = _entries(assertion.get("data"))
        if entries is None:
            problems.append(
                Problem(
                    code="c2pa.malformed-assertion",
                    message=f"{name} has no entries map; its statements are unknown",
                    source=source,
                    level="error",
                )
            )
            continue
        allowed: dict[str, dict[str, Any]] = {}
        for entry, body in entries.items():
            use = str(body.get("use", "")) if isinstance(body, dict) else ""
            text = f"{entry}: {json.dumps(body, ensure_ascii=False, sort_keys=True)}"
            if use.lower() not in USES:
                problems.append(
                    Problem(
                        code="c2pa.unknown-use",
                        message=f"{name} entry {entry} has use {use!r}, not allowed, notAllowed "
                        "or constrained; what it states is unknown",
                        source=source,
                        level="error",
                    )
                )
            elif use.lower() == "allowed":
                allowed[entry.split(".", 1)[-1]] = body
            statements.append(_statement(source, scope, where, entry, use, text, state))
        if "ai_training" in allowed and "ai_generative_training" in allowed:
            # Both kinds of training allowed: together they permit ai-train as a whole.
            text = "; ".join(
                f"{k}: {json.dumps(allowed[k], sort_keys=True)}"
                for k in ("ai_training", "ai_generative_training")
            )
            statements.append(
                _statement(
                    source,
                    scope,
                    where,
                    "ai_training+ai_generative_training",
                    "allowed",
                    text,
                    state,
                )
            )
    if state == "invalid":
        problems.append(
            Problem(
                code="c2pa.invalid",
                message=f"the C2PA manifest {label} did not validate ({', '.join(failures)}); "
                "its reservations count, its permissions do not",
                source=source,
            )
        )
    return C2paFacts(
        state=state,
        statements=tuple(statements),
        problems=tuple(problems),
        signer=signer,
        manifest=label,
        failures=failures,
    )


def _entries(data: object) -> dict[str, Any] | None:
    """Return the entry map of an assertion: 1.1's ``entries``, or 1.0's flat map."""
    if not isinstance(data, dict):
        return None
    entries = data.get("entries")
    if isinstance(entries, dict):
        return entries
    flat = {k: v for k, v in data.items() if isinstance(v, dict) and "use" in v}
    return flat or None


def _statement(
    source: str, scope: str, where: str, entry: str, use: str, text: str, state: str
) -> Statement:
    observation = Observation(
        signal=Signal.C2PA_TRAINING_MINING,
        key=entry,
        value=use,
        scope=scope,
        evidence=Evidence(source=source, text=text, where=where),
    )
    counts = state == "valid"
    return Statement(
        observation=observation,
        permission_counts=counts,
        why_not="" if counts else f"the manifest is {_DESCRIBE.get(state, state)}",
    )
