"""Run an exported script's model on a batch, in a process of its own (the parity check).

    python _parity_runner.py SCRIPT BATCH.npz OUT.npz [--weights W] [--class-name C]
                             [--target core|pytorch]

Imports numpy and the exported script, nothing else of Ember: the script is loaded from its
file under a private module name (so its ``main()`` does not run), its model class built,
the weights loaded with the script's own loader (``core.load`` or ``load_safetensors``),
and the model run in eval mode without gradients on the batch's ``x0``, ``x1``, ...
The outputs go to OUT as ``out0``, ``out1``, ... On any failure the exit status is 1 and
stderr holds one line that says why. Run as a file, not as a module of ``core``.
"""

import argparse
import importlib.util
import os
import re
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # the folder that holds Ember's ``core``
MODULE_NAME = "_ember_parity_exported"


class Failure(Exception):
    """A reason the check could not run, told on one line."""


def _parse(argv):
    p = argparse.ArgumentParser(description="run an exported model on a batch")
    p.add_argument("script")
    p.add_argument("batch")
    p.add_argument("out")
    p.add_argument("--weights", default=None)
    p.add_argument("--class-name", default=None)
    p.add_argument("--target", choices=("core", "pytorch"), default=None)
    return p.parse_args(argv)


def _target_of(source: str) -> str:
    """ "pytorch" when the script imports torch, else "core"."""
    return "pytorch" if re.search(r"^import torch\b", source, re.MULTILINE) else "core"


def _failed_import(error: ImportError, path: str) -> str:
    """The top-level package whose import in the script's own lines failed ("" if none)."""
    missing = (getattr(error, "name", None) or "").split(".")[0]
    script = os.path.abspath(path)
    frames = traceback.extract_tb(error.__traceback__)
    own = [f.line or "" for f in frames if os.path.abspath(f.filename) == script]
    if own:
        found = re.match(r"\s*(?:import|from)\s+(\w+)", own[-1])
        if found:
            return found.group(1)
    return missing


def _load(path: str, target: str):
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise Failure(f"{path} cannot be loaded as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module  # dataclasses and pickling look modules up there
    try:
        spec.loader.exec_module(module)
    except ImportError as e:
        lib = _failed_import(e, path)
        if lib == "torch" and target == "pytorch":
            raise Failure(
                f"PyTorch is not installed for {sys.executable}: the PyTorch script was "
                "written but could not be checked"
            ) from e
        if lib == "core" and target == "core":
            raise Failure(
                f"Ember's core library cannot be imported by {sys.executable}: the script "
                "was written but could not be checked"
            ) from e
        raise Failure(f"importing {os.path.basename(path)} failed: {e}") from e
    return module


def _model_class(module, name):
    if name:
        cls = getattr(module, name, None)
        if cls is None:
            raise Failure(f"the script defines no class {name}")
        return cls
    found = [
        v
        for v in vars(module).values()
        if isinstance(v, type) and v.__module__ == MODULE_NAME and hasattr(v, "forward")
    ]
    if len(found) != 1:
        raise Failure(f"cannot tell the model class among {len(found)} classes; name it")
    return found[0]


def run(args) -> None:
    import numpy as np

    with open(args.script, encoding="utf-8") as f:
        target = args.target or _target_of(f.read())
    with np.load(args.batch, allow_pickle=False) as npz:
        batch = [npz[f"x{i}"] for i in range(len(npz.files))]
    module = _load(args.script, target)
    lib = getattr(module, "torch" if target == "pytorch" else "core", None)
    if lib is None:
        raise Failure(f"the script does not import {'torch' if target == 'pytorch' else 'core'}")
    model = _model_class(module, args.class_name)()
    if args.weights:
        if target == "pytorch":
            state = module.load_safetensors(args.weights)
        else:
            state = lib.load(args.weights)
        model.load_state_dict(state)
    model.train(False)  # evaluation mode (dropout off, running batch-norm statistics)
    if target == "pytorch":
        inputs = [lib.from_numpy(np.ascontiguousarray(x)) for x in batch]
    else:
        inputs = [lib.tensor(x) for x in batch]
    with lib.no_grad():
        outputs = model(*inputs)
    if not isinstance(outputs, tuple | list):
        outputs = (outputs,)
    arrays = {f"out{k}": np.asarray(o.detach().cpu().numpy()) for k, o in enumerate(outputs)}
    with open(args.out, "wb") as f:
        np.savez(f, **arrays)


def main(argv=None) -> int:
    """Run the check; 0 on success, 1 with a one-line reason on stderr."""
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == HERE:
        del sys.path[0]  # this folder's modules (data.py, ...) must not shadow others
    if ROOT not in sys.path:
        sys.path.append(ROOT)  # so a core script finds the core library it was written for
    args = _parse(argv)
    try:
        run(args)
    except Failure as e:
        reason = str(e)
    except Exception as e:  # noqa: BLE001 - any failure of the user's script is the answer
        reason = f"{type(e).__name__}: {e}"
    else:
        return 0
    sys.stderr.write(" ".join(reason.split()) + "\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
