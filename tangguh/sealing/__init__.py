"""Sealing on the command line and on files (Django-free): see ``files`` and ``cli``."""
