"""Recurrent layers as fused Functions: one Function runs one direction of one layer
(Elman RNN with tanh or relu, LSTM, GRU) over a whole time-major (T, N, I) sequence.

Forward: the input half of every gate for all steps in one matmul, then a loop over
time with one (N, H) x (H, G*H) matmul per step, writing into preallocated buffers.
Backward: backpropagation through time inside the same Function. Everything that does
not depend on the recurrence (activation derivatives, their products with the saved
gates) is computed for all steps at once first, so a step is the recurrent matmul plus
a few elementwise ops; the weight gradients are one big matmul each at the end.

Weights use PyTorch's layouts: w_ih (G*H, I), w_hh (G*H, H), gate rows (i, f, g, o) for
the LSTM and (r, z, n) for the GRU, with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
An initial state of None means zeros (and costs nothing). Sigmoid gates are computed
as 0.5 + 0.5 * tanh(a / 2) on exactly halved weight rows (see LSTMLayer).
"""

from __future__ import annotations

from core.autograd.function import RawFunction as _Op

__all__: list[str] = []  # no public functional entry point (PyTorch's are private, too)


# -- helpers -------------------------------------------------------------------------
def _steps(n: int, reverse: bool) -> range:
    return range(n - 1, -1, -1) if reverse else range(n)


def _check(name: str, x, states, w_ih, w_hh, b_ih, b_hh, gates: int) -> int:
    """Shapes and dtypes of one layer's operands (internal callers pass good ones; this
    names what is wrong for direct callers); returns the hidden size."""
    if x.ndim != 3:
        raise RuntimeError(f"{name}: expected a (T, N, I) input, got shape {list(x.shape)}")
    t, n, i = x.shape
    if t == 0:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    h = w_hh.shape[1]
    want = {"w_ih": (gates * h, i), "w_hh": (gates * h, h)}
    for key, arr in (("w_ih", w_ih), ("w_hh", w_hh)):
        if tuple(arr.shape) != want[key]:
            raise RuntimeError(
                f"{name}: {key} has shape {list(arr.shape)}, expected {list(want[key])} "
                f"for input {list(x.shape)} and hidden size {h}"
            )
    if (b_ih is None) != (b_hh is None):
        raise RuntimeError(f"{name}: give both biases or neither")
    for key, arr in (("b_ih", b_ih), ("b_hh", b_hh)):
        if arr is not None and tuple(arr.shape) != (gates * h,):
            raise RuntimeError(f"{name}: {key} has shape {list(arr.shape)}, expected [{gates * h}]")
    for key, arr in states:
        if arr is not None and tuple(arr.shape) != (n, h):
            raise RuntimeError(
                f"{name}: {key} has shape {list(arr.shape)}, expected {[n, h]} "
                f"(batch {n}, hidden size {h})"
            )
    for key, arr in (("w_ih", w_ih), ("w_hh", w_hh), ("b_ih", b_ih), ("b_hh", b_hh), *states):
        if arr is not None and arr.dtype != x.dtype:
            raise RuntimeError(
                f"{name}: expected {key} to have the input's dtype, but got "
                f"{arr.dtype} != {x.dtype}"
            )
    return h


def _input_part(x, w_ih, bias):
    """x W_ih^T (+ bias) for every step at once."""
    t, n, i = x.shape
    # (T*N, I) x (I, G*H) -> (T, N, G*H)
    out = (x.reshape(t * n, i) @ w_ih.T).reshape(t, n, -1)
    if bias is not None:
        out += bias
    return out


def _pairs(t_len: int, reverse: bool) -> tuple[slice, slice, int]:
    """(the steps that follow another step, the steps they follow, the first step)."""
    if reverse:
        return slice(0, t_len - 1), slice(1, t_len), t_len - 1
    return slice(1, t_len), slice(0, t_len - 1), 0


def _times_previous(dst, seq, first, reverse: bool) -> None:
    """dst *= the state each step started from (seq shifted by one step), in place."""
    later, earlier, start = _pairs(seq.shape[0], reverse)
    dst[later] *= seq[earlier]
    if first is None:
        dst[start] = 0
    else:
        dst[start] *= first


def _weight_grads(nd, x, w_ih, dpre_x, dpre_h, out, h0, reverse, first: int):
    """Gradients of x, w_ih, w_hh, b_ih, b_hh (those that nd, ctx.needs_input_grad,
    asks for; the weights are at positions first..first+3) from the pre-activation
    gradients of every step's input part and recurrent part, (T, N, G) each; out and
    h0 give the hidden state every step started from."""
    t, n, i = x.shape
    dx2 = dpre_x.reshape(t * n, -1)
    gx = gwi = gwh = gbi = gbh = None
    if nd[0]:
        gx = (dx2 @ w_ih).reshape(x.shape)  # (T*N, G) x (G, I) -> (T, N, I)
    if nd[first]:
        gwi = dx2.T @ x.reshape(t * n, i)  # (G, T*N) x (T*N, I) -> (G, I)
    if nd[first + 1]:
        later, earlier, start = _pairs(t, reverse)
        g, h = dpre_h.shape[2], out.shape[2]
        # (G, (T-1)*N) x ((T-1)*N, H) -> (G, H): every step but the first, by the state
        # it started from; then the first one's, by h0
        gwh = dpre_h[later].reshape(-1, g).T @ out[earlier].reshape(-1, h)
        if h0 is not None:
            gwh += dpre_h[start].T @ h0  # (G, N) x (N, H) -> (G, H)
    if nd[first + 2]:
        gbi = dx2.sum(axis=0)
    if nd[first + 3]:
        gbh = gbi.copy() if dpre_h is dpre_x and gbi is not None else dpre_h.sum(axis=(0, 1))
    return gx, gwi, gwh, gbi, gbh


# -- Elman RNN -----------------------------------------------------------------------
class RNNLayer(_Op):
    """h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act tanh or relu.

    forward(x (T, N, I), h0 (N, H) | None, w_ih, w_hh, b_ih | None, b_hh | None,
    relu: bool, reverse: bool) -> (output (T, N, H), h_n (N, H))."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, relu, reverse):
        xp = ctx.xp
        _check("rnn", x, (("h0", h0),), w_ih, w_hh, b_ih, b_hh, 1)
        n = x.shape[1]
        bias = None if b_ih is None else b_ih + b_hh
        out = _input_part(x, w_ih, bias)  # (T, N, H): pre-activations, then outputs
        tmp = xp.empty((n, out.shape[2]), x.dtype)
        # contiguous: BLAS is up to ~2x slower on these shapes with a transposed view
        whh_t = xp.ascontiguousarray(w_hh.T)  # (H, H)
        h = h0
        for t in _steps(out.shape[0], reverse):
            o = out[t]
            if h is not None:
                xp.matmul(h, whh_t, out=tmp)  # (N, H) x (H, H) -> (N, H)
                o += tmp
            if relu:
                xp.maximum(o, 0, out=o)
            else:
                xp.tanh(o, out=o)
            h = o
        if any(ctx.needs_input_grad):
            ctx.x, ctx.h0, ctx.w_ih, ctx.w_hh, ctx.out = x, h0, w_ih, w_hh, out
            ctx.relu, ctx.reverse = relu, reverse
        return out, h.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn):
        xp, out = ctx.xp, ctx.out
        w_hh = xp.ascontiguousarray(ctx.w_hh)
        steps = _steps(out.shape[0], not ctx.reverse)
        last = steps[-1]
        nd = ctx.needs_input_grad
        # d output / d pre-activation for every step; scaled in place into the
        # pre-activation gradients
        dpre = (out > 0).astype(out.dtype) if ctx.relu else 1 - out * out
        dh = xp.zeros(out.shape[1:], out.dtype) if g_hn is None else g_hn.copy()
        for t in steps:
            if g_out is not None:
                dh += g_out[t]
            d = dpre[t]
            d *= dh
            if t != last or nd[1]:
                xp.matmul(d, w_hh, out=dh)  # (N, H) x (H, H) -> (N, H)
        grads = _weight_grads(nd, ctx.x, ctx.w_ih, dpre, dpre, out, ctx.h0, ctx.reverse, 2)
        gx, gwi, gwh, gbi, gbh = grads
        return gx, (dh if nd[1] else None), gwi, gwh, gbi, gbh, None, None


# -- LSTM ----------------------------------------------------------------------------
def _rotate(xp, a, h: int):
    """PyTorch's gate rows (i, f, g, o) as (o, i, f, g): the sigmoid gates side by side,
    and the gates that dc scales in backward side by side."""
    return xp.concatenate((a[3 * h :], a[: 3 * h]))


def _unrotate(xp, a, h: int):
    """(o, i, f, g) rows back to PyTorch's (i, f, g, o)."""
    return xp.concatenate((a[h:], a[:h]))


class LSTMLayer(_Op):
    """PyTorch's LSTM step: i, f, o = sigmoid, g = tanh of (W_ih x + b_ih + W_hh h + b_hh)
    split in four; c' = f * c + i * g; h' = o * tanh(c').

    forward(x (T, N, I), h0 | None, c0 | None, w_ih (4H, I), w_hh (4H, H), b_ih | None,
    b_hh | None, reverse) -> (output (T, N, H), h_n (N, H), c_n (N, H)).

    Inside, gate rows are in the order (o, i, f, g), and the sigmoid gates' rows are
    halved (exactly: a power of two) so that one tanh over all four gates gives them
    all: sigmoid(a) = 0.5 + 0.5 * tanh(a / 2)."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp = ctx.xp
        h_size = _check("lstm", x, (("h0", h0), ("c0", c0)), w_ih, w_hh, b_ih, b_hh, 4)
        t_len, n, _ = x.shape
        dt = x.dtype
        h1, h3 = h_size, 3 * h_size
        wi = _rotate(xp, w_ih, h_size)
        wi[:h3] *= 0.5
        # contiguous: BLAS is ~2x slower on this shape with a transposed view
        whh_t = _rotate(xp, w_hh, h_size)
        whh_t[:h3] *= 0.5
        whh_t = xp.ascontiguousarray(whh_t.T)  # (H, 4H)
        bias = None
        if b_ih is not None:
            bias = _rotate(xp, b_ih + b_hh, h_size)
            bias[:h3] *= 0.5
        gates = _input_part(x, wi, bias)  # (T, N, 4H): pre-activations, then gates
        out = xp.empty((t_len, n, h_size), dt)
        cs = xp.empty((t_len, n, h_size), dt)  # c_t
        tcs = xp.empty((t_len, n, h_size), dt)  # tanh(c_t)
        tmp = xp.empty((n, 4 * h_size), dt)
        tmp_h = tmp[:, :h1]
        h, c = h0, c0
        for t in _steps(t_len, reverse):
            g = gates[t]
            if h is not None:
                xp.matmul(h, whh_t, out=tmp)  # (N, H) x (H, 4H) -> (N, 4H)
                g += tmp
            xp.tanh(g, out=g)
            s = g[:, :h3]  # o, i, f: sigmoid = 0.5 + 0.5 * tanh(a / 2)
            s *= 0.5
            s += 0.5
            o, i, f, gg = g[:, :h1], g[:, h1 : 2 * h1], g[:, 2 * h1 : h3], g[:, h3:]
            ct = cs[t]
            xp.multiply(i, gg, out=ct)
            if c is not None:
                xp.multiply(f, c, out=tmp_h)
                ct += tmp_h
            tc = tcs[t]
            xp.tanh(ct, out=tc)
            h = out[t]
            xp.multiply(o, tc, out=h)
            c = ct
        if any(ctx.needs_input_grad):
            ctx.x, ctx.h0, ctx.c0, ctx.w_ih, ctx.w_hh = x, h0, c0, w_ih, w_hh
            ctx.gates, ctx.out, ctx.cs, ctx.tcs, ctx.reverse = gates, out, cs, tcs, reverse
        return out, h.copy(), c.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        xp, gates, tcs = ctx.xp, ctx.gates, ctx.tcs
        t_len, n, h_size = tcs.shape
        h1, h2, h3 = h_size, 2 * h_size, 3 * h_size
        o, i, f, gg = gates[..., :h1], gates[..., h1:h2], gates[..., h2:h3], gates[..., h3:]
        # For all steps at once, the factors that turn dh and dc into pre-activation
        # gradients (rows o, i, f, g): d_o = dh*tanh(c)*o(1-o), d_i = dc*g*i(1-i),
        # d_f = dc*c_prev*f(1-f), d_g = dc*i*(1-g^2); and dc += dh*o*(1 - tanh(c)^2).
        dpre = xp.empty_like(gates)  # (T, N, 4H); scaled in place into the gradients
        sig = dpre[..., :h3]
        xp.multiply(gates[..., :h3], gates[..., :h3], out=sig)
        xp.subtract(gates[..., :h3], sig, out=sig)  # s(1-s) for o, i and f
        dpre[..., :h1] *= tcs
        dpre[..., h1:h2] *= gg
        _times_previous(dpre[..., h2:h3], ctx.cs, ctx.c0, ctx.reverse)
        d_g = dpre[..., h3:]
        xp.multiply(gg, gg, out=d_g)
        xp.subtract(1, d_g, out=d_g)
        d_g *= i
        k_c = tcs * tcs  # (T, N, H): o * (1 - tanh(c)^2)
        xp.subtract(1, k_c, out=k_c)
        k_c *= o
        w_hh = _rotate(xp, ctx.w_hh, h_size)  # (4H, H), rows o, i, f, g
        dh = xp.zeros((n, h_size), tcs.dtype) if g_hn is None else g_hn.copy()
        dc = xp.zeros((n, h_size), tcs.dtype) if g_cn is None else g_cn.copy()
        tmp = xp.empty((n, h_size), tcs.dtype)
        steps = _steps(t_len, not ctx.reverse)
        last = steps[-1]
        need_h0 = ctx.needs_input_grad[1]
        for t in steps:
            if g_out is not None:
                dh += g_out[t]
            xp.multiply(dh, k_c[t], out=tmp)
            dc += tmp
            d = dpre[t]
            d[:, :h1] *= dh
            ifg = d.reshape(n, 4, h_size)[:, 1:]  # (N, 3, H) view of i, f, g
            xp.multiply(ifg, dc[:, None, :], out=ifg)
            dc *= f[t]  # dc of the step before
            if t != last or need_h0:
                xp.matmul(d, w_hh, out=dh)  # (N, 4H) x (4H, H) -> (N, H)
        nd = ctx.needs_input_grad
        w_ih = _rotate(xp, ctx.w_ih, h_size) if nd[0] else None
        grads = _weight_grads(nd, ctx.x, w_ih, dpre, dpre, ctx.out, ctx.h0, ctx.reverse, 3)
        gx, gwi, gwh, gbi, gbh = grads
        gwi, gwh, gbi, gbh = (
            None if a is None else _unrotate(xp, a, h_size) for a in (gwi, gwh, gbi, gbh)
        )
        return gx, (dh if need_h0 else None), (dc if nd[2] else None), gwi, gwh, gbi, gbh, None


# -- GRU -----------------------------------------------------------------------------
class GRULayer(_Op):
    """PyTorch's GRU step: r, z = sigmoid(W_ir,z x + b_ir,z + W_hr,z h + b_hr,z);
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h' = (1 - z) * n + z * h.

    forward(x (T, N, I), h0 | None, w_ih (3H, I), w_hh (3H, H), b_ih | None,
    b_hh | None, reverse) -> (output (T, N, H), h_n (N, H)).

    Inside, the r and z rows are halved (exactly) for sigmoid(a) = 0.5 + 0.5 tanh(a / 2)."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp = ctx.xp
        h_size = _check("gru", x, (("h0", h0),), w_ih, w_hh, b_ih, b_hh, 3)
        t_len, n, _ = x.shape
        dt = x.dtype
        h1, h2 = h_size, 2 * h_size
        wi = w_ih.copy()
        wi[:h2] *= 0.5
        whh_t = w_hh.copy()
        whh_t[:h2] *= 0.5
        whh_t = xp.ascontiguousarray(whh_t.T)  # (H, 3H)
        bi = bh = None
        if b_ih is not None:
            bi, bh = b_ih.copy(), b_hh.copy()
            bi[:h2] *= 0.5
            bh[:h2] *= 0.5
        gx = _input_part(x, wi, bi)  # (T, N, 3H): r, z, n pre-activations, then gates
        gh = xp.empty_like(gx)  # (T, N, 3H): W_hh h + b_hh of every step
        out = xp.empty((t_len, n, h_size), dt)
        tmp = xp.empty((n, h_size), dt)
        h = h0
        for t in _steps(t_len, reverse):
            a, b = gx[t], gh[t]
            if h is not None:
                xp.matmul(h, whh_t, out=b)  # (N, H) x (H, 3H) -> (N, 3H)
                if bh is not None:
                    b += bh
            else:
                b[...] = 0 if bh is None else bh
            rz = a[:, :h2]
            rz += b[:, :h2]
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            nn = a[:, h2:]
            xp.multiply(a[:, :h1], b[:, h2:], out=tmp)  # r * (W_hn h + b_hn)
            nn += tmp
            xp.tanh(nn, out=nn)
            o = out[t]
            if h is not None:
                xp.subtract(h, nn, out=o)  # h' = n + z * (h - n)
                o *= a[:, h1:h2]
                o += nn
            else:
                xp.multiply(a[:, h1:h2], nn, out=o)
                xp.subtract(nn, o, out=o)
            h = o
        if any(ctx.needs_input_grad):
            ctx.x, ctx.h0, ctx.w_ih, ctx.w_hh = x, h0, w_ih, w_hh
            ctx.gx, ctx.ghn, ctx.out, ctx.reverse = gx, gh[..., h2:], out, reverse
        return out, h.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn):
        xp, gx, out = ctx.xp, ctx.gx, ctx.out
        w_hh = xp.ascontiguousarray(ctx.w_hh)
        t_len, n, h_size = out.shape
        h1, h2 = h_size, 2 * h_size
        r, z, nn = gx[..., :h1], gx[..., h1:h2], gx[..., h2:]
        # For all steps at once: d_z = dh * (h - n) * z(1-z); d_n = dh * (1-z)(1-n^2);
        # d_r = d_n * (W_hn h + b_hn) * r(1-r); the recurrent n part gets d_n * r.
        later, earlier, start = _pairs(t_len, ctx.reverse)
        fz = xp.empty_like(out)
        xp.subtract(out[earlier], nn[later], out=fz[later])  # h_prev - n
        if ctx.h0 is None:
            xp.negative(nn[start], out=fz[start])
        else:
            xp.subtract(ctx.h0, nn[start], out=fz[start])
        fz *= z
        fz -= fz * z
        fn = 1 - nn * nn
        fn -= fn * z
        fr = r - r * r
        fr *= ctx.ghn
        dpx = xp.empty_like(gx)  # (T, N, 3H): gradients of the input part
        dph = xp.empty_like(gx)  # (T, N, 3H): gradients of the recurrent part
        dh = xp.zeros((n, h_size), out.dtype) if g_hn is None else g_hn.copy()
        tmp = xp.empty((n, h_size), out.dtype)
        steps = _steps(t_len, not ctx.reverse)
        last = steps[-1]
        nd = ctx.needs_input_grad
        for t in steps:
            if g_out is not None:
                dh += g_out[t]
            e, d_n = dph[t], dpx[t][:, h2:]
            xp.multiply(dh, fz[t], out=e[:, h1:h2])
            xp.multiply(dh, fn[t], out=d_n)
            xp.multiply(d_n, fr[t], out=e[:, :h1])
            xp.multiply(d_n, r[t], out=e[:, h2:])
            if t != last or nd[1]:
                dh *= z[t]
                xp.matmul(e, w_hh, out=tmp)  # (N, 3H) x (3H, H) -> (N, H)
                dh += tmp
        dpx[..., :h2] = dph[..., :h2]  # r and z enter both parts alike
        grads = _weight_grads(nd, ctx.x, ctx.w_ih, dpx, dph, out, ctx.h0, ctx.reverse, 2)
        gx_, gwi, gwh, gbi, gbh = grads
        return gx_, (dh if nd[1] else None), gwi, gwh, gbi, gbh, None
