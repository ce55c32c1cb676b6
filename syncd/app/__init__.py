"""The composition root: the one place that builds syncd's parts and wires them.

``build.build`` turns a Config into an ``App``; ``runtime.Runtime`` adds the daemon's
watcher and scheduler; ``build.lock_state`` is the instance lock. Clock, randomness and
the HTTP client are built here and passed down; nothing below builds its own. Import
from the modules: this package imports nothing, so ``syncd status`` (``app.status``)
does not load the B2 client, the watcher and the scheduler.
"""
