"""Ready steps for dataset pipelines, each an optional extra (docs/pipelines.md).

* :mod:`crawlcheck.pipelines.datatrove` — ``CrawlcheckFilter``, a datatrove filter step
  (``pip install crawlcheck[datatrove]``);
* :mod:`crawlcheck.pipelines.huggingface` — ``UrlPredicate``, a batched predicate for
  Hugging Face ``Dataset.filter`` (``pip install crawlcheck[datasets]``).

Both decide through :func:`crawlcheck.tables.batch.decide_rows` and open their checker in
the process that runs them: they pickle as their settings, never as an open cache.
"""
