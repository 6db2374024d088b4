"""Disclosure control over the published person counts (docs/metod.md):

- `model`: every shown number as a linear constraint over the hidden cells;
- `solve`: the tightest interval an attacker can derive for each hidden count (HiGHS LPs);
- `audit`: `mognad audit [FILE]`, the proof that no hidden count is pinned or proved small;
- `protect`: the joint secondary suppression the build runs between dbt and publish, hiding
  further cells across all linked marts until the audit passes.

Self-contained on purpose: it imports only mognad.config.
"""
