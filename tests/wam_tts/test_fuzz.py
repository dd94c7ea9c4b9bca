"""Fuzzing the selectors: any shapes, dtypes and values (huge, tiny, NaN, Inf) give a
valid choice among the finite branches, or a clear error when none is finite."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tests.wam_tts.fakes import FixedBranchesPolicy
from wam_tts import BranchError, make_selector

pytestmark = pytest.mark.filterwarnings("ignore:dropping:RuntimeWarning")

DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
#: Magnitudes at the edges of every dtype: subnormals, near-max, beyond float16/float32.
EDGES = (0.0, -0.0, 1e-45, -1e-40, 1e-308, 6e-8, 1.0, -1.0, 6.5e4, 3.4e38, -3.4e38, 1e300, -1e300)
VALUES = st.one_of(
    st.sampled_from(EDGES),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-10, 10),
)


class EchoPolicy(FixedBranchesPolicy):
    """Fixed branches whose real future (for exploring) is the observation broadcast to the futures' shape."""

    def encode_observation(self, obs) -> torch.Tensor:
        return torch.full(self.futures.shape[1:], float(obs), dtype=torch.float64)


class SumSim:
    """A fake simulator: executing a chunk reaches the sum of its actions (float64)."""

    def __init__(self) -> None:
        self.x = 0.0

    def get_state(self) -> float:
        return self.x

    def set_state(self, state: float) -> None:
        self.x = state

    def execute(self, actions: np.ndarray) -> float:
        self.x += float(np.asarray(actions, dtype=np.float64).sum())
        return self.x

    def observe(self) -> float:
        return self.x


def tensors(shape: tuple[int, ...]):
    """A tensor of ``shape`` in a random float dtype, from edge, random and non-finite values."""
    return st.tuples(arrays(np.float64, shape, elements=VALUES), st.sampled_from(DTYPES)).map(
        lambda pair: torch.from_numpy(pair[0]).to(pair[1]))


@st.composite
def cases(draw):
    n = draw(st.integers(1, 8))
    h, a = draw(st.integers(1, 3)), draw(st.sampled_from([1, 2, 7]))
    feature = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    actions = draw(tensors((n, h, a)))
    futures = draw(tensors((n, *feature)))
    values = draw(st.none() | tensors((n,)))
    names = ["consensus", "weighted", "exploring"] + (["value"] if values is not None else []) + (["vanilla"] if n == 1 else [])
    name = draw(st.sampled_from(names))
    options = {"sigma": draw(st.sampled_from([1e-6, 1.0, 1e6])), "distance": draw(st.sampled_from(["mse", "l1", "cosine"]))}
    if name == "weighted":
        options["tau"] = draw(st.sampled_from([1e-6, 1.0, 1e6]))
        options["action_space"] = draw(st.sampled_from(["euclidean", "xyz, axis-angle, gripper"] if a == 7 else ["euclidean"]))
    return actions, futures, values, name, options


def finite_rows(*tensors) -> torch.Tensor:
    """Which branches have only finite numbers, computed independently of the library."""
    mask = torch.ones(tensors[0].shape[0], dtype=torch.bool)
    for t in tensors:
        if t is not None:
            mask &= torch.isfinite(t.double().reshape(t.shape[0], -1)).all(dim=1)
    return mask


@settings(max_examples=300)
@given(cases())
def test_any_branches_give_a_valid_choice_or_a_clear_error(case):
    actions, futures, values, name, options = case
    n = actions.shape[0]
    policy = EchoPolicy(actions, futures, values, future_horizon=actions.shape[1])
    if name == "exploring":
        options["simulator"] = SumSim()
    selector = make_selector(name, policy, n=n, **options)
    finite = finite_rows(actions, futures, values)
    if not finite.any():
        try:
            selector.act(0.0)
        except BranchError as err:
            assert "NaN or Inf" in str(err)
            return
        raise AssertionError("no finite branch, yet the selector chose one")
    try:
        decision = selector.act(0.0)
    except BranchError as err:  # distances between numbers beyond 1e18 overflow in float32
        largest = max(float(futures[finite].double().abs().max()), float(actions[finite].double().abs().max()))
        assert "overflowed" in str(err) and largest > 1e18, err
        return
    except ValueError as err:  # rotations whose norm overflows cannot be averaged on SO(3)
        rotations = actions[finite][..., 3:6].double().abs()
        assert options.get("action_space") == "xyz, axis-angle, gripper" and float(rotations.max()) > 1e18, err
        assert "too large to convert" in str(err)
        return
    assert 0 <= decision.index < n and bool(finite[decision.index]), "chose a non-finite branch"
    assert decision.actions.shape == actions.shape[1:]
    assert bool(torch.isfinite(decision.actions.double()).all()), "the executed chunk is not finite"
    assert decision.scores.shape == (n,)
    assert bool(torch.isnan(decision.scores[~finite]).all()), "dropped branches must score NaN"
    if name == "weighted":
        weights = decision.weights.double()
        assert bool((weights >= 0).all()) and abs(float(weights.sum()) - 1.0) < 1e-3
        assert bool((weights[~finite] == 0).all()), "dropped branches must get no weight"
    else:
        assert torch.equal(decision.actions, actions[decision.index])


NON_FLOAT = (torch.long, torch.int32, torch.uint8, torch.bool, torch.complex64)


@given(st.sampled_from(NON_FLOAT), st.sampled_from(["actions", "futures", "values"]),
       st.sampled_from(["consensus", "weighted", "value"]))
def test_integer_or_complex_branches_are_a_clear_error_naming_the_field(dtype, field, name):
    fields = {"actions": torch.zeros(2, 1, 1), "futures": torch.zeros(2, 3), "values": torch.zeros(2)}
    fields[field] = fields[field].to(dtype)  # only this field is not floating-point
    policy = FixedBranchesPolicy(fields["actions"], fields["futures"], fields["values"])
    with pytest.raises(BranchError, match=rf"^{field} must be a floating-point tensor, got {dtype}$"):
        make_selector(name, policy, n=2).act(None)
