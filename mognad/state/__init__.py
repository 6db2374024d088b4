"""What the platform keeps between runs: the SQLite ledger and the encrypted archive.

- `ledger`: every ingest attempt and the tables beside it, behind the ledger's methods.
- `vault`: the encrypted at-rest format of stored originals, and its keys.
"""
