"""The app as ``ticketing serve`` runs it, once per worker process, with the garbage collector
set up for a process that holds thousands of long-lived objects.

Every open position stream keeps about a hundred objects alive (request, response, generators,
tasks, futures). CPython's full collection walks all of them, with the loop stopped: with
10,000 streams it took 450-860 ms, several times a minute under load, and every request of the
process waited that long (bench: sse, p99 of ordinary requests 0.8-1 s). So, once the app is
built: ``gc.freeze()`` takes what lives as long as the process (modules, the app, its routes
and schemas) out of every future collection, and a full collection waits for 1,000
collections of the middle generation instead of 10 (CPython also waits until the survivors
grew by a quarter). The young generations stay as they are. Same scenario after: longest
pause 120-150 ms, p99 0.2-0.27 s.
"""

from __future__ import annotations

import gc

from litestar import Litestar

from ticketing_entrypoints.bootstrap import create_app

MIDDLE_COLLECTIONS_PER_FULL = 1_000


def serving_app() -> Litestar:
    app = create_app()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, MIDDLE_COLLECTIONS_PER_FULL)
    return app
