"""The Assets mognad's DAGs exchange, named in one place (DAG files import these).

- `INBOX`: watched by `InboxSettledTrigger`; an event means "settled files wait in an inbox".
- `raw_feed(feed)`: one per feed; the ingest DAG emits an event only for feeds it loaded.
- `PUBLISHED`: the published warehouse, emitted after every atomic publish.
"""

from __future__ import annotations

from mognad.contract import feeds

# Every feed of the registry, `kolada` (the HTTP feed) too: it lands like the inbox feeds.
RAW_FEEDS: tuple[str, ...] = feeds.RAW_FEEDS

INBOX_ASSET_NAME = "mognad_inbox"
PUBLISHED_ASSET_NAME = "mognad_published"
RAW_LOADED_ALIAS = "mognad_raw_loaded"


def raw_feed_asset_name(feed: str) -> str:
    return f"mognad_raw_{feed}"
