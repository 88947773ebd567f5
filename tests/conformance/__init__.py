"""The suites every connector passes: see README.md in this folder."""
