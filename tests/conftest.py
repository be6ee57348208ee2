"""The suite's fixtures live in one plugin, tests/support/fixtures.py; helpers in tests/support/."""

pytest_plugins = ["tests.support.fixtures"]
