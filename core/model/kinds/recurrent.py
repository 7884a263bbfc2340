"""Recurrent layers: RNN, LSTM, GRU over (T, F) sequences (batch first, input size inferred).

The module returns ``(output, hidden)``; the node keeps ``output`` (N, T, H * directions), or
only its last time step ``output[:, -1]`` with ``returns="last"``.
"""

from __future__ import annotations

from core.model.catalog import LayerKind, ModuleSpec, P, ShapeError, register, shape_str
from core.model.params import params

_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def _schema(kind: str):
    items = [
        P("hidden_size", "int", 64, "Features of the hidden state", min=1, max=1 << 16),
        P("num_layers", "int", 1, "Stacked recurrent layers", min=1, max=64),
        P("bidirectional", "bool", False, "Also run backwards in time (doubles the features)"),
        P(
            "returns",
            "choice",
            "sequence",
            "'sequence': the output at every time step (T, H); 'last': only the last step's (H,)",
            choices=("sequence", "last"),
        ),
        P(
            "dropout",
            "float",
            0.0,
            "Dropout between stacked layers (none with one layer)",
            min=0,
            max=1,
            advanced=True,
        ),
        P("bias", "bool", True, "Learn biases", advanced=True),
    ]
    if kind == "RNN":
        items.insert(
            2,
            P(
                "nonlinearity",
                "choice",
                "tanh",
                "Activation of the hidden state",
                choices=("tanh", "relu"),
            ),
        )
    return params(*items)


def _infer(kind: str):
    def infer(p, ins):
        (shape,) = ins
        if len(shape) != 2:
            hint = (
                "add an Embedding before it for token indices, or a Reshape to (steps, features)"
                if len(shape) == 1
                else "add a Reshape to (steps, features), e.g. a Permute and Flatten of "
                "(C, H, W) rows"
            )
            raise ShapeError(
                f"{kind} needs a 2-D input per sample (T, F) (time steps, features), got "
                f"{shape_str(shape)}",
                hint,
                code="rank",
            )
        features = p["hidden_size"] * (2 if p["bidirectional"] else 1)
        return (features,) if p["returns"] == "last" else (shape[0], features)

    return infer


def _spec(kind: str):
    def spec(p, ins):
        kw = {}
        if p["num_layers"] != 1:
            kw["num_layers"] = p["num_layers"]
        if kind == "RNN" and p["nonlinearity"] != "tanh":
            kw["nonlinearity"] = p["nonlinearity"]
        if not p["bias"]:
            kw["bias"] = False
        kw["batch_first"] = True
        if p["dropout"] and p["num_layers"] > 1:  # NOTE: no effect (a warning) with one layer
            kw["dropout"] = p["dropout"]
        if p["bidirectional"]:
            kw["bidirectional"] = True
        return ModuleSpec(kind, (ins[0][-1], p["hidden_size"]), kw)

    return spec


def _count(kind: str):
    def count(p, ins, out):
        steps, size = ins[0]
        h, gates = p["hidden_size"], _GATES[kind] * p["hidden_size"]
        dirs = 2 if p["bidirectional"] else 1
        n_params = macs = 0
        for layer in range(p["num_layers"]):
            n_in = size if layer == 0 else h * dirs
            per_dir = gates * (n_in + h)
            n_params += dirs * (per_dir + (2 * gates if p["bias"] else 0))
            macs += dirs * steps * per_dir
        return n_params, macs

    return count


def _apply(module, xs, p):
    out = module(xs[0])[0]
    return out[:, -1] if p["returns"] == "last" else out


def _expr(ins, attr, p, lib):
    return f"{attr}({ins[0]})[0]" + ("[:, -1]" if p["returns"] == "last" else "")


_DOCS = {
    "RNN": "Elman recurrent layer: h_t = tanh(W x_t + U h_(t-1) + b) over a (T, F) sequence.",
    "LSTM": "Long short-term memory over a (T, F) sequence: gated cell state that keeps "
    "information across many steps.",
    "GRU": "Gated recurrent unit over a (T, F) sequence: an LSTM-like layer with fewer gates.",
}

for _kind, _doc in _DOCS.items():
    register(
        LayerKind(
            kind=_kind,
            display_name=_kind,
            category="Recurrent",
            doc=_doc,
            params=_schema(_kind),
            infer=_infer(_kind),
            module=_spec(_kind),
            apply=_apply,
            expr=_expr,
            count=_count(_kind),
            key_params=("hidden_size", "returns"),
        )
    )
