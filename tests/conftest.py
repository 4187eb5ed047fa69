"""Fixture plugins shared across the test directories."""

pytest_plugins = ["tests.integration.stack_fixtures"]
