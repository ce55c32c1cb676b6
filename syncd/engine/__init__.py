"""The engine: pure planning, and the workers and passes that wire journal and B2.

Imports the adapters (``syncd.b2``, ``syncd.journal``, ``syncd.watch``) and the layers
below them; never ``syncd.app`` or above.
"""
