"""``site_from_dict``: a ``crawlcheck.report/1`` site object read back into a SiteReport."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawlcheck.report.document import site_from_dict, site_to_dict

SAMPLE = Path(__file__).parent / "data" / "reports" / "sample.jsonl"


def _samples() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("data", _samples(), ids=lambda d: d["site"])
def test_reading_undoes_writing(data: dict[str, Any]) -> None:
    report = site_from_dict(data)
    assert site_to_dict(report) == data
    assert site_from_dict(site_to_dict(report)) == report


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("origin"), r"site\.origin: missing"),
        (lambda d: d.update(verdicts={"ai-train": "maybe"}), "maybe"),
        (lambda d: d.update(findings=[1]), r"findings\[\]: expected an object"),
        (lambda d: d["fetches"][0].update(status="200"), r"fetches\[\]\.status: expected"),
        (lambda d: d.update(inputs="x"), r"inputs: expected a list"),
    ],
)
def test_a_wrong_shape_is_a_value_error_naming_the_key(change: Any, message: str) -> None:
    data = _samples()[0]
    change(data)
    with pytest.raises(ValueError, match=message):
        site_from_dict(data)


def test_not_an_object_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="expected an object"):
        site_from_dict([])


def test_the_media_sample_is_read_back() -> None:
    data = _samples()[0]
    data["media_sampled"] = [
        {
            "url": "https://cdn.example/a.jpg",
            "found_on": "https://example.com/",
            "how": "img",
            "media_type": "image/jpeg",
            "content_type": "image/jpeg",
            "status": 206,
            "error": None,
            "size": 2179805,
            "bytes_fetched": 16384,
            "requests": 1,
            "states": {"tdm": "not-reserved", "ai-train": "reserved"},
            "c2pa": "absent",
            "skipped": "",
            "problems": [],
        }
    ]
    report = site_from_dict(data)
    assert report.media[0].state("ai-train") == "reserved"
    assert site_to_dict(report) == data
    data["media_sampled"][0]["bytes_fetched"] = "16384"
    with pytest.raises(ValueError, match=r"media_sampled\[\]\.bytes_fetched: expected"):
        site_from_dict(data)
