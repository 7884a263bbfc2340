"""core.save / core.load: the safetensors format written by hand, nested structures without
pickle, atomic saves, interoperability with the safetensors library, and validation of
hostile files (every malformed file is a ValueError naming the file)."""

import io
import json
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import core
from core.serialization import load, save

ALL_DTYPES = [
    core.float16, core.float32, core.float64, core.uint8, core.int8, core.int16,
    core.int32, core.int64, core.bool,
]  # fmt: skip


def _roundtrip(obj, **kw):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf, **kw)


def _file_bytes(header: dict, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


# -- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_tensor_round_trip_keeps_dtype_shape_and_values(dtype):
    t = (core.arange(12).reshape(3, 4) % 3).to(dtype)
    back = _roundtrip(t)
    assert back.dtype is dtype and back.shape == (3, 4)
    np.testing.assert_array_equal(back.numpy(), t.numpy())


def test_scalars_empty_and_non_contiguous_tensors():
    assert _roundtrip(core.tensor(2.5)).shape == ()
    assert _roundtrip(core.tensor(2.5)).item() == 2.5
    assert _roundtrip(core.zeros(0, 3)).shape == (0, 3)
    base = core.arange(12.0).reshape(3, 4)
    back = _roundtrip({"t": base.t(), "col": base[:, 1]})
    np.testing.assert_array_equal(back["t"].numpy(), base.numpy().T)
    assert back["col"].tolist() == [1.0, 5.0, 9.0]


def test_views_share_nothing_after_load():
    base = core.arange(6.0)
    back = _roundtrip([base, base[2:4], base])
    back[1].add_(100.0)
    back[0].add_(1000.0)
    assert back[2].tolist() == base.tolist()
    assert back[1].tolist() == [102.0, 103.0]


def test_optimizer_style_state_dict_keeps_int_keys_tuples_and_python_values():
    state = {
        "state": {0: {"step": core.tensor(3.0), "exp_avg": core.ones(2, 2)}, 2: {}},
        "param_groups": [
            {
                "lr": 0.001,
                "betas": (0.9, 0.999),
                "eps": 1e-08,
                "weight_decay": 0,
                "amsgrad": False,
                "foreach": None,
                "params": [0, 1, 2],
                "name": "g0",
            }
        ],
        (1, "x"): [float("inf"), float("-inf"), True, -7, 2**70],
        None: "none key",
        1.5: core.float64,
        "device": core.device("cpu"),
        "numpy": np.arange(3, dtype=np.int16),
    }
    back = _roundtrip(state)
    assert list(back) == list(state)
    assert back["state"][0]["step"].shape == () and back["state"][0]["step"].item() == 3.0
    assert back["state"][0]["exp_avg"].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert back["state"][2] == {}
    assert back["param_groups"] == state["param_groups"]
    assert isinstance(back["param_groups"][0]["betas"], tuple)
    assert back[(1, "x")] == [float("inf"), float("-inf"), True, -7, 2**70]
    assert back[None] == "none key" and back[1.5] is core.float64
    assert back["device"] == core.device("cpu")
    assert isinstance(back["numpy"], np.ndarray) and back["numpy"].dtype == np.int16
    nan = _roundtrip({"x": float("nan")})["x"]
    assert nan != nan


def test_ordered_dicts_and_requires_grad_survive():
    sd = OrderedDict([("w", core.randn(2, 2, requires_grad=True)), ("b", core.zeros(2))])
    back = _roundtrip(sd)
    assert type(back) is OrderedDict and list(back) == ["w", "b"]
    assert back["w"].requires_grad and back["w"].is_leaf and not back["b"].requires_grad


def test_unsupported_objects_are_type_errors_and_cycles_value_errors():
    with pytest.raises(TypeError, match=r"cannot save object at a\.0"):
        _roundtrip({"a": [object()]})
    with pytest.raises(TypeError, match="dict key"):
        _roundtrip({core.zeros(1): 1})
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="cycle"):
        _roundtrip(loop)


# -- files ---------------------------------------------------------------------------------


def test_save_to_a_path_is_atomic_and_leaves_no_temporary_files(tmp_path):
    p = tmp_path / "model.pt"
    save({"w": core.ones(3)}, p)
    save({"w": core.zeros(3)}, str(p))  # overwrite
    assert load(p)["w"].tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(TypeError):
        save({"w": object()}, p)  # fails before writing: the old file stays intact
    assert load(p)["w"].tolist() == [0.0, 0.0, 0.0]
    assert os.listdir(tmp_path) == ["model.pt"]


def test_load_from_a_non_seekable_stream():
    buf = io.BytesIO()
    save({"a": core.arange(4)}, buf)

    class Pipe:
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def read(self, n=-1):
            return self._b.read(n)

    assert load(Pipe(buf.getvalue()))["a"].tolist() == [0, 1, 2, 3]


def test_load_starts_at_the_file_objects_position():
    buf = io.BytesIO(b"prefix")
    buf.seek(6)
    save(core.tensor([1, 2]), buf)
    buf.seek(6)
    assert load(buf).tolist() == [1, 2]


def test_map_location_forms():
    t = core.ones(2)
    assert _roundtrip(t, map_location="cpu").device == "cpu"
    assert _roundtrip(t, map_location=core.device("cpu")).device == "cpu"
    assert _roundtrip(t, map_location={"cuda": "cpu"}).device == "cpu"
    with pytest.raises(TypeError, match="map_location"):
        _roundtrip(t, map_location=3)


def test_map_location_callable_like_torch():
    sd = {"w": core.arange(3.0), "nested": [core.ones(2, requires_grad=True)]}
    seen = []

    def fn(t, location):
        seen.append((tuple(t.shape), t.device, location))
        return t * 2

    back = _roundtrip(sd, map_location=fn)
    assert back["w"].tolist() == [0.0, 2.0, 4.0] and back["nested"][0].tolist() == [2.0, 2.0]
    assert seen == [((3,), "cpu", "cpu"), ((2,), "cpu", "cpu")]
    assert back["nested"][0].requires_grad
    kept = _roundtrip(sd, map_location=lambda storage, loc: storage)
    assert kept["w"].device == "cpu" and kept["w"].tolist() == [0.0, 1.0, 2.0]
    assert _roundtrip(core.ones(2), map_location=lambda t, loc: None).tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match=r"map_location\(Tensor, 'cpu'\) returned int"):
        _roundtrip(core.ones(2), map_location=lambda t, loc: 3)

    def broken(t, loc):
        raise KeyError("from the user's function")

    with pytest.raises(KeyError, match="from the user's function"):
        _roundtrip(core.ones(2), map_location=broken)


def test_map_location_callable_on_a_plain_safetensors_file():
    raw = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    buf = io.BytesIO(struct.pack("<Q", len(raw)) + raw + np.array([1, 2], "<f4").tobytes())
    calls = []
    back = load(buf, map_location=lambda t, loc: calls.append(loc) or t + 1)
    assert back["a"].tolist() == [2.0, 3.0] and calls == ["cpu"]
    buf.seek(0)
    with pytest.raises(TypeError, match="returned str"):
        load(buf, map_location=lambda t, loc: "cuda")


@pytest.mark.gpu
def test_cuda_tensors_are_saved_from_host_copies_and_mapped_back():
    t = core.arange(6.0).reshape(2, 3).to("cuda")
    buf = io.BytesIO()
    save({"t": t}, buf)
    buf.seek(0)
    back = load(buf)
    assert back["t"].device == "cuda"
    np.testing.assert_array_equal(back["t"].cpu().numpy(), t.cpu().numpy())
    buf.seek(0)
    assert load(buf, map_location="cpu")["t"].device == "cpu"


# -- interoperability with the safetensors library -----------------------------------------


def test_flat_dict_saved_by_core_loads_in_safetensors(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    sd = {"layer.weight": core.randn(3, 4), "layer.bias": core.zeros(4), "steps": core.tensor([7])}
    save(sd, tmp_path / "m.safetensors")
    loaded = st.load_file(str(tmp_path / "m.safetensors"))
    assert set(loaded) == set(sd)
    for k, t in sd.items():
        np.testing.assert_array_equal(loaded[k], t.numpy())
        assert loaded[k].dtype == t.numpy().dtype


def test_safetensors_files_load_as_a_dict_of_tensors(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    arrays = {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "mask": np.array([True, False]),
        "h": np.array([1.5], dtype=np.float16),
        "u32": np.array([1, 2**31 + 5], dtype=np.uint32),
    }
    st.save_file(arrays, str(tmp_path / "x.safetensors"), metadata={"format": "np"})
    back = load(tmp_path / "x.safetensors")
    assert set(back) == set(arrays)
    assert back["u32"].dtype is core.int64 and back["u32"].tolist() == [1, 2**31 + 5]
    for k in ("a", "mask", "h"):
        np.testing.assert_array_equal(back[k].numpy(), arrays[k])


def test_bfloat16_from_torch_safetensors_loads_as_float32(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    t = torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16)
    st.save_file({"w": t}, str(tmp_path / "b.safetensors"))
    back = load(tmp_path / "b.safetensors")["w"]
    assert back.dtype is core.float32 and back.tolist() == [1.0, -2.5, 3.140625]


# -- validation of malformed files ---------------------------------------------------------


def _load_bytes(data: bytes, name="bad.pt"):
    buf = io.BytesIO(data)
    buf.name = name
    return load(buf)


def _one(dtype, shape, offsets, data=b""):
    return _file_bytes({"a": {"dtype": dtype, "shape": shape, "data_offsets": offsets}}, data)


def _meta(structure):
    return _file_bytes({"__metadata__": {"ember": structure}})


OVERLAP = _file_bytes(
    {
        "a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
        "b": {"dtype": "U8", "shape": [2], "data_offsets": [1, 3]},
    },
    b"xyz",
)


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "too short"),
        (b"\x01\x02\x03", "too short"),
        (struct.pack("<Q", 10**6) + b"{}", "header length 1000000 is impossible"),
        (struct.pack("<Q", 4) + b"{{{{", "not valid JSON"),
        (struct.pack("<Q", 4) + b"\xff\xfe{}", "not valid JSON"),
        (struct.pack("<Q", 2) + b"[]", "expected an object"),
        (_one("Q8", [1], [0, 1], b"x"), "dtype 'Q8'"),
        (_one("F32", [2], [0, 4], b"\0" * 4), "needs 8 bytes"),
        (_one("F32", [1], [4, 8], b"\0" * 4), "run past the end"),
        (_one("U8", [-1], [0, 0]), "shape"),
        (_one("U8", [1], [True, 1], b"x"), "data_offsets"),
        (_one("U8", [1], [1, 0], b"x"), "data_offsets"),
        (OVERLAP, "overlap"),
        (_file_bytes({"a": 5}), "expected an object with dtype"),
        (_meta('{"T": "missing"}'), "does not hold"),
        (_meta('{"tuple": 5}'), "malformed"),
        (_meta('{"dict": [[[1], 2]]}'), "malformed"),
        (_meta("[" * 100000), "bad.pt"),
        (_meta("not json"), "bad.pt"),
        (_file_bytes({"__metadata__": {"ember": 5}}), "__metadata__ must map names to strings"),
    ],
)
def test_malformed_files_raise_value_errors_naming_the_file(data, match):
    with pytest.raises(ValueError, match=match) as info:
        _load_bytes(data)
    assert "bad.pt" in str(info.value)


def _zip_bytes(names) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, b"\x80\x02}q\x00.")
    return buf.getvalue()


@pytest.mark.parametrize(
    "data, match",
    [
        (
            _zip_bytes(["archive/data.pkl", "archive/version"]),
            r"bad\.pt is a PyTorch checkpoint \(a pickle inside a zip archive\); core\.load "
            r"reads only safetensors files and never unpickles\. Convert it once",
        ),
        (b"PK\x03\x04" + b"\x00" * 40, "PyTorch checkpoint"),  # unreadable zip
        (pickle.dumps({"w": [1.0]}, protocol=2), r"a Python pickle .*save_file\(torch\.load"),
        (pickle.dumps({"w": [1.0]}, protocol=5), "never unpickles"),
        (_zip_bytes(["x.npy", "y.npy"]), r"NumPy \.npz archive"),
        (_zip_bytes(["readme.txt"]), r"a zip archive \(holding readme\.txt\)"),
    ],
    ids=["torch-zip", "broken-zip", "pickle-2", "pickle-5", "npz", "other-zip"],
)
def test_foreign_formats_are_named(data, match):
    with pytest.raises(ValueError, match=match):
        _load_bytes(data)


def test_real_pytorch_checkpoints_say_how_to_convert(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    sd = torch.nn.Linear(3, 2).state_dict()
    torch.save(sd, tmp_path / "m.pt")
    with pytest.raises(ValueError, match=r"m\.pt is a PyTorch checkpoint \(a pickle inside") as e:
        load(tmp_path / "m.pt")
    assert "weights_only=True" in str(e.value) and "header length" not in str(e.value)
    torch.save(sd, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match=r"old\.pt is a PyTorch checkpoint in the legacy"):
        load(tmp_path / "old.pt")
    # the conversion the message gives works
    st.save_file(torch.load(tmp_path / "m.pt", weights_only=True), str(tmp_path / "m.st"))
    back = load(tmp_path / "m.st")
    np.testing.assert_array_equal(back["weight"].numpy(), sd["weight"].numpy())


def test_malformed_file_on_disk_names_its_path(tmp_path):
    p = tmp_path / "broken.pt"
    p.write_bytes(b"garbage that is not safetensors")
    with pytest.raises(ValueError, match=r"broken\.pt"):
        load(p)


def _valid_file() -> bytes:
    buf = io.BytesIO()
    save(
        {"w": core.arange(6.0).reshape(2, 3), "meta": {3: (1, "x")}, "m": core.tensor([True])}, buf
    )
    return buf.getvalue()


def _load_or_value_error(data: bytes) -> None:
    """The only acceptable outcomes: a loaded object or a ValueError naming the file."""
    try:
        _load_bytes(data)
    except ValueError as exc:
        assert "bad.pt" in str(exc), str(exc)


def test_fuzz_every_truncation_of_a_valid_file():
    data = _valid_file()
    assert _load_bytes(data)["meta"] == {3: (1, "x")}
    for n in range(len(data)):
        with pytest.raises(ValueError, match="bad.pt"):
            _load_bytes(data[:n])


def test_fuzz_random_byte_flips_and_garbage():
    data = _valid_file()
    rng = np.random.default_rng(0)
    for _ in range(400):
        mutated = bytearray(data)
        for pos in rng.integers(0, len(data), size=int(rng.integers(1, 4))):
            mutated[pos] = int(rng.integers(0, 256))
        _load_or_value_error(bytes(mutated))
    for _ in range(100):
        garbage = rng.integers(0, 256, size=int(rng.integers(0, 64)), dtype=np.uint8).tobytes()
        with pytest.raises(ValueError):
            _load_bytes(garbage)
        header = struct.pack("<Q", len(garbage)) + garbage
        with pytest.raises(ValueError):
            _load_bytes(header)


def test_fuzz_corrupted_header_json_and_offsets():
    data = _valid_file()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    rng = np.random.default_rng(1)
    values = [None, -1, 2**64, 1.5, "x", [], {}, [0], [5, 2], [0, 10**9], True]
    for _ in range(300):
        h = json.loads(json.dumps(header))
        name = str(rng.choice([k for k in h if k != "__metadata__"]))
        field = str(rng.choice(["dtype", "shape", "data_offsets"]))
        h[name][field] = values[int(rng.integers(len(values)))]
        raw = json.dumps(h).encode()
        _load_or_value_error(struct.pack("<Q", len(raw)) + raw + data[8 + n :])
