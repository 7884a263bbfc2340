"""Devices: "cpu" always, "cuda" through CuPy when a GPU answers; clear errors otherwise,
and an error naming both devices when an op mixes them."""

import copy
import pickle

import numpy as np
import pytest

import core
from core.tensor import _make

no_gpu = pytest.mark.skipif(core.cuda.is_available(), reason="a usable GPU is present")


def fake_cuda(values):
    """A tensor that claims to live on "cuda" (numpy inside): enough to test mixing."""
    return _make(np.asarray(values, dtype=np.float32), "cuda", False, None)


# -- device objects and names --------------------------------------------------------


def test_cuda_is_available_is_a_bool():
    assert isinstance(core.cuda.is_available(), bool)


def test_device_objects_compare_equal_to_their_names():
    assert core.device("cpu") == "cpu"
    assert core.device("cpu") == core.device("cpu")
    assert core.device("cpu") != "cuda"
    assert core.device("cuda") == "cuda:0"
    assert str(core.device("cpu")) == "cpu"
    assert repr(core.device("cuda")) == "device(type='cuda')"


def test_device_objects_can_be_made_without_a_gpu():
    assert core.device("cuda").type == "cuda"
    assert core.device(core.device("cpu")).type == "cpu"


@pytest.mark.parametrize("spec", ["cpu", "CPU", "cpu:0", core.device("cpu")])
def test_cpu_device_spellings_are_accepted(spec):
    assert core.zeros(1, device=spec).device == "cpu"


@pytest.mark.parametrize("spec", ["tpu", "", "cpu:1", "cuda0", 3.5])
def test_bad_device_strings_raise_value_error(spec):
    with pytest.raises(ValueError, match="device"):
        core.zeros(2, device=spec)


def test_a_second_gpu_index_is_refused_with_a_device_error():
    with pytest.raises(core.DeviceError, match="cuda:0"):
        core.zeros(2, device="cuda:1")


# -- without a GPU -------------------------------------------------------------------


@no_gpu
def test_unavailable_reason_says_why():
    reason = core.cuda.unavailable_reason()
    assert "CuPy" in reason or "GPU" in reason


@no_gpu
@pytest.mark.parametrize(
    "make",
    [
        lambda: core.zeros(2, device="cuda"),
        lambda: core.tensor([1.0], device="cuda"),
        lambda: core.randn(2, device="cuda"),
        lambda: core.tensor([1.0]).to("cuda"),
        lambda: core.tensor([1.0]).cuda(),
    ],
    ids=["zeros", "tensor", "randn", "to", "cuda"],
)
def test_asking_for_cuda_without_a_gpu_raises_a_device_error_that_says_why_and_how(make):
    with pytest.raises(core.DeviceError) as info:
        make()
    message = str(info.value)
    assert "cuda" in message
    assert ("CuPy is not installed" in message) or ("no usable CUDA GPU" in message)
    assert 'device="cpu"' in message  # what to do instead
    assert isinstance(info.value, RuntimeError)


@no_gpu
def test_device_count_is_zero_without_a_gpu():
    assert core.cuda.device_count() == 0


# -- mixing devices ------------------------------------------------------------------


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: b * a,
        lambda a, b: a @ b,
        lambda a, b: core.cat([a, b]),
        lambda a, b: core.maximum(a, b),
    ],
    ids=["add", "rmul", "matmul", "cat", "maximum"],
)
def test_an_op_mixing_devices_names_both(op):
    with pytest.raises(core.DeviceError) as info:
        op(core.tensor([1.0, 2.0]), fake_cuda([1.0, 2.0]))
    message = str(info.value)
    assert "'cpu'" in message and "'cuda'" in message


def test_a_comparison_mixing_devices_names_both():
    with pytest.raises(core.DeviceError, match="'cpu'.*'cuda'"):
        _ = core.tensor([1.0]) < fake_cuda([1.0])


def test_setitem_with_a_value_on_another_device_names_both():
    t = core.zeros(2)
    with pytest.raises(core.DeviceError, match="cuda.*cpu"):
        t[0] = fake_cuda(1.0)


def test_mixing_devices_error_suggests_moving_tensors():
    with pytest.raises(core.DeviceError, match=r"\.to\("):
        core.tensor([1.0]) + fake_cuda([1.0])


def test_assigning_a_grad_on_another_device_raises():
    t = core.zeros(2, requires_grad=True)
    with pytest.raises(core.DeviceError, match="cuda"):
        t.grad = fake_cuda([0.0, 0.0])


# -- with a GPU ----------------------------------------------------------------------


@pytest.mark.gpu
def test_to_cuda_and_back_keeps_values_and_dtype():
    t = core.tensor([[1.5, -2.0], [3.0, 4.25]])
    g = t.to("cuda")
    assert g.device == "cuda"
    assert g.is_cuda
    assert g.dtype is core.float32
    back = g.cpu()
    assert back.device == "cpu"
    assert back.tolist() == t.tolist()


@pytest.mark.gpu
def test_backward_on_cuda_gives_cuda_grads():
    x = core.tensor([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.device == "cuda"
    assert x.grad.cpu().tolist() == [2.0, 4.0, 6.0]


@pytest.mark.gpu
def test_gradient_flows_back_through_a_device_move():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    (x.to("cuda") * 3).sum().backward()
    assert x.grad.device == "cpu"
    assert x.grad.tolist() == [3.0, 3.0]


@pytest.mark.gpu
def test_mixing_a_real_cuda_tensor_with_a_cpu_tensor_names_both():
    with pytest.raises(core.DeviceError) as info:
        core.ones(2) + core.ones(2, device="cuda")
    assert "'cpu'" in str(info.value) and "'cuda'" in str(info.value)


@pytest.mark.gpu
def test_manual_seed_gives_the_same_randn_on_cpu_and_cuda():
    core.manual_seed(7)
    on_cpu = core.randn(3, 4)
    core.manual_seed(7)
    on_cuda = core.randn(3, 4, device="cuda")
    assert on_cuda.device == "cuda"
    np.testing.assert_array_equal(on_cuda.cpu().numpy(), on_cpu.numpy())


@pytest.mark.gpu
def test_cuda_is_available_with_a_gpu():
    assert core.cuda.is_available() is True
    assert core.cuda.device_count() >= 1


# -- devices are singletons, also through pickle and copy ------------------------------


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("name", ["cpu", "cuda"])
def test_a_pickled_device_comes_back_as_the_same_device(name, protocol):
    d = core.device(name)
    assert pickle.loads(pickle.dumps(d, protocol=protocol)) is d
    assert core.device("cpu").type == "cpu" and core.device("cuda").type == "cuda"


def test_unpickling_cuda_leaves_the_cpu_device_alone():
    pickle.loads(pickle.dumps({"device": core.device("cuda")}))
    copy.deepcopy([core.device("cuda")])
    assert core.device("cpu").type == "cpu"
    assert core.device("cpu") == "cpu" and core.device("cpu") != "cuda"
    assert core.ones(2).device == "cpu"


@pytest.mark.parametrize("name", ["cpu", "cuda"])
def test_copying_a_device_gives_the_device_itself(name):
    d = core.device(name)
    assert copy.copy(d) is d and copy.deepcopy(d) is d
