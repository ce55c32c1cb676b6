"""The composition root: the one place that builds syncd's parts and wires them.

``build`` turns a Config into an ``App``; ``Runtime`` adds the daemon's watcher and
scheduler; ``lock_state`` is the instance lock. Clock, randomness and the HTTP client
are built here and passed down; nothing below builds its own.
"""

from syncd.app.build import App, build, lock_state
from syncd.app.runtime import Runtime

__all__ = ["App", "Runtime", "build", "lock_state"]
