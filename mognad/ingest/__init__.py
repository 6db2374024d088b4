"""Ingest: take settled files from the inbox once, check them, land them, answer with a receipt.

- `run`: finding settled files, taking each once (durable copy → raw → ledger → receipt).
- `worker`: worker processes for large runs.
- `readers`, `feeds`, `columnar`, `mapping`, `plan`, `xapi`, `values`: reading and parsing.
- `land`, `durable`, `receipts`, `identity`: writing what was taken.
- `check`: the same checks for a deliverer, without taking the file.
"""
