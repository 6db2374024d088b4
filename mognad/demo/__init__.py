"""Demo data: deterministic files for every municipality, written into the inboxes.

- `generate`: the entry point (``generate(inbox, seed, scale)``).
- `design`: the time frame, sizes, styles and profiles.
- `common`: seeded randomness, people, writing files.
- `survey`, `hr`, `training`, `plan`: one module per feed.
"""
