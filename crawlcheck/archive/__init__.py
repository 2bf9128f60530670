"""Web archives in and evidence archives out: WARC/ARC captures, time, and the writer.

Needs the ``archive`` extra (FastWARC, warcio); every entry point says so when missing.
docs/archives.md is the reference: what is read, truncation and revisit rules, how a
capture is chosen for a time (the freshness window), and what the writer records.
"""
