"""Tangguh: a resilient e-procurement node for Indonesian government bodies."""

__version__ = "0.1.0"
