"""Report renderers: pure functions from site reports to text."""
