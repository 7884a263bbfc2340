"""Broadcasting binary ops on hypothesis-drawn shapes: values and gradients against numpy.

The reference gradient of a broadcast operand is computed independently of core's
``unbroadcast``: every element of the broadcast result is credited to the operand
element it was read from (``np.bincount`` over the broadcast index map).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import core

# name -> (number of float operands, core op, numpy forward, d(out)/d(operand k))
OPS = {
    "add": (2, lambda a, b: a + b, np.add, lambda a, b: (np.ones_like(a), np.ones_like(b))),
    "sub": (2, lambda a, b: a - b, np.subtract, lambda a, b: (np.ones_like(a), -np.ones_like(b))),
    "mul": (2, lambda a, b: a * b, np.multiply, lambda a, b: (b, a)),
    "div": (2, lambda a, b: a / b, np.divide, lambda a, b: (1 / b, -a / b**2)),
    "maximum": (2, core.maximum, np.maximum, lambda a, b: (a > b, b > a)),
    "where": (
        2,
        lambda a, b, c: core.where(c, a, b),
        lambda a, b, c: np.where(c, a, b),
        lambda a, b, c: (c, ~c),
    ),
}


def reduce_to(full: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast-shaped array back onto ``shape`` by crediting each source element."""
    size = int(np.prod(shape))
    source = np.broadcast_to(np.arange(size).reshape(shape), full.shape)
    return np.bincount(source.ravel(), weights=full.ravel(), minlength=size).reshape(shape)


def operands(name: str, shapes, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    n_float = OPS[name][0]
    arrays = [rng.uniform(-2, 2, s) for s in shapes[:n_float]]
    if name == "div":  # keep divisors away from 0
        arrays[1] = rng.uniform(0.5, 2, shapes[1]) * rng.choice([-1.0, 1.0], shapes[1])
    if name == "where":
        arrays.append(rng.random(shapes[2]) < 0.5)
    return arrays


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=50, deadline=None, derandomize=True)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_broadcast_values_and_gradients_match_numpy(name, data, seed):
    n_float, op, np_forward, np_partials = OPS[name]
    n_operands = 3 if name == "where" else 2
    drawn = data.draw(
        mutually_broadcastable_shapes(num_shapes=n_operands, max_dims=4, max_side=4), label="shapes"
    )
    arrays = operands(name, drawn.input_shapes, seed)
    xs = [core.tensor(a, dtype=core.float64, requires_grad=True) for a in arrays[:n_float]]
    xs += [core.tensor(a) for a in arrays[n_float:]]

    out = op(*xs)
    expected = np_forward(*arrays)
    assert tuple(out.shape) == drawn.result_shape == expected.shape
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)

    upstream = np.random.default_rng(seed + 1).uniform(-1.5, 1.5, expected.shape)
    out.backward(core.tensor(upstream, dtype=core.float64))
    full = [np.broadcast_to(a, expected.shape) for a in arrays]
    for k, (x, partial) in enumerate(zip(xs[:n_float], np_partials(*full))):
        reference = reduce_to(upstream * partial, x.shape)
        assert x.grad is not None and x.grad.shape == x.shape, f"operand {k}"
        np.testing.assert_allclose(
            x.grad.numpy(), reference, rtol=1e-10, atol=1e-12, err_msg=f"operand {k}"
        )
