"""The engine: pure planning, and the workers and passes that wire the journal and a
remote store.

It reaches remote storage only through the ``RemoteStore`` port (``engine.ports``) and
the plain values of ``syncd.remote``: import-linter forbids ``syncd.b2`` here, so the
S3-compatible backend can plug in without touching the engine. The layer rules live
in pyproject.toml (import-linter), not in module docstrings.
"""
