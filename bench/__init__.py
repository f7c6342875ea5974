"""Reproducible benchmarks: each script prints a table; `python -m bench.run` runs them all."""
