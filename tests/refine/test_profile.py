from __future__ import annotations

from pathlib import Path

import pytest

from hotpass.errors import ProfileError
from hotpass.refine.profile import (
    PROFILE_DIR,
    _parse_yaml,
    _validate,
    builtin_profiles,
    load_profile,
)


def test_builtin_profiles_load() -> None:
    assert builtin_profiles() == ["aviation", "generic"]
    aviation = load_profile("aviation")
    assert aviation.required == ("organization_name",)
    assert aviation.synonym_index["operatorname"] == "organization_name"
    assert aviation.province_aliases["kzn"] == "KwaZulu-Natal"
    assert [e.metric for e in aviation.expectations][:2] == ["records_out", "share_with_email"]


def test_builtin_profiles_match_the_schema() -> None:
    # load_profile trusts the built-in profiles (no schema check per run); this is their check.
    for name in builtin_profiles():
        path = PROFILE_DIR / f"{name}.yaml"
        _validate(path, _parse_yaml(path))


def test_schema_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nfields:\n  organization_name:\n    type: txt\n"
                   "required: [organization_name, website]\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(str(bad))
    message = caught.value.render()
    assert f"{bad}:4: fields/organization_name/type: 'txt' is not one of" in message
    assert f"{bad}:5: required: 'website' is not one of the fields" in message
    assert caught.value.exit_code == 2


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yml"
    bad.write_text("name: x\nfields: [\n  a: b\n")
    with pytest.raises(ProfileError, match=rf"{bad}:\d+: not valid YAML"):
        load_profile(str(bad))


def test_unknown_profile_lists_the_builtins() -> None:
    with pytest.raises(ProfileError, match="unknown profile 'nope'; built-in profiles: "
                                           "aviation, generic"):
        load_profile("nope")
