"""What the platform keeps between runs: the SQLite ledger and the encrypted archive.

- `ledger`: every ingest attempt and the tables beside it, behind the ledger's methods.
- `vault`: the encrypted at-rest format of stored originals, and its keys; `zones`: whole
  zones (migration, re-encryption, modes).
- `operations`: the runbook's operator functions (requeue, backfill, key rotation, purge).
"""
