"""payments-service: Harvest v1 compatible invoice payments on PostgreSQL."""

from importlib.metadata import version

__version__ = version("payments-service")  # pyproject.toml's, the one place it is written
