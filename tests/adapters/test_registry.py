"""The adapter table: one entry wires an adapter into the harness and into ``adapters.check``."""

from __future__ import annotations

import importlib
import pathlib
import subprocess
import sys

import pytest

from adapters import check
from adapters.registry import ADAPTERS, NOTHING_EXTRA, Adapter
from eval.policies import POLICIES, make_policy
from wam_tts import UnknownNameError, WorldActionModel

ROOT = pathlib.Path(__file__).resolve().parents[2]

SHIPPED = {"reference_joint", "reference_inverse", "cosmos_policy", "lingbot_va"}


def test_every_adapter_is_a_policy_of_the_harness_and_lists_for_free():
    assert SHIPPED <= set(ADAPTERS.names()) <= set(POLICIES.names())
    for name in ADAPTERS:
        assert POLICIES.get(name).__doc__ == ADAPTERS.get(name).summary


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_entry_names_a_factory_and_check_that_exist(name):
    entry = ADAPTERS.get(name)
    assert callable(entry.load_factory())
    if entry.check is not None:
        assert callable(importlib.import_module(entry.check).main)
        assert check.CHECKS[name] == entry.check
    assert entry.install


def test_checks_are_read_from_the_table():
    assert check.CHECKS == {"cosmos_policy": "adapters.cosmos_policy.check", "lingbot_va": "adapters.lingbot_va.check"}
    assert ADAPTERS.get("reference_joint").install == NOTHING_EXTRA


def test_a_preset_fixes_the_family_and_cannot_be_overridden():
    policy = make_policy("reference_inverse", "Lift")
    assert isinstance(policy, WorldActionModel) and type(policy).__name__ == "InverseDynamicsWAM"
    with pytest.raises(TypeError, match=r"options \['family'\] are fixed"):
        make_policy("reference_joint", "Lift", family="inverse")


def test_unknown_options_and_names_are_clear_errors():
    with pytest.raises(TypeError, match="policy 'reference_joint' does not take options \\['width'\\]"):
        make_policy("reference_joint", "Lift", width=3)
    with pytest.raises(UnknownNameError, match="Did you mean 'lingbot_va'"):
        make_policy("lingbot-va", "place_empty_cup")


def test_a_malformed_or_missing_factory_is_named():
    with pytest.raises(ValueError, match="'module:function'"):
        Adapter(factory="adapters.reference.load_reference_policy", summary="no colon")
    with pytest.raises(ImportError, match="adapters.reference has no 'load_nothing'"):
        Adapter(factory="adapters.reference:load_nothing", summary="typo").load_factory()


def test_listing_the_policies_imports_no_adapter_package():
    code = ("import sys, eval.policies, adapters.check\n"
            "names = eval.policies.POLICIES.names()\n"
            "print(sorted(m for m in sys.modules if m.startswith(('adapters.reference', 'adapters.cosmos_policy', "
            "'adapters.lingbot_va'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_check_command_names_what_to_install_when_the_check_cannot_import(monkeypatch, capsys):
    monkeypatch.setitem(check.CHECKS, "reference_joint", "adapters.no_such_check_module")
    assert check.main(["reference_joint"]) == 2
    err = capsys.readouterr().err
    assert "no_such_check_module" in err and f"to install what reference_joint needs: {NOTHING_EXTRA}" in err
