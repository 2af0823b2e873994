"""Worker processes end with the server that started them, even when it is killed (kill -9, the
kernel's OOM killer): a pool's workers otherwise block on their task queue forever under PID 1,
each holding a model or a signing key, and keep multiprocessing's resource tracker alive too
(it exits once every process holding its pipe is gone).

`exit_with_parent` runs first in each worker's initializer. A daemon thread waits on a pidfd of
the parent (Linux 5.3+), which becomes readable when the parent exits: no polling, no timer. Where
there is no pidfd it watches `os.getppid()` once a second. `prctl(PR_SET_PDEATHSIG)` is not used:
it fires when the *thread* that started the worker exits, and pool workers are started from
request threads that come and go.
"""

from __future__ import annotations

import os
import select
import threading
import time

#: seconds between looks at the parent's PID where there is no pidfd
POLL_S = 1.0


def exit_with_parent() -> None:
    """Make this process exit as soon as its parent does (call it first in a worker)."""
    parent = os.getppid()
    if parent == 1:  # the parent is already gone: this worker was orphaned while starting
        os._exit(0)
    watcher = threading.Thread(
        target=_watch, args=(parent,), name="limner-parent-watch", daemon=True
    )
    watcher.start()


def _watch(parent: int) -> None:
    pidfd = _open_pidfd(parent)
    if os.getppid() != parent:  # it died before the pidfd was open (its PID may be reused)
        os._exit(0)
    if pidfd is not None:
        select.select([pidfd], [], [])  # readable once the parent has exited
    else:
        while os.getppid() == parent:
            time.sleep(POLL_S)
    os._exit(0)  # no clean-up: the parent that would collect the results is gone


def _open_pidfd(pid: int) -> int | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except ProcessLookupError:
        os._exit(0)
    except OSError:  # an old kernel, or a sandbox that refuses the call
        return None
