"""derive_seed: a separator between parts, known values, and no collisions on a grid."""

import hashlib
import itertools

from wam_tts import derive_seed


def _blake2b_seed(text: str) -> int:
    """The documented construction, written out independently: blake2b-64 of ``a/b/...``, 63 bits."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") & (2**63 - 1)


def test_parts_are_separated_so_different_splits_give_different_seeds():
    assert derive_seed(1, 23) != derive_seed(12, 3)
    assert derive_seed("ab", "c") != derive_seed("a", "bc")
    assert derive_seed(1, 23) == _blake2b_seed("1/23")
    assert derive_seed(0, "reach", 3) == _blake2b_seed("0/reach/3") == 8357855513162757732  # stable across machines


def test_no_two_seeds_of_a_grid_collide_and_all_fit_63_bits():
    seeds = [derive_seed(a, b) for a, b in itertools.product(range(40), range(40))]
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= s < 2**63 for s in seeds)
