"""Configuration comes only from environment variables, and the docs name every one: the
README's table with its default, or the table of the topic page that row points to."""

from pathlib import Path

import pytest

from payments_service.config import Settings

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
CONFIGURATION = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
PAGES = {page.name: page.read_text() for page in (ROOT / "docs").glob("*.md")}


def names(row: str) -> list[str]:
    """The variables a table row's first cell names (`WEBHOOK_*` stands for a prefix)."""
    return row.split("|")[1].replace("`", "").replace("/", ",").replace(" ", "").split(",")


def table_row(text: str, variable: str) -> str | None:
    return next(
        (
            line
            for line in text.splitlines()
            if line.startswith("| `")
            and any(
                name == variable or (name.endswith("*") and variable.startswith(name[:-1]))
                for name in names(line)
            )
        ),
        None,
    )


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_a_table_with_its_default(name: str) -> None:
    variable = name.upper()
    row = table_row(CONFIGURATION, variable)
    assert row is not None, f"{variable} is not in the README's configuration table"
    if "see [" in row:  # a row that points to the feature's own page, whose table has it
        page = row.split("](docs/", 1)[1].split(")", 1)[0].split("#", 1)[0]
        row = table_row(PAGES[page], variable)
        assert row is not None, f"{variable} is not in the table of docs/{page}"
    default = Settings.model_fields[name].default
    if isinstance(default, bool):
        assert f"`{str(default).lower()}`" in row, (name, default, row)
    elif isinstance(default, float):
        assert f"{default:g}" in row, (name, default, row)
    elif isinstance(default, int) or (isinstance(default, str) and default):
        assert str(default) in row, (name, default, row)


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    settings = Settings()
    assert (settings.db_pool_size, settings.log_level) == (3, "DEBUG")
