"""``ExactNeuron`` with inferno's interface over the library's neuron."""

import math
import operator

import numpy as np

from . import _dtypes
from ._device_memory import device_tensor
from ._native import NativeNeuron, cuda_device_count


def _shape_tuple(shape):
    """inferno's shape check: an int or a sequence of ints, each positive."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(operator.index(dim) for dim in shape)
    except TypeError:
        raise TypeError(f"'shape' must be an int or a sequence of ints, not {shape!r}") from None
    for index, dim in enumerate(dims):
        if dim <= 0:
            raise ValueError(f"'shape[{index}]' of {dim} must be positive")
    return dims


def _batch_size(value, name="batch_size"):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"'{name}' must be an int, not {value!r}") from None
    if value <= 0:
        raise ValueError(f"'{name}' of {value} must be positive")
    return value


def _real(name, value):
    """``value`` as a float, converted as inferno converts it (``float``:
    the string ``"-inf"`` is accepted, ``"fast"`` is a ValueError)."""
    return float(value)


def _cuda_ordinal(device):
    """None for the CPU, else the CUDA device's ordinal (torch imported)."""
    torch = _dtypes.torch_module()
    if torch is not None and isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(f"'device' must be 'cpu', 'cuda' or 'cuda:N', not {device!r}")
    if device == "cpu":
        return None
    if device == "cuda":
        ordinal = None
    elif device.startswith("cuda:") and device[5:].isdigit():
        ordinal = int(device[5:])
    else:
        raise ValueError(f"unsupported device {device!r}: use 'cpu', 'cuda' or 'cuda:N'")
    try:
        import torch
    except ImportError:
        raise ValueError(f"device {device!r} needs torch: a cuda neuron takes torch tensors") from None
    count = cuda_device_count()
    if ordinal is None:
        ordinal = torch.cuda.current_device() if count else 0
    if ordinal >= count:
        raise ValueError(f"device {device!r} is not available: {count} CUDA device(s) present")
    return ordinal


class ExactNeuron:
    r"""inferno's ``ExactNeuron``: spikes where the input is positive (or
    where an override is nonzero); the voltage is ``thresh_v`` where it
    spiked, else ``rest_v``; the refractory time is zero.

    ``device`` is ``"cpu"`` (numpy arrays and torch CPU tensors in, numpy
    arrays out) or ``"cuda"``/``"cuda:N"`` (torch CUDA tensors in, torch
    tensors out, on torch's current stream).

    Outputs (``spike``, ``voltage``, ``refrac``, ``voltage_as``,
    ``refrac_as`` and what ``forward`` returns) are valid until the next
    call that changes the state (``forward``, ``clear``, setting
    ``batchsz``): on CUDA they are tensors that view the neuron's own
    buffers, which that call overwrites (or, for ``batchsz``, frees).
    """

    def __init__(self, shape, step_time, *, rest_v, thresh_v, batch_size=1, device="cpu"):
        shape = _shape_tuple(shape)
        batch_size = _batch_size(batch_size)
        step_time = _real("step_time", step_time)
        rest_v, thresh_v = _real("rest_v", rest_v), _real("thresh_v", thresh_v)
        self._ordinal = _cuda_ordinal(device)
        self._torch_device = None
        if self._ordinal is not None:
            import torch

            self._torch = torch
            self._torch_device = torch.device("cuda", self._ordinal)
        self._views = {}
        self._native = NativeNeuron(
            list(shape), step_time, rest_v, thresh_v, batch_size, self._ordinal, self._stream()
        )

    # --- what inferno has -------------------------------------------------

    @property
    def shape(self):
        """Shape of the group of neurons."""
        return tuple(self._native.shape)

    @property
    def count(self):
        """Number of neurons in the group, the product of ``shape``."""
        return math.prod(self._native.shape)

    @property
    def batchsz(self):
        """Number of samples simulated at once. Setting it resizes the state
        at once, all spikes clear (inferno waits for the next step)."""
        return self._native.batch_size

    @batchsz.setter
    def batchsz(self, value):
        value = _batch_size(value)
        self._native.set_batch_size(value, self._stream())
        self._views.clear()

    @property
    def batchedshape(self):
        """``(batchsz, *shape)``, the shape of the state and of every output."""
        return (self._native.batch_size, *self._native.shape)

    @property
    def dt(self):
        """Length of the simulation step, in ms."""
        return self._native.dt

    @dt.setter
    def dt(self, value):
        self._native.set_dt(_real("dt", value))

    @property
    def device(self):
        """``"cpu"`` or ``"cuda:N"``."""
        return "cpu" if self._ordinal is None else f"cuda:{self._ordinal}"

    @property
    def spike(self):
        """The spikes of the last step, bool, of ``batchedshape``."""
        return self._spike(self._stream())

    def _spike(self, stream):
        if self._ordinal is None:
            return self._native.spike_array().reshape(self.batchedshape)
        address = self._native.spike_address(stream)
        return self._device_view("spike", "bool", address, stream)

    @property
    def voltage(self):
        """Membrane voltages in mV, float32."""
        return self.voltage_as("float32")

    @property
    def refrac(self):
        """Remaining refractory periods in ms, float32: always zero."""
        return self.refrac_as("float32")

    def voltage_as(self, dtype):
        """The voltage in ``dtype`` (float16, bfloat16, float32 or float64,
        as a numpy, ml_dtypes or torch dtype or a name). float64 is the
        parameter exactly; the others round it to float32 first, as torch."""
        name = _dtypes.view_name(dtype)
        if self._ordinal is None:
            return self._host_view(self._native.voltage_array(name), name)
        stream = self._stream()
        address = self._native.voltage_address(name, stream)
        return self._device_view("voltage", name, address, stream)

    def refrac_as(self, dtype):
        """The refractory time (+0.0 everywhere) in ``dtype``."""
        name = _dtypes.view_name(dtype)
        if self._ordinal is None:
            return self._host_view(self._native.refrac_array(name), name)
        stream = self._stream()
        address = self._native.refrac_address(name, stream)
        return self._device_view("refrac", name, address, stream)

    def clear(self, **kwargs):
        """Resets every neuron to rest (no spikes)."""
        self._native.clear(self._stream())

    def forward(self, inputs, override=None, **kwargs):
        """One simulation step: ``spike = inputs > 0``, or, when ``override``
        is given, ``spike = override != 0`` (``inputs`` is then ignored,
        as in inferno). ``inputs`` has ``batchedshape``; ``override`` any
        shape with as many values. Returns the spikes."""
        if override is None:
            kind, values, name = self._values(inputs, "inputs", _dtypes.THRESHOLD)
            if tuple(values.shape) != self.batchedshape:
                raise ValueError(
                    f"inputs have shape {tuple(values.shape)}, expected {self.batchedshape}"
                )
        else:
            kind, values, name = self._values(override, "override", _dtypes.OVERRIDE)
            size = math.prod(values.shape)
            if size != len(self._native):
                raise ValueError(
                    f"override of shape {tuple(values.shape)} cannot be viewed as "
                    f"{self.batchedshape}: {size} values, expected {len(self._native)}"
                )
        is_override = override is not None
        stream = self._stream()
        if kind == "array":
            self._native.forward_array(values, name, is_override)
        else:
            self._native.forward_address(
                name, values.data_ptr(), values.numel(), is_override, stream
            )
        return self._spike(stream)

    __call__ = forward

    def __repr__(self):
        return repr(self._native)

    # --- plumbing ---------------------------------------------------------

    def _stream(self):
        """torch's current stream on the neuron's device; 0 on the CPU."""
        if self._ordinal is None:
            return 0
        return self._torch.cuda.current_stream(self._ordinal).cuda_stream

    def _values(self, values, what, allowed):
        """``(kind, values, name)``: a numpy array ready for ``forward_array``
        (``kind == "array"``) or a contiguous torch tensor on the neuron's
        device (``kind == "tensor"``), and its element type's short name."""
        torch = _dtypes.torch_module()
        if torch is not None and isinstance(values, torch.Tensor):
            name = _dtypes.torch_name(values.dtype)
            if name not in allowed:
                raise TypeError(f"unsupported {what} dtype {values.dtype}")
            device = values.device
            if device != self._torch_device and not (self._ordinal is None and device.type == "cpu"):
                here = "cpu" if device.type == "cpu" else f"{device.type}:{device.index}"
                raise ValueError(f"{what} on {here} cannot be used by a neuron on {self.device}")
            values = values.detach()
            if not values.is_contiguous():
                values = values.contiguous()
            return "tensor", values, name
        if isinstance(values, np.ndarray):
            name = _dtypes.numpy_name(values.dtype)
            if name not in allowed:
                raise TypeError(f"unsupported {what} dtype {values.dtype}")
            if self._ordinal is not None:
                raise ValueError(
                    f"{what} in a numpy array (on the cpu) cannot be used by a neuron on "
                    f"{self.device}: pass a torch tensor on that device"
                )
            flags = values.flags
            if not (flags.c_contiguous and flags.aligned and values.dtype.isnative):
                values = np.array(values, dtype=values.dtype.newbyteorder("="), order="C")
            return "array", values, name
        raise TypeError(
            f"{what} must be a numpy array or a torch tensor, not {type(values).__name__}"
        )

    def _host_view(self, flat, name):
        if name in ("f16", "bf16"):
            flat = flat.view(_dtypes.numpy_view_dtype(name))
        return flat.reshape(self.batchedshape)

    def _device_view(self, kind, name, address, stream):
        """A tensor viewing the buffer at ``address``, the same tensor as
        long as the buffer is the same."""
        key = (kind, name)
        cached = self._views.get(key)
        if cached is not None and cached[0] == address:
            return cached[1]
        # The tensor keeps the native neuron (the owner of the buffer) alive,
        # not this object: this object caches the tensor, and a cycle through
        # torch's C++ deleter is one Python's collector cannot see.
        tensor = device_tensor(
            self._native, address, self.batchedshape, name, self._ordinal, stream
        )
        self._views[key] = (address, tensor)
        return tensor
