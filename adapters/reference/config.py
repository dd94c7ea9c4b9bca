"""Architecture settings of a reference model, stored in its checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of a reference model.

    Attributes:
        state_dim: width S of ``obs["state"]``.
        action_dim: width A of one action.
        horizon: actions per chunk (H).
        future_horizon: steps after which the predicted future applies (h <= H).
        width, depth: residual MLP size of the generative (and inverse-dynamics) networks.
        flow_steps: Euler steps when sampling.
        value_width, value_depth: size of the joint model's value head.
        latent_dim: width Z of an image latent appended to the state (a visual model's
            conditioning is ``[s_t, z_t]``, width S + Z, and its futures are ``z_{t+h}``);
            0: futures are the state itself.
        inverse_noise: std of the Gaussian noise added, in training only, to the normalised
            change the inverse-dynamics network reads (so it tolerates generated futures,
            which are blurrier than real ones); 0 for the joint family.
    """

    state_dim: int
    action_dim: int
    horizon: int = 8
    future_horizon: int = 8
    width: int = 256
    depth: int = 3
    flow_steps: int = 8
    value_width: int = 128
    value_depth: int = 2
    latent_dim: int = 0
    inverse_noise: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.inverse_noise, int | float) or isinstance(self.inverse_noise, bool) \
                or not self.inverse_noise >= 0:
            raise ValueError(f"ModelConfig.inverse_noise must be a number >= 0, got {self.inverse_noise!r}")
        for f in fields(self):
            if f.name == "inverse_noise":
                continue
            value = getattr(self, f.name)
            lowest = 0 if f.name == "latent_dim" else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < lowest:
                raise ValueError(f"ModelConfig.{f.name} must be an integer >= {lowest}, got {value!r}")
        if self.future_horizon > self.horizon:
            raise ValueError(
                f"future_horizon ({self.future_horizon}) cannot exceed the chunk length ({self.horizon}): "
                "the predicted future must be reached by executing the chunk"
            )

    @property
    def future_dim(self) -> int:
        """Width of one predicted future: the image latent, or the whole state."""
        return self.latent_dim or self.state_dim

    @property
    def cond_dim(self) -> int:
        """Width of the conditioning vector ``[s_t]`` or ``[s_t, z_t]``."""
        return self.state_dim + self.latent_dim

    def to_dict(self) -> dict[str, int | float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, int | float]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown ModelConfig fields {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)
