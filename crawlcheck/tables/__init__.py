"""Tables in and out: URL lists, CSV/TSV, JSON Lines and Parquet for ``filter``; the Arrow
batch API for pipelines (docs/pipelines.md)."""
