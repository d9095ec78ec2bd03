"""Shared test helpers (a package, imported as ``helpers.<module>``; conftest holds fixtures only)."""
