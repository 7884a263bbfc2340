"""Grad mode: no_grad, enable_grad and set_grad_enabled, as context managers and
decorators, nested, and per thread (PyTorch's semantics)."""

import threading

import pytest

import core


def grad_leaf():
    return core.tensor([1.0, 2.0], requires_grad=True)


def test_grad_is_enabled_by_default():
    assert core.is_grad_enabled() is True
    assert core.autograd.is_grad_enabled() is True


# -- context managers ----------------------------------------------------------------


def test_no_grad_block_builds_no_graph():
    x = grad_leaf()
    with core.no_grad():
        assert core.is_grad_enabled() is False
        y = x * 2
    assert not y.requires_grad
    assert y.grad_fn is None
    assert core.is_grad_enabled() is True


def test_no_grad_block_still_computes_values():
    with core.no_grad():
        y = grad_leaf() * 3
    assert y.tolist() == [3.0, 6.0]


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ValueError), core.no_grad():
        raise ValueError("boom")
    assert core.is_grad_enabled() is True


def test_enable_grad_inside_no_grad_builds_a_graph():
    x = grad_leaf()
    with core.no_grad():
        with core.enable_grad():
            assert core.is_grad_enabled() is True
            y = x * 2
        assert core.is_grad_enabled() is False
    assert y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_nested_no_grad_restores_each_level():
    with core.no_grad():
        with core.no_grad():
            assert not core.is_grad_enabled()
        assert not core.is_grad_enabled()
        with core.enable_grad():
            with core.no_grad():
                assert not core.is_grad_enabled()
            assert core.is_grad_enabled()
        assert not core.is_grad_enabled()
    assert core.is_grad_enabled()


def test_set_grad_enabled_as_a_context_manager():
    with core.set_grad_enabled(False):
        assert not core.is_grad_enabled()
        with core.set_grad_enabled(True):
            assert core.is_grad_enabled()
        assert not core.is_grad_enabled()
    assert core.is_grad_enabled()


def test_set_grad_enabled_as_a_function_call_sets_the_mode():
    try:
        core.set_grad_enabled(False)
        assert not core.is_grad_enabled()
        assert not (grad_leaf() * 2).requires_grad
    finally:
        core.set_grad_enabled(True)
    assert core.is_grad_enabled()


def test_set_grad_enabled_with_a_runtime_flag():
    for training in (True, False):
        with core.set_grad_enabled(training):
            y = grad_leaf() * 2
        assert y.requires_grad is training


# -- decorators ----------------------------------------------------------------------


def test_no_grad_as_a_decorator():
    @core.no_grad()
    def f(x):
        assert not core.is_grad_enabled()
        return x * 2

    assert not f(grad_leaf()).requires_grad
    assert core.is_grad_enabled()


def test_no_grad_as_a_decorator_without_parentheses():
    @core.no_grad
    def f(x):
        return x * 2

    assert not f(grad_leaf()).requires_grad
    assert core.is_grad_enabled()


def test_decorated_function_keeps_its_name_and_restores_mode_on_error():
    @core.no_grad()
    def failing():
        raise KeyError("x")

    assert failing.__name__ == "failing"
    with pytest.raises(KeyError):
        failing()
    assert core.is_grad_enabled()


def test_enable_grad_as_a_decorator_inside_no_grad():
    @core.enable_grad()
    def f(x):
        return x * 2

    with core.no_grad():
        y = f(grad_leaf())
        assert not core.is_grad_enabled()
    assert y.requires_grad


def test_set_grad_enabled_as_a_decorator_does_not_change_the_mode_when_applied():
    @core.set_grad_enabled(False)
    def f(x):
        return x * 2

    assert core.is_grad_enabled()
    assert not f(grad_leaf()).requires_grad
    assert core.is_grad_enabled()


def test_no_grad_decorated_generator_disables_grad_only_while_it_runs():
    x = grad_leaf()
    modes_inside = []

    @core.no_grad()
    def gen():
        for k in range(3):
            modes_inside.append(core.is_grad_enabled())
            yield x * k

    modes_outside = []
    outs = []
    for y in gen():
        modes_outside.append(core.is_grad_enabled())
        outs.append(y)
    assert modes_inside == [False, False, False]
    assert modes_outside == [True, True, True]
    assert not any(y.requires_grad for y in outs)
    assert core.is_grad_enabled()


def test_decorated_generator_passes_send_values_and_its_return_value():
    @core.no_grad()
    def echo():
        received = yield "ready"
        while received is not None:
            received = yield received * 2
        return "done"

    g = echo()
    assert next(g) == "ready"
    assert g.send(4) == 8
    with pytest.raises(StopIteration) as stop:
        g.send(None)
    assert stop.value.value == "done"


def test_enable_grad_decorated_generator_inside_no_grad():
    x = grad_leaf()

    @core.enable_grad()
    def gen():
        yield x * 2

    with core.no_grad():
        (y,) = list(gen())
        assert not core.is_grad_enabled()
    assert y.requires_grad


# -- threads ---------------------------------------------------------------------------


def test_no_grad_in_another_thread_does_not_affect_this_one():
    entered, release = threading.Event(), threading.Event()
    seen_in_thread = []

    def worker():
        with core.no_grad():
            seen_in_thread.append(core.is_grad_enabled())
            entered.set()
            release.wait(10)

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert entered.wait(10)
        assert core.is_grad_enabled()
        y = grad_leaf() * 2
        assert y.requires_grad
    finally:
        release.set()
        t.join(10)
    assert seen_in_thread == [False]


def test_a_new_thread_starts_with_grad_enabled_even_inside_no_grad():
    seen = []

    def worker():
        seen.append(core.is_grad_enabled())
        seen.append((grad_leaf() * 2).requires_grad)

    with core.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join(10)
    assert seen == [True, True]


def test_threads_toggling_grad_mode_concurrently_keep_their_own_modes():
    barrier = threading.Barrier(2, timeout=10)
    results = {}

    def worker(name, mode):
        with core.set_grad_enabled(mode):
            barrier.wait()  # both threads are inside their blocks now
            results[name] = (core.is_grad_enabled(), (grad_leaf() * 2).requires_grad)
            barrier.wait()

    threads = [
        threading.Thread(target=worker, args=("on", True)),
        threading.Thread(target=worker, args=("off", False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == {"on": (True, True), "off": (False, False)}


def test_enable_grad_as_a_decorator_without_parentheses():
    @core.enable_grad
    def f(x):
        return x * 2

    with core.no_grad():
        y = f(grad_leaf())
    assert y.requires_grad
