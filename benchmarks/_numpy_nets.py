"""Hand-written numpy training steps (forward, softmax cross-entropy, backward, Adam)
that benchmarks/bench_train.py times core and PyTorch against.

Plain float32 numpy as a competent programmer would write it: weights laid out as
PyTorch's ((out, in) for linear, (F, C, kh, kw) for conv), in-place updates where they
are natural, im2col on a sliding-window view + one matmul per convolution.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class Adam:
    """torch.optim.Adam's update (defaults, no weight decay), in place on the arrays."""

    def __init__(self, params: list[np.ndarray], lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = params
        self.lr, self.eps = lr, eps
        self.b1, self.b2 = betas
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.tmp = [np.empty_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.b1, self.b2
        step_size = self.lr / (1 - b1**self.t)
        inv_bc2_sqrt = 1 / math.sqrt(1 - b2**self.t)
        for p, g, m, v, tmp in zip(self.params, grads, self.m, self.v, self.tmp):
            m *= b1  # m = b1 m + (1 - b1) g
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp
            v *= b2  # v = b2 v + (1 - b2) g^2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)  # p -= step_size * m / (sqrt(v) / sqrt(bc2) + eps)
            tmp *= inv_bc2_sqrt
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of (N, K) logits against class indices, and d loss / d logits."""
    n = logits.shape[0]
    rows = np.arange(n)
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    loss = float(np.log(s[:, 0]).mean() - z[rows, y].mean())
    e /= s  # softmax
    e[rows, y] -= 1
    e *= np.float32(1 / n)
    return loss, e


def _relu_back(g: np.ndarray, h: np.ndarray) -> np.ndarray:
    """g * (h > 0), in place, for h the ReLU's output."""
    np.multiply(g, h > 0, out=g)
    return g


# -- MLP --------------------------------------------------------------------------------


class MLP:
    """Linear layers with ReLU between them; params [W1, b1, W2, b2, ...]."""

    def __init__(self, params: list[np.ndarray]):
        self.params = params
        self.opt = Adam(params)

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        ws, bs = self.params[0::2], self.params[1::2]
        hs = [x]  # input of each layer
        h = x
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = h @ w.T  # (N, in) x (in, out) -> (N, out)
            h += b
            if i < len(ws) - 1:
                np.maximum(h, 0, out=h)
                hs.append(h)
        loss, g = softmax_cross_entropy(h, y)
        grads = [None] * len(self.params)
        for i in range(len(ws) - 1, -1, -1):
            grads[2 * i] = g.T @ hs[i]  # (out, N) x (N, in) -> (out, in)
            grads[2 * i + 1] = g.sum(axis=0)
            if i:
                g = _relu_back(g @ ws[i], hs[i])  # (N, out) x (out, in) -> (N, in)
        self.opt.step(grads)
        return loss


# -- LeNet-like CNN -------------------------------------------------------------------


def _conv_forward(x, w, b, pad):
    """Stride-1 conv2d by im2col; returns the (N, F, Ho, Wo) output and the columns."""
    f, c, kh, kw = w.shape
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, Ho, Wo, kh, kw)
    n, _, ho, wo = win.shape[:4]
    cols = win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, ho * wo)  # a copy
    y = w.reshape(f, -1) @ cols  # (F, C*kh*kw) x (N, C*kh*kw, Ho*Wo) -> (N, F, Ho*Wo)
    y += b[:, None]
    return y.reshape(n, f, ho, wo), cols


def _conv_backward(g, cols, w, x_shape, pad, need_dx):
    """Grads of _conv_forward: (dW, db, dx or None) for upstream g (N, F, Ho, Wo)."""
    f, c, kh, kw = w.shape
    n, _, ho, wo = g.shape
    g3 = g.reshape(n, f, ho * wo)
    # (N, F, Ho*Wo) x (N, Ho*Wo, C*kh*kw) -> (N, F, C*kh*kw), summed over N
    dw = (g3 @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    db = g3.sum(axis=(0, 2))
    if not need_dx:
        return dw, db, None
    # (C*kh*kw, F) x (N, F, Ho*Wo) -> (N, C*kh*kw, Ho*Wo), then col2im
    dcols = (w.reshape(f, -1).T @ g3).reshape(n, c, kh, kw, ho, wo)
    h, wd = x_shape[2] + 2 * pad, x_shape[3] + 2 * pad
    dxp = np.zeros((n, c, h, wd), g.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i : i + ho, j : j + wo] += dcols[:, :, i, j]
    return dw, db, dxp[:, :, pad : h - pad, pad : wd - pad]


def _maxpool2_forward(a):
    """2x2 max pool, stride 2: returns the pooled (N, C, H/2, W/2) and a's 2x2 windows."""
    n, c, h, w = a.shape
    r = a.reshape(n, c, h // 2, 2, w // 2, 2)
    # NOTE: pairwise maxima; r.max(axis=(3, 5)) reduces over length-2 axes, ~30x slower
    top = np.maximum(r[:, :, :, 0, :, 0], r[:, :, :, 0, :, 1])
    bottom = np.maximum(r[:, :, :, 1, :, 0], r[:, :, :, 1, :, 1])
    return np.maximum(top, bottom, out=top), r


def _maxpool2_backward(g, r, out):
    """The gradient goes to the window maxima. NOTE: on ties every maximum gets it
    (PyTorch picks one); after a ReLU the only ties are at 0, where the ReLU's backward
    zeroes it anyway."""
    dx = np.empty(r.shape, g.dtype)
    for i in (0, 1):
        for j in (0, 1):
            np.multiply(r[:, :, :, i, :, j] == out, g, out=dx[:, :, :, i, :, j])
    n, c, h2, _, w2, _ = r.shape
    return dx.reshape(n, c, 2 * h2, 2 * w2)


class LeNet:
    """conv(1->6, 5, pad 2) ReLU pool2 -> conv(6->16, 5) ReLU pool2 -> flatten ->
    linear 400-120-84-10 with ReLUs; params [W1, b1, ..., W5, b5] in PyTorch layout."""

    def __init__(self, params: list[np.ndarray]):
        self.params = params
        self.opt = Adam(params)

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = self.params
        n = x.shape[0]
        # forward
        a1, cols1 = _conv_forward(x, w1, b1, 2)  # (N, 6, 28, 28)
        a1 = np.maximum(a1, 0)
        p1, r1 = _maxpool2_forward(a1)  # (N, 6, 14, 14)
        a2, cols2 = _conv_forward(p1, w2, b2, 0)  # (N, 16, 10, 10)
        a2 = np.maximum(a2, 0)
        p2, r2 = _maxpool2_forward(a2)  # (N, 16, 5, 5)
        h0 = p2.reshape(n, -1)  # (N, 400)
        h1 = h0 @ w3.T  # (N, 400) x (400, 120)
        h1 += b3
        np.maximum(h1, 0, out=h1)
        h2 = h1 @ w4.T  # (N, 120) x (120, 84)
        h2 += b4
        np.maximum(h2, 0, out=h2)
        logits = h2 @ w5.T  # (N, 84) x (84, 10)
        logits += b5
        loss, g = softmax_cross_entropy(logits, y)
        # backward
        dw5, db5 = g.T @ h2, g.sum(axis=0)
        g = _relu_back(g @ w5, h2)
        dw4, db4 = g.T @ h1, g.sum(axis=0)
        g = _relu_back(g @ w4, h1)
        dw3, db3 = g.T @ h0, g.sum(axis=0)
        g = (g @ w3).reshape(p2.shape)
        g = _relu_back(_maxpool2_backward(g, r2, p2), a2)
        dw2, db2, g = _conv_backward(g, cols2, w2, p1.shape, 0, need_dx=True)
        g = _relu_back(_maxpool2_backward(g, r1, p1), a1)
        dw1, db1, _ = _conv_backward(g, cols1, w1, x.shape, 2, need_dx=False)
        self.opt.step([dw1, db1, dw2, db2, dw3, db3, dw4, db4, dw5, db5])
        return loss
