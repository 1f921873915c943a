"""The paper's parameterization as torch building blocks.

Per layer, a parameterization fixes the standard deviation of the initial
weights and a constant multiplier of the layer's product (DESIGN 1.1)::

    hidden  (fan-in n):  mf, ntk: W ~ N(0, 1), z = W x / sqrt(n) + b
                         sp:      W ~ N(0, 1/n), z = W x + b
    readout (fan-in n):  f = (W x + b) / divisor,
                         divisor = gamma n (mf), gamma sqrt(n) (ntk), gamma (sp)

and centering replaces the output f(x; theta) by f(x; theta) - f(x; theta0).
:func:`mlp` assembles the library's MLP from these blocks; its parameters
come in the library's flat order (W_0, b_0, W_1, b_1, ...).
"""

import copy
import math
import numbers

import torch
from torch import nn
from torch.nn import functional as F

from ._curves import _floats
from ._sched import _param_name

ACTIVATIONS = ("relu", "tanh", "gelu", "identity")


def layer_scaling(param, fan_in, readout=False, gamma=1.0):
    """(init_std, multiplier) of a layer with ``fan_in`` inputs.

    ``init_std`` is the standard deviation of the initial weights, and the
    layer computes ``multiplier * (W x)`` (+ b for a hidden layer; a readout
    multiplies its bias too). ``gamma`` only enters the readout.
    """
    name = _param_name(param)
    if not isinstance(fan_in, numbers.Integral) or fan_in < 1:
        raise ValueError("fan_in must be a positive integer, got %r" % (fan_in,))
    gamma = float(gamma)
    if not (gamma > 0 and math.isfinite(gamma)):
        raise ValueError("gamma must be finite and > 0, got %r" % (gamma,))
    root = math.sqrt(fan_in)
    if readout:
        if name == "mf":
            return 1.0, 1.0 / (gamma * fan_in)
        if name == "ntk":
            return 1.0, 1.0 / (gamma * root)
        return 1.0 / root, 1.0 / gamma
    if name == "sp":
        return 1.0 / root, 1.0
    return 1.0, 1.0 / root


class Dense(nn.Module):
    """A hidden dense layer: ``z = multiplier * (x W^T) + b``.

    ``param`` ("mf", "ntk" or "sp") sets the initial standard deviation and
    the multiplier (:func:`layer_scaling`); biases start at 0. ``weight``
    has the shape (out_features, in_features), as ``torch.nn.Linear``.
    """

    def __init__(self, in_features, out_features, bias=True, param="mf", device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.param = _param_name(param)
        self.init_std, self.multiplier = self._scaling()
        kw = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(self.out_features, self.in_features, **kw))
        if bias:
            self.bias = nn.Parameter(torch.empty(self.out_features, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _scaling(self):
        return layer_scaling(self.param, self.in_features)

    def reset_parameters(self, generator=None):
        """Weights N(0, init_std^2), biases 0."""
        with torch.no_grad():
            self.weight.normal_(0.0, self.init_std, generator=generator)
            if self.bias is not None:
                self.bias.zero_()

    def forward(self, x):
        z = F.linear(x, self.weight) * self.multiplier
        return z if self.bias is None else z + self.bias

    def extra_repr(self):
        return "in_features=%d, out_features=%d, bias=%s, param=%s" % (
            self.in_features, self.out_features, self.bias is not None, self.param)


class Readout(Dense):
    """The readout: ``f = (x W^T + b) / divisor``, divisor = gamma * fan_in (mf),
    gamma * sqrt(fan_in) (ntk) or gamma (sp).

    ``gamma`` may be changed after construction (the multiplier follows).
    """

    def __init__(self, in_features, out_features, gamma=1.0, bias=True, param="mf", device=None,
                 dtype=None):
        self._gamma = float(gamma)
        super().__init__(in_features, out_features, bias, param, device, dtype)

    def _scaling(self):
        return layer_scaling(self.param, self.in_features, readout=True, gamma=self._gamma)

    @property
    def gamma(self):
        """The feature-learning strength dividing the readout."""
        return self._gamma

    @gamma.setter
    def gamma(self, value):
        _, multiplier = layer_scaling(self.param, self.in_features, True, value)
        self._gamma, self.multiplier = float(value), multiplier

    def forward(self, x):
        return F.linear(x, self.weight, self.bias) * self.multiplier

    def extra_repr(self):
        return super().extra_repr() + ", gamma=%g" % self._gamma


class Conv2d(nn.Module):
    """A hidden convolution with the parameterization's multiplier:
    ``z = multiplier * conv(x, W) + b``.

    ``fan_in`` defaults to in_channels * kernel height * kernel width; the
    paper's released CNN divides by sqrt(in_channels) only (pass
    ``fan_in=in_channels`` to match it; the width scaling is the same).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 param="mf", fan_in=None, device=None, dtype=None):
        super().__init__()
        k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.in_channels, self.out_channels, self.kernel_size = int(in_channels), int(out_channels), k
        self.stride, self.padding = stride, padding
        self.param = _param_name(param)
        self.fan_in = int(fan_in) if fan_in is not None else self.in_channels * k[0] * k[1]
        self.init_std, self.multiplier = layer_scaling(self.param, self.fan_in)
        kw = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(self.out_channels, self.in_channels, *k, **kw))
        if bias:
            self.bias = nn.Parameter(torch.empty(self.out_channels, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    reset_parameters = Dense.reset_parameters

    def forward(self, x):
        z = F.conv2d(x, self.weight, None, self.stride, self.padding) * self.multiplier
        return z if self.bias is None else z + self.bias.view(1, -1, 1, 1)

    def extra_repr(self):
        return "%d, %d, kernel_size=%s, stride=%s, padding=%s, param=%s, fan_in=%d" % (
            self.in_channels, self.out_channels, self.kernel_size, self.stride, self.padding,
            self.param, self.fan_in)


class Activation(nn.Module):
    """The library's activations: "relu", "tanh", "gelu" (exact erf form), "identity"."""

    def __init__(self, name):
        super().__init__()
        name = str(name).lower()
        if name not in ACTIVATIONS:
            raise ValueError("activation must be one of %s, got %r" % (", ".join(ACTIVATIONS), name))
        self.name = name

    def forward(self, x):
        if self.name == "relu":
            return torch.relu(x)
        if self.name == "tanh":
            return torch.tanh(x)
        if self.name == "gelu":
            return F.gelu(x)
        return x

    def extra_repr(self):
        return self.name


def _freeze_copy(module):
    """A deep copy of ``module`` whose parameters are buffers: it moves with
    ``.to()``, is saved in ``state_dict()``, and has no ``parameters()``."""
    frozen = copy.deepcopy(module)
    for sub in frozen.modules():
        for name, p in list(sub._parameters.items()):
            if p is None:
                continue
            del sub._parameters[name]
            sub.register_buffer(name, p.detach().clone())
    frozen.requires_grad_(False)
    return frozen


class Centered(nn.Module):
    """Centering: ``forward(x) = module(x) - theta0(x)``.

    ``theta0`` is a frozen copy of ``module`` taken at construction (and
    again by :meth:`recenter`), so the output is exactly 0 there whatever
    gamma. Its tensors are buffers: they are not in ``parameters()`` (an
    optimizer never sees them) but are in ``state_dict()`` (a checkpoint
    keeps theta0). The frozen branch is evaluated without autograd unless
    an input requires a gradient.
    """

    def __init__(self, module):
        super().__init__()
        self.module = module
        self.theta0 = _freeze_copy(module)

    def forward(self, *args, **kwargs):
        out = self.module(*args, **kwargs)
        inputs = list(args) + list(kwargs.values())
        needs = any(isinstance(a, torch.Tensor) and a.requires_grad for a in inputs)
        with torch.set_grad_enabled(torch.is_grad_enabled() and needs):
            ref = self.theta0(*args, **kwargs)
        return out - ref

    @torch.no_grad()
    def recenter(self):
        """Capture the current parameters as theta0 (after importing weights, say)."""
        for name, p in self.module.named_parameters():
            self.theta0.get_buffer(name).copy_(p)


def mlp(input_dim, width, output_dim=1, depth=3, act="relu", param="mf", gamma=1.0, bias=True,
        center=True, device=None, dtype=None):
    """The library's MLP (docs/parameterization.md) as a torch module.

    ``depth`` (L) weight matrices: ``Dense(D, N)``, activation, ...,
    ``Readout(N, C, gamma)`` in an ``nn.Sequential`` (for L = 1 the readout
    acts on x directly), wrapped in :class:`Centered` when ``center``.
    ``parameters()`` come in the library's flat order W_0, b_0, W_1, ...
    """
    if not isinstance(depth, numbers.Integral) or depth < 1:
        raise ValueError("depth must be an integer >= 1, got %r" % (depth,))
    kw = {"param": param, "bias": bias, "device": device, "dtype": dtype}
    layers = []
    fan_in = int(input_dim)
    for _ in range(depth - 1):
        layers += [Dense(fan_in, width, **kw), Activation(act)]
        fan_in = int(width)
    layers.append(Readout(fan_in, output_dim, gamma=gamma, **kw))
    net = nn.Sequential(*layers)
    return Centered(net) if center else net


def load_flat(module, flat):
    """Copy a flat vector (the library's layout: each parameter in
    ``module.parameters()`` order, row-major) into ``module``'s parameters."""
    params = list(module.parameters())
    total = sum(p.numel() for p in params)
    flat = torch.as_tensor(flat)
    if flat.numel() != total:
        raise ValueError("%d values given, the module has %d parameters" % (flat.numel(), total))
    off = 0
    with torch.no_grad():
        for p in params:
            n = p.numel()
            p.copy_(flat[off:off + n].reshape(p.shape))
            off += n


def flat_params(module):
    """The module's parameters as one flat (detached) vector, library order."""
    return torch.cat([p.detach().reshape(-1) for p in module.parameters()])


def flat_grad(module):
    """The gradients as one flat vector (zeros where a gradient is None)."""
    return torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                      for p in module.parameters()])


def from_model(model, dtype=torch.float64, device=None):
    """A torch copy of a :class:`richeta.Model`: same architecture, current
    weights and, when the model is centered, its theta0."""
    from ..enums import Activation as A, Centering, Parameterization as P

    depth, centered = model.depth, model.get_int("center") == Centering.FROZEN
    net = mlp(model.input_dim, model.width, model.output_dim, depth,
              act=A(model.get_int("act")).name.lower(), param=P(model.get_int("param")).name.lower(),
              gamma=model.gamma, bias=bool(model.get_int("bias")), center=centered,
              dtype=dtype, device=device)
    inner = net.module if centered else net
    if centered:  # theta0 first, captured by recenter(), then the current weights
        load_flat(inner, torch.tensor(_floats(model.get_initial_params(), "theta0"), dtype=dtype))
        net.recenter()
    load_flat(inner, torch.tensor(_floats(model.get_params(), "params"), dtype=dtype))
    return net

