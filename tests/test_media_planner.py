"""The bounded-read planner: only the bytes needed, the same answer as reading everything."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_support import (
    VOCAB,
    data_mining,
    exiftool,
    png_move_text_after_idat,
    with_xmp,
)

from crawlcheck.media import ByteView, Limits, MediaResult, NeedRange, drive, plan, scan_bytes
from crawlcheck.media.view import ByteRange, NeedBytes, Truncated
from crawlcheck.ruleset import load_ruleset

RULES = load_ruleset()
#: Read everything at once: the reference answer.
WHOLE = Limits(first_read=1 << 30)
#: Tiny reads: many rounds, each exactly what the planner asked for (plus 256 bytes).
TINY = Limits(first_read=1024, min_read=256)


def test_byte_view_merges_and_reads() -> None:
    data = bytes(range(100))
    view = ByteView(size=100).with_bytes(0, data[:10]).with_bytes(20, data[20:30])
    assert view.get(5, 15) is None
    view = view.with_bytes(5, data[5:25])  # bridges both spans
    assert view.spans == ((0, data[:30]),)
    assert view.read(3, 8, "x") == data[3:8]
    with pytest.raises(NeedBytes) as need:
        view.read(20, 40, "more")
    assert need.value.wanted == ByteRange(start=20, end=40, reason="more")
    with pytest.raises(Truncated):
        view.read(90, 120, "past the end")
    assert not view.complete
    assert ByteView.whole(b"xyz").complete


def _summary(result: MediaResult) -> tuple[object, ...]:
    return (
        result.media_type,
        tuple((f.signal, f.key, f.value, f.effect) for f in result.findings),
        tuple((p.code, p.level) for p in result.problems),
        result.states(),
    )


@pytest.mark.parametrize("name", ["a.jpg", "a.png", "a.webp", "a.tif", "a.gif", "a.pdf"])
def test_small_reads_give_the_same_answer(tmp_path: Path, name: str) -> None:
    path = with_xmp(
        tmp_path, name, data_mining(VOCAB + "DMI-PROHIBITED"), "-XMP-tdm:reservation=1", noise=True
    )
    data = path.read_bytes()
    whole = scan_bytes(data, source=name, limits=WHOLE)
    tiny = scan_bytes(data, source=name, limits=TINY)
    assert _summary(tiny) == _summary(whole)
    assert whole.state("tdm") == "reserved"


def test_large_jpeg_needs_only_its_head(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    from PIL import Image

    Image.effect_noise((1500, 1000), 80).convert("RGB").save(path, "JPEG", quality=95)
    exiftool(path, data_mining(VOCAB + "DMI-PROHIBITED-AIMLTRAINING"))
    data = path.read_bytes()
    result = scan_bytes(data, source="big.jpg", limits=Limits(first_read=16 * 1024))
    assert result.state("ai-train") == "reserved"
    assert result.bytes_read <= 16 * 1024 < len(data) // 20


def test_png_text_after_idat_is_requested(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "big.png"
    Image.effect_noise((600, 400), 80).convert("RGB").save(path, "PNG")
    exiftool(path, data_mining(VOCAB + "DMI-PROHIBITED-GENAIMLTRAINING"))
    data = png_move_text_after_idat(path.read_bytes())
    view = ByteView(size=len(data)).with_bytes(0, data[:4096])
    requests = []
    for _ in range(100):
        outcome = plan(view, source="late.png", ruleset=RULES)
        if not isinstance(outcome, NeedRange):
            break
        wanted = outcome.range
        requests.append(wanted)
        view = view.with_bytes(wanted.start, data[wanted.start : wanted.end])
    assert isinstance(outcome, MediaResult)
    assert outcome.state("ai-train") == "reserved"
    assert all(r.reason.startswith("PNG") for r in requests)
    assert outcome.bytes_read < len(data) // 4  # chunk headers, not the image data


def test_budget_exceeded_is_unknown(tmp_path: Path) -> None:
    path = with_xmp(tmp_path, "a.png", data_mining(VOCAB + "DMI-ALLOWED"), noise=True)
    data = png_move_text_after_idat(path.read_bytes())
    result = scan_bytes(data, source="p.png", limits=Limits(budget=200, first_read=100))
    assert set(result.states().values()) == {"unknown"}
    assert "media.budget" in [p.code for p in result.problems]


def test_pdf_reads_its_tail_not_its_middle(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "big.pdf"
    Image.effect_noise((1200, 900), 80).convert("RGB").save(path, "PDF")
    exiftool(path, data_mining(VOCAB + "DMI-PROHIBITED"))
    data = path.read_bytes()
    result = scan_bytes(data, source="big.pdf", limits=Limits(first_read=16 * 1024))
    assert result.state("tdm") == "reserved"
    assert result.bytes_read < len(data) // 4


def test_unknown_size_stream(tmp_path: Path) -> None:
    data = with_xmp(tmp_path, "a.webp", data_mining(VOCAB + "DMI-PROHIBITED")).read_bytes()

    def read(start: int, end: int) -> bytes:
        return data[start:end]

    result = drive(read, None, source="stream.webp", limits=Limits(first_read=512, min_read=128))
    assert result.state("tdm") == "reserved"


def test_a_file_that_is_not_media() -> None:
    result = scan_bytes(b"hello, world\n" * 100, source="notes.txt")
    assert result.media_type == ""
    assert [p.code for p in result.problems] == ["media.unsupported"]
    assert result.bytes_read == 1300
