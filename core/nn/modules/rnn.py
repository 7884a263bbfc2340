"""Recurrent layers: RNN (tanh/relu), LSTM, GRU and their single-step cells.

Each layer and direction runs as one fused Function over the whole sequence
(core/ops/rnn.py); the modules arrange layers, directions, dropout between layers and
PyTorch's input conventions (batch_first, unbatched 2-D input, hx shape checks).
Parameters carry PyTorch's names (weight_ih_l0, bias_hh_l1_reverse, ...), so
state_dicts move between the two unchanged.
"""

from __future__ import annotations

import math
import numbers
import warnings

from core.factories import empty
from core.nn import functional as F
from core.nn import init
from core.nn.modules.module import Module
from core.nn.parameter import Parameter
from core.ops import cat, stack
from core.ops.rnn import GRULayer, LSTMLayer, RNNLayer
from core.tensor import Tensor

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU (PyTorch's RNNBase)."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + str(mode))
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability "
                "of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=3,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(
                f"batch_first should be of type bool, got: {type(batch_first).__name__}"
            )
        _check_positive_int("input_size", input_size)
        _check_positive_int("hidden_size", hidden_size)
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size:
            if proj_size >= hidden_size:
                raise ValueError("proj_size has to be smaller than hidden_size")
            raise NotImplementedError(
                "LSTM(proj_size=...) is not supported by core yet; use proj_size=0"
            )
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else hidden_size * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [
                    (f"weight_ih_l{layer}{suffix}", (gate_size, layer_input)),
                    (f"weight_hh_l{layer}{suffix}", (gate_size, hidden_size)),
                ]
                if bias:
                    shapes += [
                        (f"bias_ih_l{layer}{suffix}", (gate_size,)),
                        (f"bias_hh_l{layer}{suffix}", (gate_size,)),
                    ]
                for name, shape in shapes:
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
                names = [name for name, _ in shapes]
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op (PyTorch compacts cuDNN weights here); kept so scripts run unchanged."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- forward -----------------------------------------------------------------------
    def _name(self) -> str:
        return "RNN" if self.mode.startswith("RNN") else self.mode

    def _prepare(self, input: Tensor) -> tuple[Tensor, bool]:
        """The time-major batched input, and whether the input was batched."""
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{self._name()}: expected input to be a Tensor, got {type(input).__name__}"
                " (PackedSequence is not supported by core yet)"
            )
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{self._name()}: Expected input to be 2D or 3D, got {input.ndim}D instead"
            )
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        w = self.weight_ih_l0
        if input.dtype != w.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). "
                f"Convert input: input.to({w.dtype}), or convert model: model.to({input.dtype})"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. "
                f"Expected {self.input_size}, got {input.shape[-1]}"
            )
        return input, batched

    def _state(self, hx: Tensor, batched: bool, input: Tensor, msg: str) -> Tensor:
        """hx as (num_layers * num_directions, N, H), after PyTorch's checks."""
        expected = (
            self.num_layers * (2 if self.bidirectional else 1),
            input.shape[1],
            self.hidden_size,
        )
        if not batched:
            hx = hx.unsqueeze(1)
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))
        if hx.dtype != input.dtype:
            raise RuntimeError(
                f"{self._name()}: hidden state dtype ({hx.dtype}) does not match the "
                f"input's ({input.dtype})"
            )
        return hx

    def _run(self, input: Tensor, hx: Tensor | None, cx: Tensor | None):
        """All layers and directions over a time-major input: (output, h_n, c_n)."""
        num_directions = 2 if self.bidirectional else 1
        names = self._all_weights
        mode = self.mode
        relu = mode == "RNN_RELU"
        dropout = self.dropout if self.training else 0.0
        h_n, c_n = [], []
        x = input
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                params = [getattr(self, name) for name in names[k]]
                w_ih, w_hh = params[0], params[1]
                b_ih, b_hh = (params[2], params[3]) if len(params) == 4 else (None, None)
                h0 = None if hx is None else hx[k]
                reverse = direction == 1
                if mode == "LSTM":
                    c0 = None if cx is None else cx[k]
                    out, h, c = LSTMLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
                    c_n.append(c)
                elif mode == "GRU":
                    out, h = GRULayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, reverse)
                else:
                    out, h = RNNLayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, relu, reverse)
                outs.append(out)
                h_n.append(h)
            x = outs[0] if num_directions == 1 else cat(outs, 2)
            if dropout and layer < self.num_layers - 1:
                x = F.dropout(x, dropout, True)
        return x, stack(h_n), (stack(c_n) if c_n else None)

    def _forward_one_state(self, input: Tensor, hx: Tensor | None) -> tuple[Tensor, Tensor]:
        """RNN and GRU: (output, h_n)."""
        x, batched = self._prepare(input)
        if hx is not None:
            if batched and hx.ndim != 3:
                raise RuntimeError(
                    f"For batched 3-D input, hx should also be 3-D but got {hx.ndim}-D tensor"
                )
            if not batched and hx.ndim != 2:
                raise RuntimeError(
                    f"For unbatched 2-D input, hx should also be 2-D but got {hx.ndim}-D tensor"
                )
            hx = self._state(hx, batched, x, "Expected hidden size {}, got {}")
        output, h_n, _ = self._run(x, hx, None)
        return self._finish(output, batched), (h_n if batched else h_n.squeeze(1))

    def _finish(self, output: Tensor, batched: bool) -> Tensor:
        if not batched:
            return output.squeeze(1)
        return output.transpose(0, 1) if self.batch_first else output


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked
    num_layers deep, optionally bidirectional.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; forward(input, hx=None)
    returns (output, h_n)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.__dict__["nonlinearity"] = args[3]
            args = args[:3] + args[4:]
        else:
            self.__dict__["nonlinearity"] = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward_one_state(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's formulation (rows r, z, n):
    r, z = sigmoid(W_i x + b_i + W_h h + b_h); n = tanh(W_in x + b_in + r * (W_hn h + b_hn));
    h' = (1 - z) * n + z * h. forward(input, hx=None) returns (output, h_n)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward_one_state(input, hx)


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's formulation (rows i, f, g, o):
    c' = f * c + i * g; h' = o * tanh(c').

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``; forward(input, hx=None) with hx = (h_0, c_0)
    returns (output, (h_n, c_n))."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        x, batched = self._prepare(input)
        h0 = c0 = None
        if hx is not None:
            if not isinstance(hx, tuple | list) or len(hx) != 2:
                raise RuntimeError(
                    f"LSTM: hx must be a tuple (h_0, c_0) of two tensors, got {type(hx).__name__}"
                )
            h0, c0 = hx
            if batched and (h0.ndim != 3 or c0.ndim != 3):
                raise RuntimeError(
                    "For batched 3-D input, hx and cx should also be 3-D but got "
                    f"({h0.ndim}-D, {c0.ndim}-D) tensors"
                )
            if not batched and (h0.ndim != 2 or c0.ndim != 2):
                raise RuntimeError(
                    "For unbatched 2-D input, hx and cx should also be 2-D but got "
                    f"({h0.ndim}-D, {c0.ndim}-D) tensors"
                )
            h0 = self._state(h0, batched, x, "Expected hidden[0] size {}, got {}")
            c0 = self._state(c0, batched, x, "Expected hidden[1] size {}, got {}")
        output, h_n, c_n = self._run(x, h0, c0)
        if not batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish(output, batched), (h_n, c_n)


# -- cells ---------------------------------------------------------------------------
class RNNCellBase(Module):
    """Shared parameters of the single-step cells: weight_ih (G*H, I), weight_hh (G*H, H),
    bias_ih, bias_hh (G*H,)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(empty((g, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((g, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(g, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(g, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = self.__dict__.get("nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _input(self, input: Tensor) -> tuple[Tensor, bool]:
        """input as a one-step sequence (1, N, I), and whether it was batched."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size}"
            )
        batched = input.ndim == 2
        x = input.unsqueeze(0) if batched else input.reshape(1, 1, -1)
        return x, batched

    def _hidden(self, h: Tensor | None, batched: bool, n: int, what: str) -> Tensor | None:
        """A state as (N, H), checked against the input (what: hidden0 or hidden1)."""
        if h is None:
            return None
        if h.ndim != (2 if batched else 1):
            shape = "2-D (batch, hidden_size)" if batched else "1-D (hidden_size)"
            kind = "batched 2-D" if batched else "unbatched 1-D"
            raise RuntimeError(
                f"{type(self).__name__}: {what} must be {shape} for a {kind} input, "
                f"got shape {list(h.shape)}"
            )
        if not batched:
            h = h.unsqueeze(0)
        if h.shape[0] != n:
            raise RuntimeError(f"Input batch size {n} doesn't match {what} batch size {h.shape[0]}")
        if h.shape[1] != self.hidden_size:
            raise RuntimeError(
                f"{what} has inconsistent hidden_size: got {h.shape[1]}, expected "
                f"{self.hidden_size}"
            )
        return h


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, batched = self._input(input)
        if hx is not None and hx.ndim not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.ndim}D instead")
        h0 = self._hidden(hx, batched, x.shape[1], "hidden0")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        relu = self.nonlinearity == "relu"
        _, h = RNNLayer.apply(
            x, h0, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, relu, False
        )
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: forward(input, (h, c)=None) -> (h', c')."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        x, batched = self._input(input)
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.ndim not in (1, 2):
                    raise ValueError(
                        f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.ndim}D instead"
                    )
        n = x.shape[1]
        h0, c0 = (None, None) if hx is None else hx
        h0 = self._hidden(h0, batched, n, "hidden0")
        c0 = self._hidden(c0, batched, n, "hidden1")
        _, h, c = LSTMLayer.apply(
            x, h0, c0, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, False
        )
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (PyTorch's formulation): forward(input, hx=None) -> h'."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, batched = self._input(input)
        if hx is not None and hx.ndim not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.ndim}D instead")
        h0 = self._hidden(hx, batched, x.shape[1], "hidden0")
        _, h = GRULayer.apply(
            x, h0, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, False
        )
        return h if batched else h.squeeze(0)
