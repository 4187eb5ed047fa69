"""The benchmark suite (``make bench``, ``python -m bench``): see docs/benchmarks.md."""
