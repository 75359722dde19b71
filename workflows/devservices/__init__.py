"""Throwaway local services for laptops, tests and benchmarks (PostgreSQL, sample API)."""
