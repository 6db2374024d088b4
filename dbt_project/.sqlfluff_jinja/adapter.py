"""What sqlfluff's Jinja templater needs of dbt's `adapter` to render the staging models
(only `quote`); dbt itself never reads this folder."""


def quote(name: str) -> str:
    return f'"{name}"'
