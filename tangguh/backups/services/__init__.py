"""Backups: ``backup_create`` (a consistent, encrypted, signed, incremental snapshot),
``backup_verify`` (without the recovery key), ``backup_verify_restore`` (with it, into a scratch
place) and ``backup_restore`` (bring a node back). See docs/operations.md "Backups" and
docs/decisions/0702-backups.md."""
