"""Test support shared by the integration suites (not shipped)."""
