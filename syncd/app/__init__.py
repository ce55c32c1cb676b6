"""The composition root: the one place that builds syncd's parts and wires them.

``build`` turns a Config into an ``App``; ``Runtime`` adds the daemon's watcher and
scheduler; ``lock_state`` is the instance lock. Clock, randomness and the HTTP client
are built here and passed down; nothing below builds its own.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.app.build import App, build, lock_state
    from syncd.app.runtime import Runtime

__all__ = ["App", "Runtime", "build", "lock_state"]


_HOMES = {"App": "build", "build": "build", "lock_state": "build", "Runtime": "runtime"}


def __getattr__(name: str) -> Any:
    """Load the heavy parts on first use, so ``syncd.app.status`` starts fast."""
    if name not in _HOMES:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"syncd.app.{_HOMES[name]}"), name)
