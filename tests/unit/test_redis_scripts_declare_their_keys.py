"""Each Lua script states which keys it takes; the statement, the keys the adapter passes and
the keys the script uses agree, so no script touches a key it was not given (Redis Cluster
would refuse it, and a standalone server would hide the mistake)."""

from __future__ import annotations

import re

import pytest

from ticketing_adapters.redis.keys import KEY_NAMES
from ticketing_adapters.redis.scripts import SCRIPT_KEYS, ScriptName, lua_file, script_source


@pytest.mark.parametrize("name", list(SCRIPT_KEYS))
def test_a_script_uses_only_the_keys_it_declares_and_is_given(name: ScriptName) -> None:
    body = lua_file(name)
    header = re.search(r"^-- KEYS: (.*)$", body, re.MULTILINE)
    assert header is not None, "the header names the keys"
    assert tuple(key.strip() for key in header.group(1).split(",")) == SCRIPT_KEYS[name]
    assert set(re.findall(r"\bK\.(\w+)", body)) <= set(SCRIPT_KEYS[name])
    assert "KEYS[" not in body, "keys are reached through K, which the adapter generates"


def test_the_shared_helpers_use_only_keys_of_the_layout() -> None:
    assert set(re.findall(r"\bK\.(\w+)", lua_file("lib"))) <= set(KEY_NAMES)


def test_a_built_script_names_its_keys_in_the_order_the_adapter_passes_them() -> None:
    first_line = script_source("leave").splitlines()[0]
    assert first_line == (
        "local K = {stock = KEYS[1], places = KEYS[2], waiting = KEYS[3], gaps = KEYS[4], "
        "active = KEYS[5], seen = KEYS[6], drawing = KEYS[7]}"
    )
