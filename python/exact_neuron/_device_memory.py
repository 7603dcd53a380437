"""torch tensors that view a CUDA neuron's own buffers, without a copy.

The buffers are exported through ``__cuda_array_interface__`` (version 3);
torch keeps the exporting object, and through it the native neuron that
owns the buffer, alive as long as the tensor lives. bfloat16, which that interface cannot name, goes
through as int16 and is viewed back as bfloat16 (same bits, no copy).
"""

from ._dtypes import torch_module

_TYPESTR = {"bool": "|b1", "f16": "<f2", "bf16": "<i2", "f32": "<f4", "f64": "<f8"}


class _DeviceMemory:
    """One buffer of a neuron, as the interface describes it."""

    __slots__ = ("__cuda_array_interface__", "_owner")

    def __init__(self, owner, address, shape, name, stream):
        self._owner = owner
        self.__cuda_array_interface__ = {
            "version": 3,
            "shape": tuple(shape),
            "typestr": _TYPESTR[name],
            "data": (address, False),
            "strides": None,
            # The interface reserves 0; torch's legacy default stream is 1.
            "stream": stream if stream != 0 else 1,
        }


def device_tensor(owner, address, shape, name, ordinal, stream):
    """A torch tensor of ``shape`` and type ``name`` viewing device memory
    at ``address`` of CUDA device ``ordinal``, kept alive by ``owner``."""
    torch = torch_module()
    memory = _DeviceMemory(owner, address, shape, name, stream)
    tensor = torch.as_tensor(memory, device=torch.device("cuda", ordinal))
    if name == "bf16":
        tensor = tensor.view(torch.bfloat16)
    return tensor
