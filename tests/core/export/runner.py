"""Run exported scripts in a fresh process: ``python runner.py MANIFEST.json``.

The manifest is a list of cases ``{"script", "target": "core"|"pytorch", "class",
"weights" (optional), "inputs" (npy paths, optional), "outputs" (a path prefix),
"data" (optional: also call load_data())}``. Each script is imported (not run as
__main__), its model class built, the weights loaded, and the model run on the inputs in
eval mode; outputs are saved as ``<prefix>out0.npy``, ``<prefix>out1.npy``, ...; with
"data", load_data()'s arrays as ``<prefix>train_x.npy`` etc.
"""

import importlib.util
import json
import sys

import numpy as np


def load_module(path: str, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def arrays(part, target: str):
    """(x, y) numpy arrays of a load_data() part (a dataset for core, arrays for PyTorch)."""
    if part is None:
        return None
    if target == "core":
        return part.numpy()
    return part


def run(case: dict, index: int) -> None:
    target = case["target"]
    module = load_module(case["script"], f"exported_{index}")
    if target == "core":
        import core as lib
    else:
        import torch as lib
    model = getattr(module, case["class"])()
    if case.get("weights"):
        if target == "core":
            state = lib.load(case["weights"])
        else:
            state = module.load_safetensors(case["weights"])
        model.load_state_dict(state)
    model.eval()
    prefix = case["outputs"]
    if case.get("inputs"):
        inputs = [lib.from_numpy(np.load(p)) for p in case["inputs"]]
        with lib.no_grad():
            outputs = model(*inputs)
        if not isinstance(outputs, tuple):
            outputs = (outputs,)
        for k, out in enumerate(outputs):
            np.save(f"{prefix}out{k}.npy", out.detach().cpu().numpy())
    if case.get("data"):
        train, val, classes = module.load_data()
        for part, data in (("train", arrays(train, target)), ("val", arrays(val, target))):
            if data is None:
                continue
            x, y = data
            np.save(f"{prefix}{part}_x.npy", x)
            np.save(f"{prefix}{part}_y.npy", y)
        with open(f"{prefix}classes.json", "w") as f:
            json.dump(classes, f)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    for i, case in enumerate(cases):
        run(case, i)
    print(f"ran {len(cases)} cases")
