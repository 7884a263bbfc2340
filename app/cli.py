"""The command line: ``python -m app train|export|validate|summary PROJECT`` and
``python -m app kinds [KIND]``.

Headless: this module imports no Qt (the GUI starts only when no command is given; see
``app.__main__``). Conventions: results on stdout, progress and errors on stderr, errors
prefixed ``ember-studio: error:``; exit status 0 on success, 1 on failure, 2 on a usage
error (argparse), 130 when interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from app import __version__

PROG = "ember-studio"
COMMANDS = ("train", "export", "validate", "summary", "kinds")
SUFFIX = ".ember.json"
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CLIError(Exception):
    """A failure to report as ``ember-studio: error: <message>`` with exit status ``code``."""

    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# -- parser ------------------------------------------------------------------------------
_EPILOG = """\
Without a command, Ember Studio's window opens:
  ember-studio [PROJECT]                    open the app (on PROJECT, if given)
  ember-studio --screenshot OUT.png [PROJECT] [--theme light|dark] [--size WxH]
                                            [--select NODE_ID] [--train EPOCHS]
                                            [--show metrics|graph|insight|data|training]
                                            render the window offscreen to a PNG and exit
                                            (--train: during a run, after EPOCHS epochs)
Run 'ember-studio COMMAND --help' for a command's options and examples.
"""

_TRAIN_EXAMPLES = """\
examples:
  ember-studio train resources/examples/mlp_spirals.ember.json
  ember-studio train model.ember.json --epochs 5 --out runs/first
  ember-studio train model.ember.json --epochs 40 --resume model-run/last.ckpt
  ember-studio train model.ember.json --device cuda --quiet

Writes into --out (default: PROJECT's stem + '-run' beside it): metrics.csv (one row per
epoch), last.ckpt and best.ckpt (model, optimizer, scheduler and position: --resume
continues exactly from one; --epochs counts the epochs already done) and
weights.safetensors (the final weights, for export --weights). Progress goes to stderr,
the final metrics and the goal's verdict to stdout. Ctrl-C stops after the current step,
saves a checkpoint and exits with status 130.
"""

_EXPORT_EXAMPLES = """\
examples:
  ember-studio export model.ember.json --target pytorch -o model_torch.py
  ember-studio export model.ember.json --target core -o model.py \\
      --weights model-run/best.ckpt

The script trains the model as the project says; with --weights the trained weights are
written beside it and the script loads them.
"""

_VALIDATE_EXAMPLES = """\
examples:
  ember-studio validate model.ember.json

Prints file-format problems (with their JSON path), model diagnostics (with the node) and
dataset problems found without loading the data (a data file or folder that is not there
relative to the project's folder, an unknown built-in set, an option its loader does not
take). Exit status 0 when there are no errors (warnings are printed), 1 otherwise.
"""

_SUMMARY_EXAMPLES = """\
examples:
  ember-studio summary model.ember.json
  ember-studio summary model.ember.json --batch-size 64
"""

_KINDS_EXAMPLES = """\
examples:
  ember-studio kinds
  ember-studio kinds --category convolution
  ember-studio kinds Conv2d
  ember-studio kinds Conv2d --json

Without KIND, lists the layer kinds a project's nodes may have ("kind" in the file), by
category; with KIND, that kind's inputs and parameters ("params" in the file): name,
type, default (as written in JSON), accepted range or choices, and what it does.
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``ember-studio`` with its commands."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Ember Studio: a visual neural-network builder, and its command line.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"Ember Studio {__version__}",
        help="print the version and exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str, help: str, epilog: str) -> argparse.ArgumentParser:  # noqa: A002
        p = sub.add_parser(
            name,
            help=help,
            description=help[0].upper() + help[1:] + ".",
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("project", metavar="PROJECT", help=f"project file (*{SUFFIX})")
        return p

    p = command("train", "train a project's model on its dataset", _TRAIN_EXAMPLES)
    p.add_argument(
        "--epochs", type=_positive_int, metavar="N", help="epochs (default: the project's)"
    )
    p.add_argument(
        "--device", choices=("cpu", "cuda"), help="where to train (default: the project's)"
    )
    p.add_argument("--out", metavar="DIR", help="output folder (default: PROJECT-run/)")
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress, only the result")
    p.set_defaults(run=cmd_train)

    p = command("export", "write the model as a standalone Python script", _EXPORT_EXAMPLES)
    p.add_argument(
        "--target", required=True, choices=("core", "pytorch"), help="library of the script"
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="script to write")
    p.add_argument(
        "--weights",
        metavar="FILE",
        help="trained weights or a training checkpoint to ship beside the script",
    )
    p.set_defaults(run=cmd_export)

    p = command("validate", "check a project file and its model", _VALIDATE_EXAMPLES)
    p.set_defaults(run=cmd_validate)

    p = command("summary", "print a layer-by-layer model summary", _SUMMARY_EXAMPLES)
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        metavar="N",
        help="show shapes and totals for a batch of N samples (default: per sample, "
        "with the batch axis shown as N)",
    )
    p.set_defaults(run=cmd_summary)

    help_ = "list the layer kinds, or show one kind's inputs and parameters"
    p = sub.add_parser(
        "kinds",
        help=help_,
        description=help_[0].upper() + help_[1:] + ".",
        epilog=_KINDS_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", nargs="?", metavar="KIND", help="a layer kind, e.g. Linear")
    p.add_argument(
        "--category", metavar="C", help="list only this category's kinds (e.g. dense, merge)"
    )
    p.add_argument("--json", action="store_true", help="print JSON (for tools)")
    p.set_defaults(run=cmd_kinds)
    return parser


def wants_cli(argv: Sequence[str]) -> bool:
    """Whether ``argv`` asks for the command line (a command, help or version), not the GUI.

    Any first word that is not an option is taken as a command, so that a mistyped one
    (``ember-studio trian x``) is a usage error rather than a window opening; the GUI's
    own arguments (Qt's, such as ``-platform offscreen``) start with a dash."""
    return bool(argv) and (
        argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version") or argv[0][:1] != "-"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors
        return int(e.code or 0) if not isinstance(e.code, str) else EXIT_USAGE
    if args.command is None:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: a command is needed: {', '.join(COMMANDS)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except CLIError as e:
        error(e.message)
        return e.code
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `ember-studio summary x | head`
        return EXIT_FAIL


def error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)


# -- loading a project -------------------------------------------------------------------
def load_project(path: str):
    """The project's Document; a CLIError saying what is wrong (and where) otherwise."""
    from core.model import serialize

    _check_file(path)
    try:
        return serialize.load(path)
    except serialize.FormatError as e:
        raise CLIError(str(e)) from None
    except OSError as e:
        raise CLIError(f"{path}: cannot read: {e.strerror or e}") from None


def _check_file(path: str) -> None:
    p = Path(path)
    if not p.exists():
        raise CLIError(f"{path}: no such file")
    if p.is_dir():
        raise CLIError(f"{path}: is a folder, not a project file (*{SUFFIX})")
    if not p.is_file():  # a device or a pipe: reading it could block or never end
        raise CLIError(f"{path}: is not a regular file (a device or a pipe?); give a file")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _diagnostic(d) -> str:
    where = f"node {d.node_id}: " if d.node_id else ""
    hint = f" ({d.hint})" if d.hint else ""
    return f"{d.severity}: {where}{d.message}{hint}"


def _checked_model(path: str, doc):
    """The inference of a document whose model has no errors (a CLIError otherwise)."""
    from core.model.inference import infer

    inference = infer(doc)
    if not inference.ok:
        lines = [f"{path}: the model has {_count(len(inference.errors), 'error')}:"]
        lines += [f"  {_diagnostic(d)}" for d in inference.errors]
        lines.append(f"run '{PROG} validate {path}' for the full report")
        raise CLIError("\n".join(lines))
    return inference


# -- validate ----------------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    """Print the file's format problems, or the model's diagnostics; 1 when any is an error."""
    from core.model import serialize
    from core.model.data import check_dataset
    from core.model.inference import infer

    path = args.project
    _check_file(path)
    try:
        with open(path, "rb") as f:  # at most one byte over the limit: parse_json refuses it
            raw = f.read(serialize.MAX_BYTES + 1)
        data = serialize.parse_json(raw, source=path)
    except serialize.FormatError as e:  # not JSON: the message has line and column
        print(f"error: {e}")
        raise CLIError(f"{path} is not a valid project file") from None
    except OSError as e:
        raise CLIError(f"{path}: cannot read: {e.strerror or e}") from None
    problems = serialize.validate(data)
    if not problems:
        try:
            doc = serialize.from_dict(data, source=path)
        except serialize.FormatError as e:  # a check only the document makes
            problems = e.problems
    if problems:
        for problem in problems:
            where = f"{problem.path}: " if problem.path else ""
            print(f"{path}: error: {where}{problem.message}")
        raise CLIError(f"{path} is not a valid project file ({_count(len(problems), 'problem')})")
    inference = infer(doc)
    for d in inference.diagnostics:
        print(f"{path}: {_diagnostic(d)}")
    # the dataset, without loading it: relative paths start at the project's folder
    dataset = check_dataset(doc.dataset, root=Path(path).resolve().parent)
    for problem in dataset:
        print(f"{path}: error: {problem}")
    n_err, n_warn = len(inference.errors), len(inference.warnings)
    faults = []
    if n_err:
        faults.append(f"the model has {_count(n_err, 'error')} and {_count(n_warn, 'warning')}")
    if dataset:
        faults.append(f"the dataset section has {_count(len(dataset), 'problem')}")
    if faults:
        raise CLIError(f"{path}: " + "; ".join(faults))
    extra = f", {_count(n_warn, 'warning')}" if n_warn else ""
    print(f"{path}: ok ({_count(len(doc), 'node')}, {inference.total_params:,} parameters{extra})")
    return EXIT_OK


# -- summary -----------------------------------------------------------------------------
def cmd_summary(args: argparse.Namespace) -> int:
    """Print the model summary table (1 when the model has errors: they are listed too)."""
    from core.model import summary
    from core.model.inference import infer

    doc = load_project(args.project)
    inference = infer(doc)
    print(summary.summary_text(doc, inference, batch_size=args.batch_size))
    if not inference.ok:
        raise CLIError(
            f"{args.project}: the model has {_count(len(inference.errors), 'error')} (listed above)"
        )
    return EXIT_OK


# -- kinds -------------------------------------------------------------------------------
def cmd_kinds(args: argparse.Namespace) -> int:
    """List the catalog by category, or describe one kind; ``--json`` for tools."""
    from core.model import catalog

    category = _category(args.category) if args.category else None
    if args.kind is not None:
        entry = _find_kind(args.kind)
        if category is not None and entry.category != category:
            raise CLIError(f"{entry.kind} is in the category {entry.category!r}, not {category!r}")
        if args.json:
            print(json.dumps(kind_info(entry), indent=2, ensure_ascii=False))
        else:
            print(kind_text(entry))
        return EXIT_OK
    groups = {
        c: entries
        for c, entries in catalog.by_category().items()
        if category is None or c == category
    }
    if args.json:
        kinds = [kind_info(e) for entries in groups.values() for e in entries]
        print(json.dumps(kinds, indent=2, ensure_ascii=False))
        return EXIT_OK
    entries = [e for group in groups.values() for e in group]
    w_kind = max(len(e.kind) for e in entries)
    w_name = max(len(e.display_name) for e in entries)
    columns = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    lines = []
    for c, group in groups.items():
        lines += [c]
        for e in group:
            line = f"  {e.kind:<{w_kind}}  {e.display_name:<{w_name}}  {_first_line(e.doc)}"
            if columns and len(line) >= columns:  # a terminal: one line per kind
                line = line[: columns - 4] + "..."
            lines.append(line)
        lines.append("")
    lines.append(f"{_count(len(entries), 'kind')}; '{PROG} kinds KIND' shows a kind's parameters")
    print("\n".join(lines))
    return EXIT_OK


def _category(text: str) -> str:
    """The category ``text`` names (any case; a unique prefix will do)."""
    from core.model.catalog import CATEGORIES

    wanted = text.strip().lower()
    exact = [c for c in CATEGORIES if c.lower() == wanted]
    found = exact or [c for c in CATEGORIES if c.lower().startswith(wanted)] if wanted else []
    if len(found) == 1:
        return found[0]
    raise CLIError(
        f"--category: no category {text!r}; the categories: "
        + ", ".join(repr(c) for c in CATEGORIES)
    )


def _find_kind(text: str):
    """The catalog entry ``text`` names (its kind, or its kind or display name in any
    case); a CLIError with the close matches otherwise."""
    import difflib

    from core.model import catalog

    if text in catalog.CATALOG:
        return catalog.CATALOG[text]
    by_lower = {}
    for e in catalog.CATALOG.values():
        by_lower.setdefault(e.kind.lower(), e)
        by_lower.setdefault(e.display_name.lower(), e)
    wanted = text.strip().lower()
    if wanted in by_lower:
        return by_lower[wanted]
    close = difflib.get_close_matches(wanted, list(by_lower), n=5, cutoff=0.6)
    names = list(dict.fromkeys(by_lower[c].kind for c in close))[:3]
    extra = f"; did you mean {', '.join(names)}?" if names else ""
    raise CLIError(f"unknown layer kind {text!r}{extra} ('{PROG} kinds' lists them)")


def _first_line(doc: str) -> str:
    return " ".join(doc.split())


def _json_value(value) -> str:
    from core.model.params import as_json

    return json.dumps(as_json(value), ensure_ascii=False)


def _accepts(param) -> str:
    """A parameter's range or choices in a few words."""

    def num(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else repr(x)

    if param.type == "choice":
        text = ", ".join(_json_value(c) for c in param.choices)
    elif param.type == "bool":
        text = "true, false"
    elif param.min is not None and param.max is not None:
        low = "(" if param.min_exclusive else "["
        text = f"{low}{num(param.min)}, {num(param.max)}]"
    elif param.min is not None:
        text = f"{'>' if param.min_exclusive else '>='} {num(param.min)}"
    elif param.max is not None:
        text = f"<= {num(param.max)}"
    else:
        text = ""
    if param.type in ("shape", "ints", "size"):
        count = "a list" if param.length is None else f"{param.length} values"
        text = f"{count}, each {text}" if text else count
        if param.type == "size":
            text += ", or one for all"
    if param.optional:
        text += ", or null" if text else "or null"
    return text


def kind_text(entry) -> str:
    """A kind described for a terminal: doc, inputs and outputs, a table of parameters."""
    defaults = entry.params.defaults()
    ports = entry.input_ports(defaults)
    if not ports:
        inputs = "none (a model input: the data comes in here)"
    else:
        inputs = ", ".join(ports)
        if entry.ports is not None:
            inputs += " (with the default parameters)"
    outputs = ", ".join(entry.outputs) if entry.outputs else "none (a model output)"
    title = entry.kind
    if entry.display_name != entry.kind:
        title += f": {entry.display_name}"
    lines = [f"{title} (category {entry.category})", _first_line(entry.doc), ""]
    lines.append(f"inputs:  {inputs}")
    if entry.dtype == "index":
        lines.append("         integer indices (int64)")
    lines += [f"outputs: {outputs}", ""]
    if not len(entry.params):
        lines.append("parameters: none")
        return "\n".join(lines)
    head = ("parameter", "type", "default", "accepts", "")
    rows = [
        (
            p.name,
            p.type,
            _json_value(p.default),
            _accepts(p),
            _first_line(p.doc) + (" (advanced)" if p.advanced else ""),
        )
        for p in entry.params
    ]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(4)]
    lines.append("parameters:")
    for row in (head, *rows):
        cells = [f"{cell:<{w}}" for cell, w in zip(row, widths)]
        lines.append(("  " + "  ".join([*cells, row[4]])).rstrip())
    return "\n".join(lines)


def kind_info(entry) -> dict:
    """A kind as JSON data: what ``kinds --json`` prints."""
    from core.model.params import as_json

    defaults = entry.params.defaults()
    return {
        "kind": entry.kind,
        "display_name": entry.display_name,
        "category": entry.category,
        "doc": entry.doc,
        "inputs": list(entry.input_ports(defaults)),
        "outputs": list(entry.outputs),
        # float32 in; int64 indices in (Embedding); any dtype, kept; none (an Input node)
        "input_dtype": {"float": "float32", "index": "int64", "any": "any"}.get(entry.dtype),
        "params": [
            {
                "name": p.name,
                "type": p.type,
                "default": as_json(p.default),
                "doc": p.doc,
                "min": p.min,
                "max": p.max,
                "min_exclusive": p.min_exclusive,
                "choices": [as_json(c) for c in p.choices] or None,
                "length": p.length,
                "optional": p.optional,
                "advanced": p.advanced,
            }
            for p in entry.params
        ],
    }


# -- export ------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    """Write the export script (and weights beside it when --weights is given)."""
    from core import export
    from core.model.build import build
    from core.train import TrainError, load_weights

    doc = load_project(args.project)
    inference = _checked_model(args.project, doc)
    out = Path(args.output)
    if out.is_dir():
        raise CLIError(f"{args.output}: is a folder; give the script's file name (e.g. model.py)")
    if out.exists() and (out.suffix != ".py" or out.samefile(args.project)):
        # a slip such as `-o model.ember.json` must not replace a project, data or weights
        raise CLIError(
            f"{args.output}: exists and is not a Python script; not overwriting it "
            "(give the script a new name ending in .py)"
        )
    if not out.parent.is_dir():
        raise CLIError(f"{args.output}: the folder {str(out.parent)!r} does not exist")
    model = None
    if args.weights:
        _check_file(args.weights)
        model = build(doc, inference)
        try:
            load_weights(model, args.weights)
        except TrainError as e:
            raise CLIError(
                f"{e}\n  (--weights takes a checkpoint or weights file trained from this project)"
            ) from None
    root = Path(args.project).resolve().parent  # relative dataset paths start there
    try:
        written = export.write(doc, out, args.target, model=model, root=root)
    except export.ExportError as e:  # the exporter says why (and what to do)
        raise CLIError(str(e)) from None
    except OSError as e:
        raise CLIError(f"{args.output}: cannot write: {e.strerror or e}") from None
    for path in written:
        print(path)
    return EXIT_OK


# -- train -------------------------------------------------------------------------------
def cmd_train(args: argparse.Namespace) -> int:
    """Train, reporting progress on stderr and the result on stdout."""
    import core
    from core import train as training

    project = Path(args.project)
    doc = load_project(args.project)
    _checked_model(args.project, doc)
    device = args.device or doc.training["device"]
    if device == "cuda":  # before the data loads: say it at once
        reason = core.cuda.unavailable_reason()
        if reason is not None:
            raise CLIError(f"cannot train on cuda: {reason}\n  (train with --device cpu)")
    if args.resume:
        _check_file(args.resume)
    out_dir = Path(args.out) if args.out else project.with_name(_stem(project) + "-run")
    if out_dir.exists() and not out_dir.is_dir():
        raise CLIError(f"{out_dir}: exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CLIError(f"{out_dir}: cannot create the folder: {e.strerror or e}") from None

    progress = Progress(sys.stderr, quiet=args.quiet)
    control = training.TrainControl()
    interrupted = threading.Event()
    try:
        with _stop_on_interrupt(control, interrupted, progress):
            result = training.train_document(
                doc,
                callbacks=[progress],
                control=control,
                epochs=args.epochs,
                device=device,
                out_dir=out_dir,
                root=project.resolve().parent,
                resume=args.resume,
            )
    except training.TrainError as e:
        progress.finish()
        raise CLIError(_train_error(e)) from None
    progress.finish()

    weights = out_dir / WEIGHTS
    try:
        core.save(result.model.state_dict(), str(weights))
    except OSError as e:
        raise CLIError(f"{weights}: cannot write the weights: {e.strerror or e}") from None
    _print_result(doc, result, out_dir, weights, interrupted.is_set())
    return EXIT_INTERRUPTED if interrupted.is_set() else EXIT_OK


WEIGHTS = "weights.safetensors"


def _stem(path: Path) -> str:
    name = path.name
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else path.stem


def _train_error(e) -> str:
    """A TrainError as lines: what happened (the op and node for a NaN/Inf), the hint, and
    the checkpoint to resume from when there is one."""
    # nothing ran yet (a resume checkpoint that cannot be read fails before the first step)
    before = e.result is None or e.stage in ("setup", "data", "build")
    text = e.message if before else f"training stopped: {e.message}"
    anomaly = getattr(e, "anomaly", None)
    if anomaly is not None:
        described = anomaly.describe()
        if described not in text:
            text += f"\n  {described}"
    if e.hint:
        text += f"\n  hint: {e.hint}"
    ckpt = getattr(e.result, "checkpoint", None) if e.result is not None else None
    if ckpt:
        text += f"\n  last checkpoint: {ckpt}"
    return text


class _stop_on_interrupt:  # noqa: N801 (a context manager used as a statement)
    """While active, the first Ctrl-C asks the trainer to stop (it finishes the step and
    saves a checkpoint); a second one interrupts at once."""

    def __init__(self, control, flag: threading.Event, progress: Progress) -> None:
        self.control, self.flag, self.progress = control, flag, progress
        self.previous = None

    def _handler(self, signum, frame) -> None:
        if self.flag.is_set():
            raise KeyboardInterrupt
        self.flag.set()
        self.control.stop()
        self.progress.note("stopping after this step (Ctrl-C again to abort at once)")

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def goal_status(meta: dict, metrics: dict) -> tuple[str, bool | None]:
    """A line about the project's goal (meta goal_metric/goal/goal_mode) and whether the
    metrics reach it (None when the project states no goal)."""
    name = meta.get("goal_metric") or ""
    if not name:
        return "", None
    goal, mode = float(meta.get("goal", 0.0)), meta.get("goal_mode", "max")
    sign = ">=" if mode == "max" else "<="
    value = metrics.get(name)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"goal {name} {sign} {goal:g}: not reached (the run reported no {name})", False
    reached = value >= goal if mode == "max" else value <= goal
    verdict = "reached" if reached else "not reached"
    return f"goal {name} {sign} {goal:g}: {verdict} ({name} = {value:.4f})", reached


def _print_result(doc, result, out_dir: Path, weights: Path, interrupted: bool) -> None:
    state = "stopped" if interrupted or result.stopped else "finished"
    at = f", at step {result.steps}" if state == "stopped" else ""  # --resume goes on there
    print(f"{state} after {_count(result.epochs, 'epoch')}{at} ({result.seconds:.1f} s)")
    for name, value in result.metrics.items():
        if isinstance(value, (int, float)) and name not in ("epoch", "lr", "seconds"):
            print(f"  {name:<16} {_fmt(name, value)}")
    line, _ = goal_status(doc.meta, result.metrics)
    if line:
        print(line)
    print(f"metrics:    {out_dir / 'metrics.csv'}")
    if result.checkpoint:
        print(f"checkpoint: {result.checkpoint}")
    print(f"weights:    {weights}")


def _fmt(name: str, value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if name == "lr":
        return f"{value:.3g}"
    return f"{value:.4f}"


# -- progress --------------------------------------------------------------------------
def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """A trainer callback drawing progress on ``stream``: one status line redrawn with
    ``\\r`` on a terminal (clipped to its ``columns``), otherwise a plain line at most every
    ``interval`` seconds; and a line of metrics per epoch. ``quiet`` draws nothing."""

    WIDTH = 20  # characters of the bar

    def __init__(
        self,
        stream: TextIO,
        *,
        quiet: bool = False,
        interval: float | None = None,
        columns: int | None = None,
    ) -> None:
        self.stream = stream
        self.columns = columns  # of the terminal (None: ask it)
        self.quiet = quiet
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (0.1 if self.tty else 10.0)
        self.epochs = 0
        self.total_steps = 0
        self.first_step = 0
        self.start = time.perf_counter()
        self.last_draw = self.start
        self.drawn = False  # a status line is on screen (terminal only)

    # -- trainer callbacks -----------------------------------------------------------------
    def on_start(self, info) -> None:
        self.epochs = info.epochs
        self.total_steps = info.total_steps
        self.first_step = info.start_epoch * info.steps_per_epoch
        self.start = self.last_draw = time.perf_counter()
        resumed = (
            f", resumed from {info.resumed} at epoch {info.start_epoch}" if info.resumed else ""
        )
        self.note(f"data: {info.data}")
        self.note(
            f"model: {info.n_params:,} parameters; {info.loss} loss; {info.device}; "
            f"{_count(info.epochs, 'epoch')} of {info.steps_per_epoch} steps "
            f"(batch {info.batch_size}){resumed}"
        )

    def on_step(self, report) -> None:
        if self.quiet:
            return
        now = time.perf_counter()
        if now - self.last_draw < self.interval and report.step < self.total_steps:
            return
        self.last_draw = now
        text = self.step_text(report, now)
        if self.tty:  # one line, clipped to the terminal so that \r redraws it
            text = text[: (self.columns or shutil.get_terminal_size().columns) - 1]
            self.stream.write("\r" + text + "\x1b[K")
            self.stream.flush()
            self.drawn = True
        else:
            self._line(text)

    def on_epoch(self, report) -> None:
        parts = [f"epoch {report.epoch}/{self.epochs}"]
        parts += [f"{k} {_fmt(k, v)}" for k, v in report.metrics.items()]
        parts.append(f"({report.seconds:.1f} s{', best' if report.best else ''})")
        self.note("  ".join(parts))

    # -- drawing ---------------------------------------------------------------------------
    def step_text(self, report, now: float) -> str:
        """The status line of a step: epoch, bar, step, loss, lr, throughput, ETA."""
        total = self.total_steps or report.step
        filled = int(self.WIDTH * min(1.0, report.step / total)) if total else 0
        parts = [
            f"epoch {report.epoch}/{self.epochs}",
            "[" + "#" * filled + "." * (self.WIDTH - filled) + "]",
            f"step {report.step}/{total}",
            f"loss {report.loss:.4f}",
            f"lr {report.lr:.3g}",
            f"{report.samples_per_s:,.0f} samples/s",
        ]
        ran = report.step - self.first_step
        if ran > 0 and total:
            eta = (now - self.start) / ran * max(0, total - report.step)
            parts.append(f"ETA {_duration(eta)}")
        return "  ".join(parts)

    def note(self, text: str) -> None:
        """A line of its own (clearing the status line first)."""
        if not self.quiet:
            self._line(text)

    def finish(self) -> None:
        """Clear the status line."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False

    def _line(self, text: str) -> None:
        self.finish()
        self.stream.write(text + "\n")
        self.stream.flush()


__all__ = ["CLIError", "COMMANDS", "build_parser", "main", "wants_cli"]
