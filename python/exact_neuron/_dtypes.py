"""Element types: numpy, ml_dtypes, torch and string spellings, by the
library's short names (``bool``, ``u8``, ``f16``, ``bf16``, ``f32``, ``f64``)."""

import sys

import numpy as np

#: Types a threshold step reads.
THRESHOLD = ("f16", "bf16", "f32", "f64")
#: Types an override reads.
OVERRIDE = ("bool", "u8", "f16", "bf16", "f32", "f64")
#: Types of the voltage and refractory views.
VIEWS = THRESHOLD

_NUMPY = {
    np.dtype(np.bool_): "bool",
    np.dtype(np.uint8): "u8",
    np.dtype(np.float16): "f16",
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
}

_STRINGS = {
    "float16": "f16",
    "half": "f16",
    "f16": "f16",
    "bfloat16": "bf16",
    "bf16": "bf16",
    "float32": "f32",
    "float": "f32",
    "f32": "f32",
    "float64": "f64",
    "double": "f64",
    "f64": "f64",
}


def torch_module():
    """torch, when the caller has imported it (never imported here)."""
    return sys.modules.get("torch")


def numpy_name(dtype):
    """The short name of a numpy dtype, or None."""
    dtype = np.dtype(dtype)
    if dtype.name == "bfloat16" and dtype.itemsize == 2:
        return "bf16"  # ml_dtypes.bfloat16
    return _NUMPY.get(dtype.newbyteorder("="))


def torch_name(dtype):
    """The short name of a torch dtype, or None."""
    torch = torch_module()
    if torch is None:
        return None
    return {
        torch.bool: "bool",
        torch.uint8: "u8",
        torch.float16: "f16",
        torch.bfloat16: "bf16",
        torch.float32: "f32",
        torch.float64: "f64",
    }.get(dtype)


def view_name(dtype):
    """The short name of a voltage/refrac view type given as a numpy,
    ml_dtypes or torch dtype or a string; TypeError for anything else."""
    name = None
    if isinstance(dtype, str):
        name = _STRINGS.get(dtype.removeprefix("torch."))
    elif torch_module() is not None and isinstance(dtype, torch_module().dtype):
        name = torch_name(dtype)
    elif dtype is not None:  # numpy reads None as float64
        try:
            name = numpy_name(dtype)
        except TypeError:
            name = None
    if name not in VIEWS:
        raise TypeError(
            f"unsupported voltage dtype {dtype!r}: use float16, bfloat16, float32 or float64"
        )
    return name


def numpy_view_dtype(name):
    """The numpy dtype of a view of type ``name`` (bfloat16 from ml_dtypes)."""
    if name == "bf16":
        try:
            import ml_dtypes
        except ImportError:
            raise TypeError("bfloat16 arrays need the ml_dtypes package") from None
        return np.dtype(ml_dtypes.bfloat16)
    return {"f16": np.dtype(np.float16), "f32": np.dtype(np.float32), "f64": np.dtype(np.float64)}[name]


def torch_view_dtype(name):
    """The torch dtype of a view of type ``name``."""
    torch = torch_module()
    return {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32, "f64": torch.float64}[name]
