"""Configuration comes only from environment variables, and the README documents every one."""

from pathlib import Path

import pytest

from payments_service.config import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()
CONFIGURATION = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme_table_with_its_default(name: str) -> None:
    rows = [line for line in CONFIGURATION.splitlines() if f"`{name.upper()}`" in line]
    if not rows:  # documented with its feature, which the table points to
        assert f"`{name.upper()}`" in README, f"{name.upper()} is not in the README"
        return
    default = Settings.model_fields[name].default
    if "see " in rows[0]:  # a row that points to the feature's own section
        return
    if isinstance(default, float):
        assert f"{default:g}" in rows[0], (name, default, rows[0])
    elif isinstance(default, int) or (isinstance(default, str) and default):
        assert str(default) in rows[0], (name, default, rows[0])


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    settings = Settings()
    assert (settings.db_pool_size, settings.log_level) == (3, "DEBUG")
