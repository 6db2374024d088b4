"""Superset configuration for mognad (loaded through SUPERSET_CONFIG_PATH).

Everything secret comes from the environment, which ``mognad.stack.superset_base.superset_env``
fills from the generated secrets file. There are no default secrets: a missing key stops start-up.
"""

import os
from datetime import timedelta


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(
            f"{name} is not set; start Superset through `mognad` (mognad.stack.superset_local)"
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
SAMPLES_ROW_LIMIT = 1000
SQLLAB_TIMEOUT = 60
SUPERSET_WEBSERVER_TIMEOUT = 60

# --- login throttling --------------------------------------------------------------------
# On in every environment (Superset turns it on only when SUPERSET_ENV=production). Counted
# per client address; the store is in-process for one machine (each gunicorn worker counts
# on its own, so the real limit is this times the workers) and Redis in the cluster
# (docker-compose.yml sets SUPERSET_REDIS_URL), shared by every worker.
RATELIMIT_ENABLED = os.environ.get("MOGNAD_SUPERSET_RATELIMIT", "1") != "0"
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = os.environ.get("MOGNAD_SUPERSET_AUTH_RATE_LIMIT") or "10 per minute"
# A ceiling on everything else per client; a dashboard loads ~40 charts and its assets.
RATELIMIT_APPLICATION = "100 per second"
RATELIMIT_STORAGE_URI = (
    os.environ.get("SUPERSET_RATELIMIT_STORAGE_URI")
    or os.environ.get("SUPERSET_REDIS_URL")
    or "memory://"
)
RATELIMIT_KEY_PREFIX = "mognad-superset-ratelimit"
RATELIMIT_HEADERS_ENABLED = True

# --- caches ------------------------------------------------------------------------------
# Two municipalities send the same SQL (each to its own file, see DB_CONNECTION_MUTATOR):
# a result cache keyed by SQL would hand one municipality's rows to the other. No result
# is cached; the database also sets per_user_caching, so a cache configured later is keyed
# per user too. Filter state and explore form data hold no results.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
CACHE_DEFAULT_TIMEOUT = 0

# --- isolation: each user's own warehouse file --------------------------------------------
# The published warehouse (mognad.build.publish) is a generation folder with the county file
# ``mognad.duckdb`` and ``kommun/<kommunkod>.duckdb``: the same tables, holding only that
# municipality's detail and the county's protected aggregates. Superset's one database
# names the warehouse (``duckdb:///mognad.duckdb``, no server path in exports); every
# engine Superset creates passes through this mutator, which opens the file of the
# logged-in user's role:
#   Admin or a county role ("Län …")  -> the county file
#   exactly one role "Kommun <kod> …"  -> that municipality's file
#   anything else (no user, no role, several municipalities, unknown code)
#                                      -> an empty in-memory database: fail closed
# The generation is resolved once per connection (realpath of the county path), so a user
# never sees files from two builds. The path is given relative to the working directory
# so that the DuckDB catalog shows no absolute server path.
WAREHOUSE_NAME = "mognad.duckdb"  # the URI names the warehouse; MOGNAD_WAREHOUSE is the path
COUNTY_ROLE_PREFIX = "Län "
MUNICIPALITY_ROLE = r"^Kommun (\d{4}) "
COUNTY_ROLES = frozenset({"Admin"})
LOCKED_DUCKDB_CONFIG = {
    "enable_external_access": False,
    "lock_configuration": True,
    "allow_persistent_secrets": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "home_directory": "/nonexistent",
    "secret_directory": "/nonexistent",
    "extension_directory": "/nonexistent",
    "temp_directory": "",
}


def _warehouse_target(username, security_manager):
    """('county', None) | ('municipality', code) | ('none', reason) for this user."""
    import re

    if not username:
        return "none", "ingen inloggad användare / no user"
    user = security_manager.find_user(username=username)
    if user is None or not getattr(user, "is_active", True):
        return "none", "okänd användare / unknown user"
    names = [r.name for r in (user.roles or [])]
    if any(n in COUNTY_ROLES or n.startswith(COUNTY_ROLE_PREFIX) for n in names):
        return "county", None
    codes = {m.group(1) for n in names if (m := re.match(MUNICIPALITY_ROLE, n))}
    if len(codes) == 1:
        return "municipality", codes.pop()
    return "none", "ingen eller flera kommunroller / no or several municipality roles"


def _locked(params):
    params = dict(params or {})
    connect_args = dict(params.get("connect_args") or {})
    config = dict(connect_args.get("config") or {})
    config.update(LOCKED_DUCKDB_CONFIG)  # whatever the database's extra says
    connect_args["config"] = config
    params["connect_args"] = connect_args
    return params


def DB_CONNECTION_MUTATOR(uri, params, username, security_manager, source):  # noqa: N802
    if uri.drivername != "duckdb":
        return uri, params
    params = _locked(params)
    kind, code = _warehouse_target(username, security_manager)
    published = os.environ.get("MOGNAD_WAREHOUSE", "")
    if uri.database == WAREHOUSE_NAME:  # the database of superset/assets/databases
        real = os.path.realpath(published) if published else ""
    else:  # another DuckDB database an admin added: as it is for the county, never else
        real = os.path.realpath(uri.database) if uri.database else ""
        if kind == "municipality":
            kind = "none"
    if kind == "municipality":
        candidate = os.path.join(os.path.dirname(real), "kommun", f"{code}.duckdb")
        if not os.path.isfile(candidate):
            kind, code = "none", "ingen fil för kommunen / no file for the municipality"
        else:
            real = candidate
    if kind == "none" or not real:
        params["connect_args"].pop("read_only", None)  # in-memory cannot be read-only
        return uri.set(database=":memory:"), params
    params["connect_args"]["read_only"] = True
    return uri.set(database=os.path.relpath(real)), params


# --- the third wall: user-supplied SQL fragments -----------------------------------------
# Superset pastes custom SQL from adhoc filters, metrics, columns, order by, where and
# having into its query. Every such fragment passes Superset's
# ExploreMixin._process_sql_expression (as "SELECT <fragment>" or "SELECT 1 ORDER BY
# <fragment>"); FLASK_APP_MUTATOR wraps it with check_fragment, which parses the fragment
# with sqlglot (dialect duckdb) and allows only plain expressions: columns, literals,
# arithmetic, comparisons, CASE, casts and the functions below. Refused: several
# statements, comments, set operations, sub-queries, FROM/JOIN, table functions and any
# other function (read_*, glob, query, query_table, duckdb_*(), current_setting, getenv …).
ALLOWED_FUNCTIONS = frozenset(
    {
        # aggregates
        "avg", "sum", "count", "min", "max", "median", "stddev", "stddev_samp",
        "stddev_pop", "variance", "var_samp", "var_pop", "countif", "count_if",
        "approx_distinct", "approx_count_distinct", "bool_and", "bool_or", "any_value",
        # scalars
        "coalesce", "nullif", "ifnull", "greatest", "least", "round", "abs", "floor",
        "ceil", "ceiling", "sqrt", "power", "pow", "ln", "log", "exp", "sign", "mod",
        "lower", "upper", "trim", "ltrim", "rtrim", "length", "substring", "substr",
        "concat", "replace", "left", "right", "printf", "format", "strftime", "date_trunc",
        "datetrunc", "date_part", "datepart", "extract", "year", "month", "day", "quarter",
        "week", "safe_divide",
    }
)  # fmt: skip


class FragmentRefused(ValueError):
    pass


def check_fragment(sql):
    """Raise FragmentRefused unless ``sql`` (Superset's "SELECT <fragment>" wrapper around a
    user's expression) is one SELECT of plain expressions with allowed functions only."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.tokens import TokenType

    def refuse(why):
        raise FragmentRefused(f"Otillåtet SQL-uttryck / SQL expression not allowed: {why}")

    try:
        tokens = sqlglot.Dialect.get_or_raise("duckdb").tokenize(sql)
    except Exception:  # noqa: BLE001
        refuse("kan inte läsas / cannot be parsed")
    if any(t.comments for t in tokens):
        refuse("kommentarer / comments")
    if sum(t.token_type == TokenType.SEMICOLON for t in tokens) > 0:
        refuse("flera satser / several statements")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except Exception:  # noqa: BLE001
        refuse("kan inte läsas / cannot be parsed")
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        refuse("flera satser / several statements")
    root = statements[0]
    extra_args = {k for k, v in root.args.items() if v} - {"expressions", "order"}
    if extra_args:
        refuse("bara uttryck, inga satsdelar / expressions only: " + ", ".join(sorted(extra_args)))
    plain = (
        exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren,
        exp.Tuple, exp.In, exp.Between, exp.Like, exp.ILike, exp.Is, exp.Not, exp.Neg,
        exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE,
        exp.NullSafeEQ, exp.NullSafeNEQ, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv,
        exp.Mod, exp.DPipe, exp.Case, exp.If, exp.Cast, exp.TryCast, exp.DataType,
        exp.Distinct, exp.Order, exp.Ordered, exp.Interval, exp.Var, exp.Star,
    )  # fmt: skip
    for node in root.walk():
        if node is root:
            continue
        if isinstance(node, (exp.Select, exp.Subquery, exp.Query)):
            refuse("delfrågor och mängdoperationer / sub-queries and set operations")
        if isinstance(node, (exp.Table, exp.From, exp.Join, exp.Lateral, exp.Values)):
            refuse("tabeller och tabellfunktioner / tables and table functions")
        if isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count):
            refuse("* bara i count(*) / * only in count(*)")
        if isinstance(node, exp.Column) and (node.args.get("db") or node.args.get("catalog")):
            refuse("bara kolumner i datasetet / dataset columns only")
        if isinstance(node, exp.Anonymous):
            name = str(node.this).lower()
        elif isinstance(node, exp.Func) and not isinstance(node, plain):
            name = node.sql_name().lower()
        else:
            name = None
        if name is not None and name not in ALLOWED_FUNCTIONS:
            refuse(f"funktionen / function {name}()")
        if name is None and not isinstance(node, plain):
            refuse(f"{type(node).__name__}")
    # Superset pastes a fragment beside the row-level security clause without brackets
    # ("<fragment> AND (municipality_code = …)"): a top-level OR would escape it.
    if (
        not root.args.get("order")
        and len(root.expressions) == 1
        and isinstance(root.expressions[0], exp.Or)
        and sql[:7].upper() == "SELECT "
    ):
        return f"SELECT ({sql[7:]})"
    return sql


# A net under all three walls: the final SQL of every query (charts and SQL Lab) must not
# call a function or read a relation that shows server internals or files. Superset's own
# SQL for the datasets never does.
DENIED_FUNCTION_PREFIXES = ("read_", "duckdb_", "pragma_", "sqlite_", "pg_", "parquet_")
DENIED_FUNCTIONS = frozenset(
    {
        "glob", "query", "query_table", "current_setting", "getenv", "getvariable",
        "which_secret", "iceberg_scan", "delta_scan", "sniff_csv", "load_aws_credentials",
        "json_execute_serialized_sql", "summary", "test_all_types", "repeat_row",
        "current_database", "current_schema", "current_schemas", "version",
    }
)  # fmt: skip
DENIED_SCHEMAS = frozenset({"information_schema", "pg_catalog", "system", "temp"})


def check_final_sql(sql):
    import sqlglot
    from sqlglot import exp

    def refuse(why):
        raise FragmentRefused(f"Otillåten fråga / query not allowed: {why}")

    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except Exception:  # noqa: BLE001
        return sql  # DuckDB's own parser decides; the walls above have run
    for statement in statements:
        if isinstance(statement, (exp.Pragma, exp.Command, exp.Set, exp.Attach, exp.Copy)):
            refuse(type(statement).__name__)
        for node in statement.walk():
            if isinstance(node, exp.Anonymous):
                name = str(node.this).lower()
            elif isinstance(node, exp.Func):
                name = node.sql_name().lower()
            elif isinstance(node, exp.Table):
                name = node.name.lower()
                if node.args.get("db") and node.db.lower() in DENIED_SCHEMAS:
                    refuse(f"{node.db}.{node.name}")
            else:
                continue
            if (
                isinstance(node, exp.ReadCSV)
                or name in DENIED_FUNCTIONS
                or name.startswith(DENIED_FUNCTION_PREFIXES)
            ):
                refuse(f"{name}")
    return sql


def SQL_QUERY_MUTATOR(sql, **kwargs):  # noqa: N802
    return check_final_sql(sql)


def _install_fragment_guard():
    from superset.exceptions import QueryObjectValidationError
    from superset.models.helpers import ExploreMixin

    original = ExploreMixin._process_sql_expression
    if getattr(original, "_mognad_guard", False):
        return

    def guarded(self, expression, database_id, engine, schema, template_processor):
        if expression:
            try:
                expression = check_fragment(expression)
            except FragmentRefused as ex:
                raise QueryObjectValidationError(str(ex)) from ex
        return original(self, expression, database_id, engine, schema, template_processor)

    guarded._mognad_guard = True
    ExploreMixin._process_sql_expression = guarded


def _throttle_api_login(app):
    """AUTH_RATE_LIMIT on the blueprints of the REST login ``/api/v1/security/login`` (FAB
    limits only its form view) and of the login form ``/login/``."""
    from superset.extensions import security_manager

    limiter = getattr(security_manager, "limiter", None)
    if limiter is None or not app.config.get("RATELIMIT_ENABLED"):
        return
    done = set()
    for rule in app.url_map.iter_rules():
        if rule.rule in ("/api/v1/security/login", "/login/") and "POST" in rule.methods:
            name = rule.endpoint.split(".")[0]
            blueprint = app.blueprints.get(name)
            if blueprint is not None and name not in done:
                limiter.limit(app.config["AUTH_RATE_LIMIT"], methods=["POST"])(blueprint)
                done.add(name)
    if not done:
        raise RuntimeError("no login route to throttle")


def FLASK_APP_MUTATOR(app):  # noqa: N802
    _install_fragment_guard()
    _throttle_api_login(app)
