"""Shared fixtures: a fresh random generator whose seed is printed
(``EXACT_NEURON_SEED`` replays one)."""

import os
import secrets

import numpy as np
import pytest


@pytest.fixture
def rng(request):
    seed = int(os.environ.get("EXACT_NEURON_SEED") or secrets.randbits(63))
    print(f"{request.node.name}: seed {seed} (EXACT_NEURON_SEED={seed} replays it)")
    return np.random.default_rng(seed)
