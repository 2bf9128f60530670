"""Differential test against Protego: every disagreement has a documented cause, per decision."""

from __future__ import annotations

from itertools import islice

from robots_differential import NOT_GOOGLE, UNEXPLAINED, File, cause, compare, run
from test_robots_corpus import corpus_files

#: The causes docs/signals/robots.md explains, with who is right in each ("a+b": both).
DOCUMENTED = {
    "byte-order-mark",
    "implicit-robots-txt",
    "other-record-ends-group",
    "agent-value-with-other-characters",
    "agent-matching",
    "index-html",
}


def _documented(kind: str) -> bool:
    return all(part in DOCUMENTED for part in kind.split("+"))


def test_every_disagreement_with_protego_has_a_documented_cause() -> None:
    total, counts, found = run(islice(corpus_files(), 1200))
    assert total == 1200
    unexplained = [d for d in found if not _documented(d.kind)]
    assert not unexplained, unexplained[:5]
    # The run must actually exercise the causes, or it proves nothing.
    assert {"byte-order-mark", "implicit-robots-txt", "other-record-ends-group"} <= set(counts)


def test_a_wrong_answer_is_never_filed_as_documented() -> None:
    """Each disagreement, with crawlcheck's answer turned round, finds no documented cause."""
    checked = 0
    for name, body in islice(corpus_files(), 300):
        file = File(name, body)
        for disagreement in compare(name, body):
            url = "https://example.com" + disagreement.url
            # As if crawlcheck had answered as Protego: the reference says otherwise.
            wrong = cause(file, disagreement.agent, url, disagreement.protego, disagreement.ours)
            assert wrong == NOT_GOOGLE, disagreement
            checked += 1
    assert checked > 100


def test_a_disagreement_without_a_documented_feature_is_unexplained() -> None:
    """A plain file offers no documented cause: a matching regression there stays unexplained."""
    body = b"User-agent: GPTBot\nDisallow: /\n"
    file = File("inline", body)
    # Protego and crawlcheck agree here; claim a disagreement to see what the causes say.
    assert cause(file, "GPTBot", "https://example.com/a", False, True) == UNEXPLAINED
