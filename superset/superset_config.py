"""Superset configuration for mognad (loaded through SUPERSET_CONFIG_PATH).

Everything secret comes from the environment, which ``mognad.superset.superset_env`` fills
from the generated secrets file. There are no default secrets: a missing key stops start-up.
"""

import os
from datetime import timedelta


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(
            f"{name} is not set; start Superset through `mognad` (mognad.superset.superset_env)"
        )
    return value


SUPERSET_HOME = _required("MOGNAD_SUPERSET_HOME")
DATA_DIR = SUPERSET_HOME

SECRET_KEY = _required("SUPERSET_SECRET_KEY")
GUEST_TOKEN_JWT_SECRET = _required("SUPERSET_GUEST_TOKEN_SECRET")

# Metadata (users, charts, dashboards): PostgreSQL in the cluster (docker-compose.yml sets
# SUPERSET_DATABASE_URI); otherwise SQLite beside the rest of the platform's state.
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_DATABASE_URI") or (
    "sqlite:///" + os.path.join(SUPERSET_HOME, "superset.db") + "?check_same_thread=false"
)

# --- sessions and CSRF -------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = os.environ.get("MOGNAD_SUPERSET_HTTPS", "") == "1"
PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = int(timedelta(hours=8).total_seconds())

# --- data sources ------------------------------------------------------------------------
# Refuse SQLite/shillelagh connections: the warehouse is opened read-only through DuckDB
# with external access disabled (see superset/assets/databases/mognad.yaml).
PREVENT_UNSAFE_DB_CONNECTIONS = True
# No CSV/Excel/columnar uploads into any database.
ALLOWED_EXTENSIONS: set[str] = set()
CSV_EXTENSIONS: set[str] = set()
EXCEL_EXTENSIONS: set[str] = set()
COLUMNAR_EXTENSIONS: set[str] = set()

FEATURE_FLAGS = {
    "DASHBOARD_RBAC": True,
    "EMBEDDED_SUPERSET": False,
    "ALERT_REPORTS": False,
    "ENABLE_TEMPLATE_PROCESSING": False,
    "TAGGING_SYSTEM": False,
    # Defence in depth: municipality roles have no SQL Lab, and row-level security would
    # apply there too if one were given it.
    "RLS_IN_SQLLAB": True,
}

# --- telemetry ---------------------------------------------------------------------------
# The prebuilt frontend reads SCARF_ANALYTICS at build time; we also keep the pixel host out
# of the content security policy so browsers never contact it.
SCARF_ANALYTICS = False
os.environ.setdefault("SCARF_ANALYTICS", "false")
# Superset's default policy, minus the telemetry pixel hosts and the map/font CDNs we do
# not use: the browser talks to this server only.
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": SESSION_COOKIE_SECURE,
    "frame_options": "DENY",
    "referrer_policy": "strict-origin-when-cross-origin",
    "strict_transport_security": SESSION_COOKIE_SECURE,
}
TALISMAN_CONFIG["content_security_policy"]["frame-ancestors"] = ["'none'"]
# The same policy in development mode (Superset swaps in TALISMAN_DEV_CONFIG when DEBUG).
TALISMAN_DEV_CONFIG = TALISMAN_CONFIG
HTTP_HEADERS = {"X-Content-Type-Options": "nosniff"}

# --- Swedish presentation ----------------------------------------------------------------
APP_NAME = "mognad"
BABEL_DEFAULT_LOCALE = "en"
D3_FORMAT = {
    "decimal": ",",
    "thousands": " ",
    "grouping": [3],
    "currency": ["", " kr"],
}
D3_TIME_FORMAT = {
    "dateTime": "%A %e %B %Y kl. %X",
    "date": "%Y-%m-%d",
    "time": "%H:%M:%S",
    "periods": ["fm", "em"],
    "days": ["söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"],
    "shortDays": ["sön", "mån", "tis", "ons", "tor", "fre", "lör"],
    "months": [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "shortMonths": [
        "jan",
        "feb",
        "mar",
        "apr",
        "maj",
        "jun",
        "jul",
        "aug",
        "sep",
        "okt",
        "nov",
        "dec",
    ],
}

# --- operations --------------------------------------------------------------------------
ROW_LIMIT = 50000
SQLLAB_TIMEOUT = 60
SUPERSET_WEBSERVER_TIMEOUT = 60
# One machine, a few users: the in-process rate limiter store is enough.
RATELIMIT_STORAGE_URI = "memory://"
