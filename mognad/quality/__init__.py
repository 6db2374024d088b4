"""Quality: Great Expectations over raw batches and marts, Data Docs, the delivery status.

- `gate`: the raw-batch gate and the mart validation, and the offline Data Docs.
- `status`: what each municipality has delivered and what is missing or stale.
"""
