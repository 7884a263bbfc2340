"""Per-thread engine state: grad mode, the active recorder and the scope path."""

from __future__ import annotations

import threading


class _State(threading.local):
    grad_enabled: bool = True
    recorder = None  # core.graph.Recorder while recording, else None

    scope_path = ""  # dotted names of the enclosing core.graph.scope blocks


state = _State()
