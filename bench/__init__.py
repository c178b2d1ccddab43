"""Benchmarks (make bench) and the production-topology launcher they share with the end-to-end tests."""
