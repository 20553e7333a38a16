"""Test support shipped with the package: an early pytest plugin and factories."""
