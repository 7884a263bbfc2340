"""Per-thread engine state: grad mode, the active recorder and the scope stack."""

from __future__ import annotations

import threading


class _State(threading.local):
    grad_enabled: bool = True
    recorder = None  # core.graph.Recorder while recording, else None

    def __init__(self) -> None:
        self.scopes: list[str] = []
        self.scope_path = ""


state = _State()
