"""Scripted experts for robosuite tasks, and demo collection for training reference WAMs.

Each expert is a small phase machine of proportional controllers on the end-effector
and object poses it reads from ``obs["state"]`` (through the env's ``state_layout``).
Per-episode randomness (gains, hover heights, grasp offsets, timings, drawn from the
episode's rng) and Gaussian action noise give demos some of the variety of human ones;
``pauses`` adds another trait of human demos, the operator letting go of the input device
for a while at a phase change (policies trained on such demos learn to stall).

    python -m eval.envs.experts --task Lift --episodes 20 [--out demos/Lift.npz]
"""

from __future__ import annotations

import argparse
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation
from tqdm import tqdm

from eval.envs.base import Obs
from eval.envs.robosuite_env import RobosuiteEnv
from wam_tts import Registry

#: Gripper pointing straight down (fingers closing along world y at yaw 0).
DOWN = Rotation.from_euler("xyz", [np.pi, 0.0, 0.0])
OPEN, CLOSE = -1.0, 1.0
#: Length range (steps, inclusive) of an operator pause.
PAUSE_STEPS = (10, 30)


def down_at(yaw: float) -> Rotation:
    """The hand pointing down, turned by ``yaw`` about the world's vertical."""
    return Rotation.from_euler("z", yaw) * DOWN


@dataclass
class Demo:
    """One episode: ``states [T+1, S]``, ``actions [T, A]`` (float32), the env's success, its seed."""

    states: np.ndarray
    actions: np.ndarray
    success: bool
    seed: int
    task: str = ""


class Expert(ABC):
    """A scripted policy for one task: ``reset(obs, rng)`` once per episode, then ``act(obs)``."""

    def __init__(self, env: RobosuiteEnv, noise: float = 0.1, pauses: float = 0.0) -> None:
        if noise < 0:
            raise ValueError(f"action noise must be >= 0, got {noise}")
        if not 0.0 <= pauses <= 1.0:
            raise ValueError(f"pause probability must be in [0, 1], got {pauses}")
        self.noise = noise
        self.pauses = pauses
        self.pause_left = 0
        self.hold = np.zeros(env.action_dim, dtype=np.float32)
        self.action_dim = env.action_dim
        self._slices: dict[str, slice] = {}
        start = 0
        for key, size in env.state_layout:
            self._slices[key] = slice(start, start + size)
            start += size
        self.rng = np.random.default_rng(0)
        self.phase = ""
        self.phase_steps = 0

    def reset(self, obs: Obs, rng: np.random.Generator) -> None:
        """Start an episode: draw this episode's gains and offsets from ``rng``."""
        self.rng = rng
        self.pause_left = 0
        self.kp = rng.uniform(8.0, 14.0)  # action per metre of position error
        self.kr = rng.uniform(2.0, 3.5)  # action per radian of orientation error
        self.set_phase("approach")
        self.plan(self.parts(obs))

    def act(self, obs: Obs) -> np.ndarray:
        """The next action ``[A]`` in [-1, 1]: the script's command plus Gaussian noise, or
        during an operator pause no motion at all with the gripper held as it was."""
        if self.pause_left > 0:
            self.pause_left -= 1
            return self.hold.copy()
        phase = self.phase
        action = self.command(self.parts(obs))
        self.phase_steps += 1
        noisy = np.clip(action + self.rng.normal(0.0, self.noise, size=action.shape), -1.0, 1.0).astype(np.float32)
        if self.pauses > 0 and self.phase != phase and self.rng.random() < self.pauses:
            self.pause_left = int(self.rng.integers(PAUSE_STEPS[0], PAUSE_STEPS[1] + 1))
            self.hold = np.zeros_like(noisy)
            self.hold[6:] = np.sign(action[6:])  # the gripper keeps its command (open or closed)
        return noisy

    def parts(self, obs: Obs) -> dict[str, np.ndarray]:
        """``obs["state"]`` split into its named parts (float64)."""
        state = np.asarray(obs["state"], dtype=np.float64)
        return {key: state[s] for key, s in self._slices.items()}

    def set_phase(self, phase: str) -> None:
        self.phase, self.phase_steps = phase, 0

    @abstractmethod
    def plan(self, p: dict[str, np.ndarray]) -> None:
        """Draw the episode's task-specific parameters (offsets, heights, timings)."""

    @abstractmethod
    def command(self, p: dict[str, np.ndarray]) -> np.ndarray:
        """The noiseless action for the current phase (advancing phases as needed)."""

    # -- controllers ------------------------------------------------------------------
    def servo(
        self, p: dict[str, np.ndarray], target: np.ndarray, grip: float, yaw: float = 0.0,
        rot: Rotation | None = None, stiffness: float = 1.0,
    ) -> np.ndarray:
        """Move the grip site toward ``target`` (gain ``kp * stiffness``) and the hand toward
        ``rot`` (default: down at ``yaw``)."""
        rot = down_at(yaw) if rot is None else rot
        action = np.zeros(self.action_dim)
        action[:3] = np.clip(self.kp * stiffness * (target - p["robot0_eef_pos"]), -1.0, 1.0)
        action[3:6] = np.clip(self.kr * self.orientation_error(p, rot), -1.0, 1.0)
        action[6] = grip
        return action

    @staticmethod
    def orientation_error(p: dict[str, np.ndarray], rot: Rotation) -> np.ndarray:
        """World-frame rotation vector from the current eef orientation to ``rot``."""
        return (rot * Rotation.from_quat(p["robot0_eef_quat"]).inv()).as_rotvec()

    @staticmethod
    def reached(p: dict[str, np.ndarray], target: np.ndarray, tol: float) -> bool:
        return bool(np.linalg.norm(target - p["robot0_eef_pos"]) < tol)


def grasp_yaw(quat_xyzw: np.ndarray, symmetry: float = np.pi / 2) -> float:
    """The gripper yaw, nearest to 0, that lines the fingers up with a box's faces."""
    yaw = Rotation.from_quat(quat_xyzw).as_euler("xyz")[2]
    return float((yaw + symmetry / 2) % symmetry - symmetry / 2)


EXPERTS: Registry[Callable[..., Expert]] = Registry("scripted expert")


class PickExpert(Expert):
    """Hover over an object, descend, close, lift; then optionally carry it to
    :meth:`place_target`, lower it, release and retreat."""

    #: Prefix of the object's ``<obj>_pos`` / ``<obj>_quat`` state entries.
    obj: str
    #: Yaw symmetry of the object's grasp (pi/2 for a cube); None keeps the gripper at yaw 0.
    symmetry: float | None = np.pi / 2
    #: How far above the place target the object travels before it is lowered (m).
    carry_height = 0.06

    def plan(self, p: dict[str, np.ndarray]) -> None:
        rng = self.rng
        self.offset = np.r_[rng.uniform(-0.006, 0.006, 2), rng.uniform(-0.008, 0.004)]
        self.hover = rng.uniform(0.05, 0.12)
        self.close_steps = int(rng.integers(7, 12))
        self.lift = rng.uniform(0.12, 0.22)
        self.release_steps = int(rng.integers(4, 8))
        quat = p[f"{self.obj}_quat"]
        self.yaw = 0.0 if self.symmetry is None else grasp_yaw(quat, self.symmetry)

    def place_target(self, p: dict[str, np.ndarray]) -> np.ndarray | None:
        """Where the object's centre should go; None to just lift it."""
        return None

    def command(self, p: dict[str, np.ndarray]) -> np.ndarray:
        eef, obj = p["robot0_eef_pos"], p[f"{self.obj}_pos"]
        grasp = obj + self.offset
        if self.phase == "approach":
            hover = grasp + [0.0, 0.0, self.hover]
            above = np.linalg.norm((hover - eef)[:2]) < 0.012
            turned = abs(self.orientation_error(p, down_at(self.yaw))[2]) < 0.1
            if (above and turned) or self.phase_steps > 60:
                self.set_phase("descend")
            return self.servo(p, hover, OPEN, self.yaw)
        if self.phase == "descend":
            if self.reached(p, grasp, 0.008) or self.phase_steps > 40:
                self.set_phase("close")
            return self.servo(p, grasp, OPEN, self.yaw)
        if self.phase == "close":
            if self.phase_steps >= self.close_steps:
                self.set_phase("lift")
                self.lift_target = eef + [0.0, 0.0, self.lift]
            return self.servo(p, grasp, CLOSE, self.yaw)
        if self.phase in ("lift", "carry", "lower") and np.linalg.norm(eef - obj) > 0.05:
            self.set_phase("approach")  # missed or dropped it: try again
            return self.servo(p, eef + [0.0, 0.0, 0.05], OPEN, self.yaw)
        place = self.place_target(p)
        if self.phase == "lift":
            if place is not None and (eef[2] > self.lift_target[2] - 0.03 or self.phase_steps > 40):
                self.set_phase("carry")
            return self.servo(p, self.lift_target, CLOSE, self.yaw)
        held = eef - obj  # move the object, not the hand, to the target
        if self.phase == "carry":
            above = place + held + [0.0, 0.0, self.carry_height]
            if np.linalg.norm((above - eef)[:2]) < 0.02 or self.phase_steps > 80:
                self.set_phase("lower")
            return self.servo(p, np.r_[above[:2], max(above[2], eef[2])], CLOSE, self.yaw)
        if self.phase == "lower":
            if obj[2] < place[2] + 0.005 or self.phase_steps > 30:
                self.set_phase("release")
            return self.servo(p, place + held, CLOSE, self.yaw)
        if self.phase == "release":
            if self.phase_steps >= self.release_steps:
                self.set_phase("retreat")
                self.retreat_target = eef + [0.0, 0.0, 0.12]
            return self.servo(p, eef, OPEN, self.yaw)
        return self.servo(p, self.retreat_target, OPEN, self.yaw)


@EXPERTS.register("Lift")
class LiftExpert(PickExpert):
    """Pick the cube up."""

    obj = "cube"


@EXPERTS.register("Stack")
class StackExpert(PickExpert):
    """Pick cube A and put it on cube B (success once released and touching)."""

    obj = "cubeA"

    def plan(self, p: dict[str, np.ndarray]) -> None:
        super().plan(p)
        # Of the two grasps of cube A, the one whose fingers do not reach toward cube B.
        towards_b = (p["cubeB_pos"] - p["cubeA_pos"])[:2]
        options = [self.yaw, (self.yaw + np.pi) % np.pi - np.pi / 2]
        self.yaw = min(options, key=lambda yaw: abs(np.dot([-np.sin(yaw), np.cos(yaw)], towards_b)))
        self.lift = self.rng.uniform(0.1, 0.16)
        self.place_offset = np.r_[self.rng.uniform(-0.006, 0.006, 2), self.rng.uniform(0.004, 0.012)]

    def place_target(self, p: dict[str, np.ndarray]) -> np.ndarray:
        return p["cubeB_pos"] + [0.0, 0.0, 0.045] + self.place_offset  # half sizes 0.025 + 0.02


@EXPERTS.register("PickPlaceCan")
class PickPlaceCanExpert(PickExpert):
    """Pick the can from the left bin and drop it in its target quarter of the right bin."""

    obj = "Can"
    symmetry = None

    def __init__(self, env: RobosuiteEnv, noise: float = 0.1, pauses: float = 0.0) -> None:
        super().__init__(env, noise, pauses)
        raw = env.unwrapped
        self.target = np.array(raw.target_bin_placements[raw.object_to_id["can"]], dtype=np.float64)

    def plan(self, p: dict[str, np.ndarray]) -> None:
        super().plan(p)
        self.lift = self.rng.uniform(0.15, 0.22)
        # The target quarter's centre is at the edge of the Panda's reach: aim at its part
        # nearer the robot (still well inside it). The can's centre stands 0.06 above the
        # bin's reference height; drop it from a little higher.
        rng = self.rng
        self.place_offset = np.r_[rng.uniform(-0.06, -0.02), rng.uniform(-0.08, -0.05), 0.06 + rng.uniform(0.02, 0.05)]

    def place_target(self, p: dict[str, np.ndarray]) -> np.ndarray:
        return self.target + self.place_offset


@EXPERTS.register("Door")
class DoorExpert(Expert):
    """Grasp the lever handle from the front, turn it (about 1.3 rad frees the latch) by
    following the lever's arc, then pull the door open along its arc about the hinge.

    The hand is horizontal, pointing into the door with its fingers closing vertically
    around the lever: grasped from above, the 0.2 m wide hand would hit the door. The
    hinge, the lever's pivot and the door's axes are read from the simulator at reset
    (fixed for the episode); the handle and hinge angles come from ``obs["state"]``.
    """

    #: Lever angle the expert turns to; the latch is free from about 1.3 rad (limit 1.57).
    TURN = 1.45

    def __init__(self, env: RobosuiteEnv, noise: float = 0.1, pauses: float = 0.0) -> None:
        super().__init__(env, noise, pauses)
        self.env = env

    def plan(self, p: dict[str, np.ndarray]) -> None:
        raw, rng = self.env.unwrapped, self.rng
        data, model = raw.sim.data, raw.sim.model
        hinge, latch = (model.joint_name2id(j) for j in raw.door.joints[:2])
        self.hinge = np.array(data.xanchor[hinge])
        self.pivot = np.array(data.xanchor[latch])
        self.lever_axis = np.array(data.xaxis[latch])
        axes = data.body_xmat[raw.object_body_ids["door"]].reshape(3, 3)
        lever, normal = axes[:, 0], -axes[:, 1]  # lever: pivot -> free end; normal: out of the door
        radius = rng.uniform(0.08, 0.11)  # grasp this far out along the lever (its site is at 0.125)
        self.grasp0 = p["handle_pos"] - lever * (0.125 - radius)
        self.normal = normal
        # Hand pointing into the door (-normal), fingers closing vertically: of the two such
        # (mirror-image) poses, the one nearer the start, a quarter turn from DOWN.
        poses = [
            Rotation.align_vectors([-normal, [0.0, 0.0, side]], [[0.0, 0.0, -1.0], [0.0, -1.0, 0.0]])[0] * DOWN
            for side in (1.0, -1.0)
        ]
        self.hand0 = min(poses, key=lambda r: (r * DOWN.inv()).magnitude())
        self.standoff = rng.uniform(0.08, 0.12)
        self.close_steps = int(rng.integers(7, 12))
        self.turn_lead = rng.uniform(0.3, 0.5)  # rad ahead of the lever's angle
        self.pull_lead = rng.uniform(0.1, 0.2)  # rad ahead of the door's angle

    def pose(self, lever_angle: float, door_angle: float) -> tuple[np.ndarray, Rotation]:
        """Where the grasp point and the hand are with the lever and door at these angles."""
        turn = Rotation.from_rotvec(self.lever_axis * lever_angle)
        swing = Rotation.from_euler("z", door_angle)
        grasp = self.hinge + swing.apply(self.pivot - self.hinge + turn.apply(self.grasp0 - self.pivot))
        return grasp, swing * turn * self.hand0

    def command(self, p: dict[str, np.ndarray]) -> np.ndarray:
        eef = p["robot0_eef_pos"]
        lever, door = float(p["handle_qpos"][0]), float(p["hinge_qpos"][0])
        if self.phase == "approach":
            target = self.grasp0 + self.normal * self.standoff
            aligned = np.linalg.norm(self.orientation_error(p, self.hand0)) < 0.15
            if (aligned and self.reached(p, target, 0.02)) or self.phase_steps > 60:
                self.set_phase("insert")
            return self.servo(p, target, OPEN, rot=self.hand0)
        if self.phase == "insert":
            if self.reached(p, self.grasp0, 0.01) or self.phase_steps > 30:
                self.set_phase("close")
            return self.servo(p, self.grasp0, OPEN, rot=self.hand0)
        if self.phase == "close":
            if self.phase_steps >= self.close_steps:
                self.set_phase("turn")
            return self.servo(p, self.grasp0, CLOSE, rot=self.hand0)
        if np.linalg.norm(eef - self.pose(lever, door)[0]) > 0.04:
            self.set_phase("approach")  # the lever slipped out of the hand: grasp it again
            return self.servo(p, eef + self.normal * 0.05, OPEN, rot=self.hand0)
        if self.phase == "turn":
            if lever > 1.3 or self.phase_steps > 60:
                self.set_phase("pull")
            target, hand = self.pose(min(lever + self.turn_lead, self.TURN), door)
            return self.servo(p, target, CLOSE, rot=hand, stiffness=2.5)  # keep up with the lever
        target, hand = self.pose(self.TURN, door + self.pull_lead)
        return self.servo(p, target, CLOSE, rot=hand, stiffness=2.5)


def collect_demos(
    task: str,
    episodes: int,
    seed: int = 0,
    noise: float = 0.1,
    *,
    pauses: float = 0.0,
    max_steps: int | None = None,
    env: RobosuiteEnv | None = None,
    stop_on_success: bool = True,
    progress: bool = True,
) -> list[Demo]:
    """Run the scripted expert for ``episodes`` episodes; episode ``i`` resets with seed ``seed + i``.

    Episodes end at the env's first success (``stop_on_success``) or after ``max_steps``
    (the task's default). Failed episodes are kept (``Demo.success`` is False). ``pauses``:
    probability of an operator pause (:data:`PAUSE_STEPS` long) at each phase change.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    expert_cls = EXPERTS.get(task)
    owned = env is None
    env = env or RobosuiteEnv(task)
    if env.task != task:
        raise ValueError(f"collect_demos for {task!r} was given an env for {env.task!r}")
    budget = max_steps or env.max_steps
    expert = expert_cls(env, noise=noise, pauses=pauses)
    demos: list[Demo] = []
    bar = tqdm(range(episodes), desc=f"{task} expert", disable=not progress)
    try:
        for i in bar:
            demos.append(_run_episode(env, expert, seed + i, budget, stop_on_success))
            bar.set_postfix(success=f"{np.mean([d.success for d in demos]):.2f}")
    finally:
        if owned:
            env.close()
    return demos


def _run_episode(env: RobosuiteEnv, expert: Expert, seed: int, budget: int, stop_on_success: bool) -> Demo:
    obs = env.reset(seed)
    expert.reset(obs, np.random.default_rng([seed, 1]))
    states, actions = [obs["state"]], []
    success = False
    for _ in range(budget):
        action = expert.act(obs)
        obs = env.step(action)
        states.append(obs["state"])
        actions.append(action)
        success = env.success()
        if success and stop_on_success:
            break
    return Demo(
        states=np.stack(states).astype(np.float32),
        actions=np.stack(actions).astype(np.float32),
        success=success,
        seed=seed,
        task=env.task,
    )


def save_demos(path: str | Path, demos: list[Demo]) -> None:
    """Write demos to one ``.npz`` (episodes concatenated, with their lengths; no pickles)."""
    if not demos:
        raise ValueError("save_demos needs at least one demo")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        states=np.concatenate([d.states for d in demos]),
        actions=np.concatenate([d.actions for d in demos]),
        lengths=np.array([len(d.actions) for d in demos], dtype=np.int64),
        success=np.array([d.success for d in demos], dtype=bool),
        seed=np.array([d.seed for d in demos], dtype=np.int64),
        task=np.array([d.task for d in demos]),
    )


def load_demos(path: str | Path) -> list[Demo]:
    """Read demos written by :func:`save_demos`."""
    with np.load(Path(path), allow_pickle=False) as data:
        lengths = data["lengths"]
        state_ends = np.cumsum(lengths + 1)
        action_ends = np.cumsum(lengths)
        states = np.split(data["states"], state_ends[:-1])
        actions = np.split(data["actions"], action_ends[:-1])
        return [
            Demo(states=s, actions=a, success=bool(ok), seed=int(seed), task=str(task))
            for s, a, ok, seed, task in zip(states, actions, data["success"], data["seed"], data["task"], strict=True)
        ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a scripted robosuite expert and report its success rate.")
    parser.add_argument("--task", required=True, help=f"one of {', '.join(EXPERTS.names())}")
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0, help="episode i resets with seed + i")
    parser.add_argument("--noise", type=float, default=0.1, help="std of the Gaussian action noise")
    parser.add_argument("--pauses", type=float, default=0.0, help="probability of an operator pause at a phase change")
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="save the demos to this .npz")
    args = parser.parse_args(argv)
    demos = collect_demos(args.task, args.episodes, args.seed, args.noise, pauses=args.pauses, max_steps=args.max_steps)
    wins = [d for d in demos if d.success]
    summary = {
        "task": args.task,
        "episodes": len(demos),
        "success_rate": len(wins) / len(demos),
        "mean_success_length": float(np.mean([len(d.actions) for d in wins])) if wins else None,
    }
    print(json.dumps(summary))
    if args.out is not None:
        save_demos(args.out, demos)
        print(f"saved {len(demos)} demos to {args.out}")


if __name__ == "__main__":
    main()
