"""Synthetic data at province scale, for benchmarks (issue: scale).

Its own app because it writes every other app's tables: it sits above all of them in the
dependency order and nothing imports it.
"""
