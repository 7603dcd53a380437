"""inferno's ``ExactNeuron`` on numpy arrays and torch tensors.

The neuron runs on the exact-neuron library (hand-written CUDA kernels and
a CPU backend that gives the same bits). Migrating from inferno is one
import::

    from exact_neuron import ExactNeuron   # was: from inferno.neural import ExactNeuron
"""

from ._native import cuda_device_count
from ._neuron import ExactNeuron

__all__ = ["ExactNeuron", "cuda_device_count"]
