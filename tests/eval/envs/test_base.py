"""What every env backend declares, and the defaults a new backend inherits."""

import numpy as np
import pytest

from eval.envs import EnvBackend


class _Minimal(EnvBackend):
    name, task, max_steps, action_dim = "minimal", "t", 5, 1

    def reset(self, seed):
        return self.observe()

    def step(self, action):
        return self.observe()

    def success(self):
        return False

    def observe(self):
        return {"state": np.zeros(1, np.float32)}


def test_a_new_backend_inherits_declared_defaults():
    env = _Minimal()
    assert (env.supports_state, env.seeds_by_trial, env.state_unsupported_reason) == (False, False, None)
    with pytest.raises(NotImplementedError, match="the minimal backend does not count its steps"):
        _ = env.timestep
