"""Grad mode: no_grad, enable_grad, set_grad_enabled (thread-local, like PyTorch)."""

from __future__ import annotations

import functools
import inspect

from core._state import state


class _GradModeContext:
    """Context manager and decorator that sets grad mode and restores it."""

    _mode: bool

    def __enter__(self):
        self._prev = state.grad_enabled
        state.grad_enabled = self._mode
        return None

    def __exit__(self, *exc) -> None:
        state.grad_enabled = self._prev

    def __call__(self, fn):
        mode = self._mode
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                gen = fn(*args, **kwargs)
                prev = state.grad_enabled
                try:
                    state.grad_enabled = mode
                    value = next(gen)
                    while True:
                        state.grad_enabled = prev
                        sent = yield value
                        state.grad_enabled = mode
                        value = gen.send(sent)
                except StopIteration as stop:
                    return stop.value
                finally:
                    state.grad_enabled = prev

            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = state.grad_enabled
            state.grad_enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                state.grad_enabled = prev

        return wrapper


class _NoParamContext(_GradModeContext):
    """Also a bare decorator, like PyTorch's: ``@core.no_grad`` as well as ``@core.no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamContext):  # noqa: N801 - PyTorch's name
    """Disable graph building inside the block or decorated function."""

    _mode = False


class enable_grad(_NoParamContext):  # noqa: N801
    """Enable graph building inside the block or decorated function."""

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Set grad mode to ``mode`` (takes effect at construction, like PyTorch)."""

    def __init__(self, mode: bool) -> None:
        self._prev = state.grad_enabled
        self._mode = bool(mode)
        state.grad_enabled = self._mode

    def __enter__(self):
        return None

    def __exit__(self, *exc) -> None:
        state.grad_enabled = self._prev

    def __call__(self, fn):
        state.grad_enabled = self._prev  # as a decorator it must not leak the mode
        return super().__call__(fn)


class inference_mode(_GradModeContext):  # noqa: N801
    """PyTorch's inference_mode; here the same as no_grad (core has no separate inference
    tensors). ``inference_mode(False)`` leaves grad mode as it is."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # bare @core.inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self._on = bool(mode)

    def __enter__(self):
        self._prev = state.grad_enabled
        if self._on:
            state.grad_enabled = False
        return None

    def __call__(self, fn):
        if not self._on:
            return fn
        self._mode = False
        return super().__call__(fn)


def is_grad_enabled() -> bool:
    """Whether ops build a graph in this thread."""
    return state.grad_enabled
