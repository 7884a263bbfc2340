"""TrainControl: pause, resume and stop a run from another thread."""

from __future__ import annotations

import threading


class TrainControl:
    """Thread-safe requests to a running trainer, honoured between steps.

    ``pause()`` makes the trainer block (on a condition, not a polling loop) before its
    next step until ``resume()`` or ``stop()``; ``stop()`` ends the run after the current
    step (the result has ``stopped=True``; with an out_dir, a checkpoint to resume from is
    written). ``wait_paused(timeout)`` returns once the trainer actually blocks.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pause = False
        self._stop = False
        self._blocked = False  # the trainer is waiting in checkpoint()
        self._blocked_event = threading.Event()

    # -- requests (any thread) -----------------------------------------------------------
    def pause(self) -> None:
        """Ask the trainer to block before its next step (ignored once stopped)."""
        with self._cond:
            if not self._stop:
                self._pause = True

    def resume(self) -> None:
        """Let a paused trainer go on."""
        with self._cond:
            self._pause = False
            self._cond.notify_all()

    def stop(self) -> None:
        """End the run after the current step (also ends a pause)."""
        with self._cond:
            self._stop = True
            self._pause = False
            self._cond.notify_all()

    def reset(self) -> None:
        """Clear all requests (to reuse the control for another run)."""
        with self._cond:
            self._pause = self._stop = False
            self._cond.notify_all()

    # -- state -----------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        """A pause was requested (and not yet resumed)."""
        return self._pause

    @property
    def stopped(self) -> bool:
        """A stop was requested."""
        return self._stop

    @property
    def blocked(self) -> bool:
        """The trainer is waiting in a pause right now."""
        return self._blocked

    def wait_paused(self, timeout: float | None = None) -> bool:
        """Wait until the trainer blocks in a pause; False on timeout."""
        return self._blocked_event.wait(timeout)

    # -- the trainer's side -------------------------------------------------------------------
    def checkpoint(self) -> bool:
        """Block while paused; return True if the run should stop."""
        if not (self._pause or self._stop):  # the common case: no lock taken
            return False
        with self._cond:
            if self._pause and not self._stop:
                self._blocked = True
                self._blocked_event.set()
                try:
                    while self._pause and not self._stop:
                        self._cond.wait()
                finally:
                    self._blocked = False
                    self._blocked_event.clear()
            return self._stop

    def __repr__(self) -> str:
        state = "stopped" if self._stop else "paused" if self._pause else "running"
        return f"<TrainControl {state}>"
