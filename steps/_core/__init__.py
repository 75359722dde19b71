"""Code shared by every step: errors, logging, settings, Parquet I/O, HTTP and DB access.

Modules here import only what they need, so that a step process starts fast.
"""
