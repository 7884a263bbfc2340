"""core.nn.Module, Parameter and the containers behave as PyTorch's do."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import core
from core.nn import Module, ModuleDict, ModuleList, Parameter, ParameterList, Sequential


class Affine(Module):
    """A tiny layer written only against Module, so these tests need no library layer."""

    def __init__(self, n_in: int, n_out: int, bias: bool = True) -> None:
        super().__init__()
        self.weight = Parameter(core.randn(n_out, n_in, dtype=core.float64))
        if bias:
            self.bias = Parameter(core.zeros(n_out, dtype=core.float64))
        else:
            self.register_parameter("bias", None)
        self.register_buffer("calls", core.zeros((), dtype=core.int64))
        self.register_buffer("scratch", core.zeros(2), persistent=False)

    def forward(self, x):
        self.calls += 1
        y = x @ self.weight.t()
        return y if self.bias is None else y + self.bias

    def extra_repr(self) -> str:
        return f"{self.weight.shape[1]}, {self.weight.shape[0]}, bias={self.bias is not None}"


class Net(Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = Sequential(Affine(2, 3), Affine(3, 4, bias=False))
        self.head = Affine(4, 1)

    def forward(self, x):
        return self.head(self.encoder(x))


# -- Parameter ---------------------------------------------------------------------------
def test_parameter_is_a_leaf_that_requires_grad_and_shares_memory():
    data = core.zeros(3)
    p = Parameter(data)
    assert isinstance(p, core.Tensor) and p.requires_grad and p.is_leaf
    data[0] = 5.0
    assert p[0].item() == 5.0
    assert not Parameter(core.ones(2), requires_grad=False).requires_grad
    assert repr(Parameter(core.tensor([1.0, 2.0]))).startswith("Parameter containing:\ntensor(")


def test_parameter_of_integers_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        Parameter(core.tensor([1, 2]))


def test_ops_on_parameters_give_plain_tensors():
    p = Parameter(core.ones(2))
    assert type(p * 2) is core.Tensor
    assert type(p.detach()) is core.Tensor


# -- registration ------------------------------------------------------------------------
def test_named_parameters_buffers_and_modules_in_registration_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "encoder.0.weight",
        "encoder.0.bias",
        "encoder.1.weight",
        "head.weight",
        "head.bias",
    ]
    assert [n for n, _ in net.named_buffers()] == [
        "encoder.0.calls",
        "encoder.0.scratch",
        "encoder.1.calls",
        "encoder.1.scratch",
        "head.calls",
        "head.scratch",
    ]
    assert [n for n, _ in net.named_modules()] == ["", "encoder", "encoder.0", "encoder.1", "head"]
    assert [n for n, _ in net.named_children()] == ["encoder", "head"]
    assert len(list(net.parameters(recurse=False))) == 0
    assert net.get_submodule("encoder.1") is net.encoder[1]
    assert net.get_parameter("head.bias") is net.head.bias


def test_shared_parameters_and_modules_are_listed_once():
    a = Affine(2, 2)
    net = Sequential(a, a)
    assert len(list(net.parameters())) == 2
    assert len(list(net.modules())) == 2
    net2 = Sequential(Affine(2, 2), Affine(2, 2))
    net2[1].weight = net2[0].weight
    assert len(list(net2.parameters())) == 3


def test_reassigning_an_attribute_changes_its_kind():
    m = Affine(2, 2)
    m.weight = None  # a declared parameter may become None
    assert "weight" not in dict(m.named_parameters())
    m.weight = Affine(1, 1)  # now a submodule
    assert "weight" in dict(m.named_children())
    m.weight = Parameter(core.ones(1))
    assert "weight" in dict(m.named_parameters()) and "weight" not in dict(m.named_children())
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.weight = core.ones(1)  # a plain tensor can't replace a parameter
    del m.weight
    assert not hasattr(m, "weight")


def test_assigning_before_init_and_bad_names_are_clear_errors():
    class Broken(Module):
        def __init__(self):
            self.w = Parameter(core.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()
    m = Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", core.ones(1))
    with pytest.raises(TypeError, match="not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("w", _non_leaf_parameter())
    with pytest.raises(AttributeError, match="has no submodule `nope`"):
        Net().get_submodule("encoder.nope")


def _non_leaf_parameter():
    p = Parameter(core.ones(2))
    q = Parameter(core.ones(2), requires_grad=False)
    q._grad_fn = (p * 2)._grad_fn  # a Parameter that some op produced
    return q


def test_plain_attributes_stay_plain():
    m = Module()
    m.size = 3
    m.t = core.ones(2)  # a plain tensor attribute is neither parameter nor buffer
    assert m.size == 3 and list(m.parameters()) == [] and list(m.buffers()) == []


# -- modes, grads, apply ------------------------------------------------------------------
def test_train_and_eval_reach_every_submodule():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("no")


def test_zero_grad_sets_to_none_or_zeroes_in_place():
    net = Net()
    net(core.randn(5, 2, dtype=core.float64)).sum().backward()
    grad = net.head.weight.grad
    net.zero_grad(set_to_none=False)
    assert net.head.weight.grad is grad and np.all(grad.numpy() == 0)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_apply_visits_children_before_parents():
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Affine", "Affine", "Sequential", "Affine", "Net"]


def test_requires_grad_toggles_every_parameter():
    net = Net().requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


# -- device and dtype ---------------------------------------------------------------------
def test_to_dtype_keeps_parameter_objects_and_converts_grads():
    net = Net()
    params = list(net.parameters())
    net(core.randn(3, 2, dtype=core.float64)).sum().backward()
    assert net.float() is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == core.float32 and p.grad.dtype == core.float32 for p in params)
    assert net.head.calls.dtype == core.int64  # integer buffers keep their dtype
    assert net.head.scratch.dtype == core.float32
    net.to(dtype=core.float64)
    assert net.head.weight.dtype == core.float64
    with pytest.raises(TypeError, match="floating point dtypes"):
        net.to(core.int32)


def test_to_cuda_without_gpu_is_a_clear_error():
    if core.cuda.is_available():
        pytest.skip("a GPU answers here")
    with pytest.raises(core.DeviceError):
        Net().to("cuda")


# -- state dict ---------------------------------------------------------------------------
def test_state_dict_holds_parameters_and_persistent_buffers_detached_but_shared():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == [
        "encoder.0.weight",
        "encoder.0.bias",
        "encoder.0.calls",
        "encoder.1.weight",
        "encoder.1.calls",
        "head.weight",
        "head.bias",
        "head.calls",
    ]
    assert not sd["head.weight"].requires_grad
    sd["head.weight"][0, 0] = 42.0
    assert net.head.weight[0, 0].item() == 42.0
    assert net.state_dict(keep_vars=True)["head.weight"] is net.head.weight


def test_load_state_dict_round_trip_copies_values():
    a, b = Net(), Net()
    a(core.randn(2, 2, dtype=core.float64))  # changes the call-count buffers
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        np.testing.assert_array_equal(pa.numpy(), pb.numpy(), err_msg=name)
    b.head.weight.data[0, 0] = 7.0
    assert a.head.weight[0, 0].item() != 7.0  # copied, not shared


def test_load_state_dict_reports_missing_unexpected_and_mismatched_keys():
    net = Net()
    sd = net.state_dict()
    del sd["head.bias"]
    sd["head.extra"] = core.zeros(1)
    sd["encoder.0.weight"] = core.zeros(2, 2, dtype=core.float64)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(sd)
    msg = str(err.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "head.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "head.extra".' in msg
    assert "size mismatch for encoder.0.weight: copying a param with shape" in msg
    assert "[2, 2]" in msg and "[3, 2]" in msg


def test_non_strict_load_returns_the_keys_but_still_rejects_shape_mismatch():
    net = Net()
    sd = net.state_dict()
    del sd["head.bias"]
    sd["junk"] = core.zeros(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["junk"]
    sd["head.weight"] = core.zeros(3)
    with pytest.raises(RuntimeError, match="size mismatch for head.weight"):
        net.load_state_dict(sd, strict=False)


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="dict-like"):
        Net().load_state_dict([1, 2])


def test_loading_does_not_record_history():
    net = Net()
    net.load_state_dict(Net().state_dict())
    assert all(p.is_leaf and p.grad_fn is None for p in net.parameters())


# -- calling, hooks and scopes ------------------------------------------------------------
def test_forward_hooks_can_replace_args_and_output_and_be_removed():
    m = Affine(2, 2)
    x = core.ones(1, 2, dtype=core.float64)
    pre = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    post = m.register_forward_hook(lambda mod, args, out: out + 1)
    np.testing.assert_allclose(m(x).detach().numpy(), m.bias.detach().numpy()[None] + 1)
    pre.remove()
    post.remove()
    expected = x.numpy() @ m.weight.detach().numpy().T + m.bias.detach().numpy()
    np.testing.assert_allclose(m(x).detach().numpy(), expected)


def test_every_module_call_pushes_its_qualified_name_as_a_scope():
    net = Net()
    with core.graph.record() as g:
        net(core.randn(4, 2, dtype=core.float64))
    scopes = {n.scope for n in g.nodes if n.kind == "op"}
    assert scopes == {"encoder.0", "encoder.1", "head"}
    assert core.graph.current_scope() == ""


def test_scope_is_restored_when_forward_raises():
    net = Net()
    with pytest.raises(Exception):  # noqa: B017 - any shape error will do
        net(core.randn(4, 7, dtype=core.float64))
    assert core.graph.current_scope() == ""


# -- repr ---------------------------------------------------------------------------------
def test_repr_nests_like_pytorch():
    assert repr(Net()) == (
        "Net(\n"
        "  (encoder): Sequential(\n"
        "    (0): Affine(2, 3, bias=True)\n"
        "    (1): Affine(3, 4, bias=False)\n"
        "  )\n"
        "  (head): Affine(4, 1, bias=True)\n"
        ")"
    )
    assert repr(Module()) == "Module()"


# -- containers ---------------------------------------------------------------------------
def test_sequential_indexing_slicing_and_editing():
    a, b, c = Affine(2, 2), Affine(2, 2), Affine(2, 2)
    seq = Sequential(a, b)
    assert seq[0] is a and seq[-1] is b and len(seq) == 2 and list(seq) == [a, b]
    assert isinstance(seq[1:], Sequential) and seq[1:][0] is b
    seq.append(c)
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    del seq[0]
    assert [n for n, _ in seq.named_children()] == ["0", "1"] and seq[0] is b
    seq.insert(0, a)
    assert list(seq) == [a, b, c]
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    named = Sequential(OrderedDict(first=a, second=b))
    assert named.first is a and [n for n, _ in named.named_children()] == ["first", "second"]


def test_sequential_chains_its_modules():
    seq = Sequential(Affine(2, 3), Affine(3, 1))
    x = core.randn(5, 2, dtype=core.float64)
    np.testing.assert_allclose(seq(x).detach().numpy(), seq[1](seq[0](x)).detach().numpy())


def test_module_list_and_dict_register_their_members():
    layers = ModuleList([Affine(2, 2) for _ in range(3)])
    layers.append(Affine(2, 1))
    assert len(layers) == 4 and len(list(layers.parameters())) == 8
    assert isinstance(layers[1:3], ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2"]
    heads = ModuleDict({"cls": Affine(2, 3), "reg": Affine(2, 1)})
    assert list(heads) == ["cls", "reg"] and "cls" in heads
    assert [n for n, _ in heads.named_parameters()][:2] == ["cls.weight", "cls.bias"]
    heads["extra"] = Affine(1, 1)
    assert len(heads) == 3 and heads.pop("extra").weight.shape == (1, 1)


def test_parameter_list_wraps_tensors():
    params = ParameterList([core.ones(2), Parameter(core.zeros(3))])
    assert all(isinstance(p, Parameter) for p in params)
    assert [n for n, _ in params.named_parameters()] == ["0", "1"]


# -- copies -------------------------------------------------------------------------------
def test_deepcopy_gives_an_independent_module():
    net = Net()
    twin = copy.deepcopy(net)
    assert isinstance(twin.head.weight, Parameter) and twin.head.weight.requires_grad
    with core.no_grad():
        twin.head.weight.fill_(0.0)
    assert not np.all(net.head.weight.detach().numpy() == 0)
    assert repr(twin) == repr(net)


def test_deepcopy_of_a_non_leaf_tensor_is_refused():
    x = core.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x)


def test_module_list_repr_folds_runs_of_identical_members():
    layers = ModuleList([Affine(2, 2), Affine(2, 2), Sequential(), Affine(2, 2)])
    assert repr(layers) == (
        "ModuleList(\n"
        "  (0-1): 2 x Affine(2, 2, bias=True)\n"
        "  (2): Sequential()\n"
        "  (3): Affine(2, 2, bias=True)\n"
        ")"
    )
    assert repr(ModuleList()) == "ModuleList()"


class _Stack(Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = ModuleList([Affine(2, 2), Affine(2, 2)])
        self.heads = ModuleDict({"cls": Affine(2, 3)})
        self.nested = ModuleList([ModuleList([Affine(2, 2)])])

    def forward(self, x):
        for layer in self.enc:
            x = layer(x)
        return self.heads["cls"](self.nested[0][0](x))


def test_scopes_of_modules_in_lists_and_dicts_carry_the_container_name():
    net = Sequential(OrderedDict(body=_Stack()))
    with core.graph.record() as g:
        net(core.randn(3, 2, dtype=core.float64))
    scopes = {n.scope for n in g.nodes if n.kind == "op"}
    assert scopes == {"body.enc.0", "body.enc.1", "body.heads.cls", "body.nested.0.0"}
    assert scopes <= {name for name, _ in net.named_modules()}


def test_scopes_follow_renumbering_after_a_delete():
    layers = ModuleList([Affine(2, 2), Affine(2, 2), Affine(2, 2)])
    holder = Module()
    holder.layers = layers
    del layers[0]
    with core.graph.record() as g:
        layers[0](core.randn(1, 2, dtype=core.float64))
    assert {n.scope for n in g.nodes if n.kind == "op"} == {"layers.0"}
