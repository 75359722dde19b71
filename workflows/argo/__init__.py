"""Argo facts stated once, for the engine, the lint and the compiler to share."""
