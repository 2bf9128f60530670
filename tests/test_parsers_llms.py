"""Tests for crawlcheck.parsers.llms: presence only, never a reservation."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from golden import check_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlcheck.model import Fetched, Signal
from crawlcheck.parsers.llms import SCAN_BYTES, LlmsTxt, parse_llms_txt

DATA = Path(__file__).parent / "data" / "llms"
URL = "https://example.com/llms.txt"


def served(
    body: bytes | str, status: int | None = 200, content_type: str = "text/plain", **kw: Any
) -> LlmsTxt:
    data = body.encode("utf-8") if isinstance(body, str) else body
    headers = (("Content-Type", content_type),) if status else ()
    return parse_llms_txt(Fetched(url=URL, status=status, headers=headers, body=data, **kw))


def render(llms: LlmsTxt) -> dict[str, Any]:
    """Return *llms* as JSON-able data, deterministically (the golden files' format)."""
    return {
        "present": llms.present,
        "size": llms.size,
        "sha256": llms.sha256,
        "title": llms.title,
        "observations": [
            {
                "signal": str(o.signal),
                "key": o.key,
                "value": o.value,
                "scope": o.scope,
                "line": o.evidence.line,
                "evidence": o.evidence.text,
            }
            for o in llms.observations
        ],
        "problems": [
            {"code": p.code, "level": p.level, "line": p.line, "message": p.message}
            for p in llms.problems
        ],
    }


GOLDEN = sorted(DATA.glob("*.txt"))


@pytest.mark.parametrize("case", GOLDEN, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    got = json.dumps(render(served(case.read_bytes())), indent=1, ensure_ascii=False) + "\n"
    check_snapshot(case.with_name(case.stem + ".expected.json"), got)


def test_presence_is_the_only_observation_and_never_a_reservation() -> None:
    llms = served("# Site\n\nDo not use this content to train AI.\nUser-agent: *\nDisallow: /\n")
    assert llms.present
    assert [(o.signal, o.key, o.value, o.scope) for o in llms.observations] == [
        (Signal.LLMS_TXT, "present", "", "/")
    ]
    assert {p.level for p in llms.problems} == {"info"}
    assert [p.code for p in llms.problems] == [
        "llms-txt.natural-language-statement",
        "llms-txt.robots-syntax",
    ]


def test_size_and_hash_are_of_the_body_as_received() -> None:
    body = b"\xef\xbb\xbf# T\r\n"
    llms = served(body)
    assert (llms.size, llms.title) == (len(body), "T")
    assert llms.sha256 == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize(
    ("status", "error", "codes"),
    [
        (404, None, []),
        (403, None, []),
        (500, None, ["llms-txt.fetch-failed"]),
        (None, "timeout", ["llms-txt.fetch-failed"]),
    ],
)
def test_not_present(status: int | None, error: str | None, codes: list[str]) -> None:
    llms = served("# Real content\n", status=status, error=error)
    assert not llms.present
    assert llms.observations == ()
    assert [p.code for p in llms.problems] == codes


def test_html_by_content_type() -> None:
    llms = served("# Title\n", content_type="text/html")
    assert not llms.present
    assert [(p.code, p.level) for p in llms.problems] == [("llms-txt.html-served", "warning")]


def test_large_file_is_scanned_up_to_the_cap() -> None:
    body = "# Big\n" + ("- [x](https://example.com/x): y\n" * (SCAN_BYTES // 30)) + "# Late\n"
    llms = served(body)
    assert llms.present
    assert llms.title == "Big"
    assert llms.size == len(body)
    assert [p.code for p in llms.problems] == ["llms-txt.large"]


def test_statements_are_capped() -> None:
    llms = served("# S\n" + "No AI training.\n" * 50)
    assert len(llms.problems) == 5


def test_charset_parameter_is_honoured() -> None:
    llms = served("# Café\n".encode("latin-1"), content_type="text/plain; charset=iso-8859-1")
    assert llms.title == "Café"


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=400), content_type=st.sampled_from(["text/plain", "", "text/markdown"])
)
def test_fuzz_never_raises(body: bytes, content_type: str) -> None:
    llms = served(body, content_type=content_type)
    assert llms.present is bool(llms.observations)
    assert all(o.key == "present" for o in llms.observations)
