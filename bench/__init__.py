"""Benchmarks: each module prints ratios against a baseline run side by side."""
