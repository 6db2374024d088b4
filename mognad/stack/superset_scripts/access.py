"""Roles, row-level security and demo users in Superset (run by Superset's own interpreter).

`mognad.stack.superset_access.setup_access` runs this file with the Superset virtualenv's
python and the spec (`access_spec`) as JSON on stdin: a role per municipality whose RLS
filter shows only its rows on every dataset with a `municipality_code`, a county role, and
the demo users (password in `SUPERSET_DEMO_PASSWORD`). The last line printed is
`MOGNAD_ACCESS <json summary>`. Idempotent. Never imported by the pipeline.
"""

import json
import os
import sys
import time

from superset.app import create_app


def main() -> None:
    app = create_app()
    with app.app_context():
        from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
        from superset.extensions import db
        from superset.extensions import security_manager as sm
        from superset.models.core import Database
        from superset.utils.core import RowLevelSecurityFilterType

        spec = json.load(sys.stdin)
        t0 = time.monotonic()
        database = db.session.query(Database).filter_by(database_name="mognad").one()
        db_pv = sm.add_permission_view_menu("database_access", database.perm)
        tables = [
            t
            for t in db.session.query(SqlaTable).filter_by(database_id=database.id).all()
            if any(c.column_name == "municipality_code" for c in t.columns)
        ]
        gamma = sm.find_role("Gamma")
        sql_lab = sm.find_role("sql_lab")

        def role(name):
            r = sm.find_role(name) or sm.add_role(name)
            if db_pv not in r.permissions:
                r.permissions.append(db_pv)
            return r

        existing = {f.name: f for f in db.session.query(RowLevelSecurityFilter).all()}
        for m in spec["municipalities"]:
            r = role(m["role"])
            name = "kommun " + m["code"]
            f = existing.get(name) or RowLevelSecurityFilter(name=name)
            f.filter_type = RowLevelSecurityFilterType.REGULAR
            f.group_key = "municipality_code"
            f.clause = f"municipality_code = '{m['code']}'"
            f.description = "Kommunens användare ser bara kommunens rader."
            f.roles = [r]
            f.tables = list(tables)
            db.session.add(f)
        role(spec["county_role"])
        db.session.commit()

        password = os.environ["SUPERSET_DEMO_PASSWORD"]
        for u in spec["users"]:
            roles = [gamma, sm.find_role(u["role"])] + ([sql_lab] if u["county"] else [])
            user = sm.find_user(username=u["username"])
            if user is None:
                user = sm.add_user(
                    u["username"],
                    u["username"],
                    "demo",
                    u["username"] + "@mognad.invalid",
                    roles,
                    password=password,
                )
                if not user:
                    sys.exit("could not create user " + u["username"])
            else:
                user.roles = roles
                sm.update_user(user)
                sm.reset_password(user.id, password)
        db.session.commit()
        summary = {
            "roles": len(spec["municipalities"]) + 1,
            "rls_tables": len(tables),
            "seconds": round(time.monotonic() - t0, 1),
        }
        print("MOGNAD_ACCESS " + json.dumps(summary))


if __name__ == "__main__":
    main()
