"""The training section of an exported script: settings constants, loss, evaluation,
the training loop of the document's training settings, and ``main()`` with argparse.

The loop mirrors ``core.train``: the same loss ("auto": cross-entropy for classes, mean
squared error for regression; per position for sequence outputs), optimizer and settings,
learning-rate schedule (per epoch; OneCycle per step; plateau on the validation loss),
gradient clipping, seed and device; it prints each epoch's metrics and saves the weights.
"""

from __future__ import annotations

from core.export import fmt
from core.export.data import DataSection
from core.export.names import literal
from core.export.source import ModelPlan
from core.model.settings import (
    LOSS_FUNCTIONS,
    OPTIMIZER_CLASSES,
    SCHEDULER_CLASSES,
    resolve_loss,
    scheduler_kwargs,
)

_CONSTANT = {"momentum": "MOMENTUM", "weight_decay": "WEIGHT_DECAY"}


class _Code(str):
    """Code to write as it is (other values are written as literals)."""


def _call(fn: str, args: list[str], kwargs: dict) -> str:
    """``fn(args, key=value, ...)`` on one line (fmt lays it out)."""
    parts = args + [f"{k}={v if isinstance(v, _Code) else literal(v)}" for k, v in kwargs.items()]
    return f"{fn}({', '.join(parts)})"


def settings_block(t: dict) -> str:
    """The training settings as module constants."""
    lines = [
        "# Training settings of the project (change them here or on the command line).",
        f"EPOCHS = {t['epochs']}",
        f"BATCH_SIZE = {t['batch_size']}",
        f"LEARNING_RATE = {literal(t['lr'])}",
    ]
    names = OPTIMIZER_CLASSES[t["optimizer"]][1]
    if "momentum" in names:
        lines.append(f"MOMENTUM = {literal(t['momentum'])}")
    lines.append(f"WEIGHT_DECAY = {literal(t['weight_decay'])}")
    if t["grad_clip"] > 0:
        lines.append(f"GRAD_CLIP = {literal(t['grad_clip'])}  # maximum gradient norm")
    lines += [f"SEED = {t['seed']}", f"DEVICE = {literal(t['device'])}"]
    return "\n".join(lines)


def _loss_expr(loss: str, task: str, sequence: bool) -> list[str]:
    """The body lines computing ``loss`` for ``task`` (at 4 spaces, or more for branches)."""
    if task == "classification":
        if loss == "cross_entropy":
            if sequence:
                return ["return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))"]
            return ["return F.cross_entropy(out, y)"]
        if loss == "bce_with_logits":
            return ["return F.binary_cross_entropy_with_logits(out, y.reshape(out.shape).float())"]
        body = ["y = F.one_hot(y, len(classes)).float()  # class ids as one-hot rows"]
    else:
        if loss == "cross_entropy":
            return ['raise ValueError("cross_entropy needs classes; use mse for regression")']
        body = []
    return body + [f"return F.{LOSS_FUNCTIONS[loss]}(out, y)"]


def loss_block(t: dict, data: DataSection) -> str:
    """``compute_loss(out, y, classes)`` for the settings' loss."""
    loss = t["loss"]
    head = [
        "def compute_loss(out, y, classes):",
        f'    """The {loss.replace("_", " ") if loss != "auto" else "training"} loss of a '
        'batch (classes: the class names, None for regression)."""',
    ]
    if len(head[1]) > 100:
        head[1] = '    """The training loss of a batch (classes: None for regression)."""'
    if data.task is not None:
        body = _loss_expr(resolve_loss(loss, data.task), data.task, data.sequence)
        return "\n".join(head + ["    " + b for b in body])
    regression = _loss_expr(resolve_loss(loss, "regression"), "regression", False)
    classes = _loss_expr(resolve_loss(loss, "classification"), "classification", False)
    lines = head + ["    if classes is None:  # regression"]
    lines += ["        " + b for b in regression]
    lines += ["    " + b for b in classes]
    return "\n".join(lines)


def evaluate_block(lib: str, t: dict, data: DataSection) -> str:
    """``evaluate(model, loader, classes, device)``: mean loss and accuracy or MAE."""
    bce = t["loss"] == "bce_with_logits"
    right = "(out.reshape(yb.shape) > 0).long() == yb" if bce else "out.argmax(-1) == yb"
    return f'''def evaluate(model, loader, classes, device):
    """Mean loss and accuracy (classes) or mean absolute error (regression) over a loader."""
    model.train(False)  # evaluation mode: no dropout, batch norm uses its running statistics
    total, score, count, n = 0.0, 0.0, 0, 0
    with {lib}.no_grad():
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            total += compute_loss(out, yb, classes).item() * len(xb)
            n += len(xb)
            if classes is None:
                score += (out - yb).abs().sum().item()
            else:
                score += ({right}).sum().item()
            count += yb.numel()
    if classes is None:
        return {{"loss": total / n, "mae": score / count}}
    return {{"loss": total / n, "accuracy": score / count}}'''


def _scheduler_lines(t: dict, lib: str) -> tuple[list[str], str | None]:
    """(lines creating ``scheduler`` at 4 spaces, when it steps: "epoch", "step", "plateau"
    or None)."""
    if t["scheduler"] == "none":
        return [], None
    cls, when = SCHEDULER_CLASSES[t["scheduler"]]
    kwargs = scheduler_kwargs(
        t,
        lr=_Code("LEARNING_RATE"),
        epochs=_Code("epochs"),
        total_steps=_Code("max(1, epochs * len(loader))"),
    )
    call = _call(f"{lib}.optim.lr_scheduler.{cls}", ["optimizer"], kwargs)
    return fmt.statement("scheduler = ", call, 4), when


def train_block(lib: str, t: dict, plan: ModelPlan) -> str:
    """``train(model, train_set, val_set, classes, epochs, device)``: the training loop."""
    cls, names = OPTIMIZER_CLASSES[t["optimizer"]]
    kwargs = {"lr": _Code("LEARNING_RATE"), **{n: _Code(_CONSTANT[n]) for n in names}}
    call = _call(f"{lib}.optim.{cls}", ["model.parameters()"], kwargs)
    opt = "\n".join(fmt.statement("optimizer = ", call, 4)).lstrip()
    sched_lines, when = _scheduler_lines(t, lib)
    sched = "".join(f"\n{line}" for line in sched_lines)
    clip = (
        "\n            nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)"
        if t["grad_clip"] > 0
        else ""
    )
    step_sched = "\n            scheduler.step()" if when == "step" else ""
    after_epoch = ""
    if when == "epoch":
        after_epoch = "\n        scheduler.step()"
    elif when == "plateau":
        after_epoch = '\n        scheduler.step(metrics.get("val_loss", metrics["train_loss"]))'
    return f'''def train(model, train_set, val_set, classes, epochs, device):
    """Train the model on train_set for epochs epochs; print each epoch's metrics."""
    loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
    val_loader = None if val_set is None else DataLoader(val_set, batch_size=BATCH_SIZE)
    {opt}{sched}
    for epoch in range(1, epochs + 1):
        model.train()
        total, n = 0.0, 0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = compute_loss(model(xb), yb, classes)
            loss.backward(){clip}
            optimizer.step(){step_sched}
            total += loss.item() * len(xb)
            n += len(xb)
        metrics = {{"train_loss": total / n}}
        if val_loader is not None:
            for key, value in evaluate(model, val_loader, classes, device).items():
                metrics[f"val_{{key}}"] = value{after_epoch}
        shown = "  ".join(f"{{k}} {{v:.4f}}" for k, v in metrics.items())
        print(f"epoch {{epoch}}/{{epochs}}  {{shown}}")'''


def main_block(lib: str, plan: ModelPlan, trainable: bool) -> str:
    """``main(argv=None)``: argparse, build, load weights, train or evaluate, save."""
    load = f"{lib}.load(args.weights)" if lib == "core" else "load_safetensors(args.weights)"
    save = (
        "core.save(model.state_dict(), out)"
        if lib == "core"
        else "save_safetensors(model.state_dict(), out)"
    )
    device = "args.device" if lib == "core" else "torch.device(args.device)"
    head = f'''def main(argv=None):
    """Build the model, load its weights if the file exists, then train or evaluate it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="epochs to train")
    parser.add_argument("--no-train", action="store_true", help="only evaluate the model")
    parser.add_argument("--weights", default=WEIGHTS, help="weights to start from, if present")
    parser.add_argument("--out", default=None, help="where to save (default: --weights)")
    parser.add_argument("--device", default=DEVICE, help="cpu or cuda")
    args = parser.parse_args(argv)
    {lib}.manual_seed(SEED)
    device = {device}
    model = {plan.class_name}().to(device)
    if os.path.exists(args.weights):
        model.load_state_dict({load})
        print(f"loaded weights from {{args.weights}}")'''
    if not trainable:
        n = len(plan.inputs)
        shapes = ", ".join(
            f"{lib}.zeros(2, {', '.join(map(str, s))}"
            + (f", dtype={lib}.int64" if d == "int64" else "")
            + ")"
            for s, d in zip(plan.input_shapes, plan.input_dtypes)
        )
        return (
            head
            + f"""
    # The model has {n} input(s) and {len(plan.outputs)} output(s); the dataset feeds one input
    # and one target, so this script runs one batch of zeros through it instead of training.
    model.train(False)  # evaluation mode
    with {lib}.no_grad():
        outputs = model({shapes})
    if not isinstance(outputs, tuple):
        outputs = (outputs,)
    for k, out in enumerate(outputs):
        print(f"output {{k}}: shape {{tuple(out.shape)}}")"""
        )
    to_sets = ""
    if lib == "torch":
        to_sets = """
    train_set = TensorDataset(*map(torch.from_numpy, train_arrays))
    val_set = None if val_arrays is None else TensorDataset(*map(torch.from_numpy, val_arrays))"""
        load_line = "    train_arrays, val_arrays, classes = load_data()"
    else:
        load_line = "    train_set, val_set, classes = load_data()"
    return (
        head
        + "\n"
        + load_line
        + to_sets
        + f"""
    if args.no_train:
        data = train_set if val_set is None else val_set
        loader = DataLoader(data, batch_size=BATCH_SIZE)
        metrics = evaluate(model, loader, classes, device)
        print("  ".join(f"{{k}} {{v:.4f}}" for k, v in metrics.items()))
        return
    train(model, train_set, val_set, classes, args.epochs, device)
    out = args.out or args.weights
    {save}
    print(f"saved the weights to {{out}}")"""
    )


SAFETENSORS = '''SAFETENSORS_DTYPES = {
    "F16": np.float16,
    "F32": np.float32,
    "F64": np.float64,
    "I8": np.int8,
    "I16": np.int16,
    "I32": np.int32,
    "I64": np.int64,
    "U8": np.uint8,
    "BOOL": np.bool_,
}


def load_safetensors(path):
    """The tensors of a safetensors file, read with json and numpy: nothing in it is executed."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = np.dtype(SAFETENSORS_DTYPES[info["dtype"]]).newbyteorder("<")
        array = np.frombuffer(data[begin:end], dtype=dtype).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.astype(array.dtype.newbyteorder("=")))
    return tensors


def save_safetensors(tensors, path):
    """Write a dict of tensors as a safetensors file (readable by the app and PyTorch)."""
    codes = {np.dtype(v): k for k, v in SAFETENSORS_DTYPES.items()}
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        array = np.ascontiguousarray(tensor.detach().cpu().numpy())
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": codes[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + b"".join(chunks))'''
