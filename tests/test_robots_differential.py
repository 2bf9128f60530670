"""Differential test against Protego: every disagreement belongs to a documented class."""

from __future__ import annotations

from itertools import islice

from robots_differential import run
from test_robots_corpus import corpus_files

#: The classes docs/signals/robots.md explains, with who is right in each.
DOCUMENTED = {
    "byte-order-mark",
    "implicit-robots-txt",
    "other-record-ends-group",
    "agent-value-with-other-characters",
    "agent-matching",
    "percent-encoding",
    "index-html",
    "wildcards",
    "line-syntax",
}


def test_every_disagreement_with_protego_is_documented() -> None:
    total, counts, found = run(islice(corpus_files(), 1200))
    assert total == 1200
    unexplained = [d for d in found if d.kind not in DOCUMENTED]
    assert not unexplained, unexplained[:5]
    # The run must actually exercise the known classes, or it proves nothing.
    assert counts["byte-order-mark"] > 0
    assert counts["other-record-ends-group"] > 0
