"""Create Superset's admin user when it is missing (run by Superset's own interpreter).

`mognad.stack.superset_local.setup` runs this file with the Superset virtualenv's python;
the user name comes in `MOGNAD_ADMIN_USER`, the password in `SUPERSET_ADMIN_PASSWORD`.
Not importable from the pipeline's environment (no `superset` there): never import it.
"""

import os
import sys

from superset.app import create_app


def main() -> None:
    app = create_app()
    with app.app_context():
        from superset.extensions import security_manager as sm

        if sm.find_user(username=os.environ["MOGNAD_ADMIN_USER"]) is None:
            user = sm.add_user(
                os.environ["MOGNAD_ADMIN_USER"],
                "Admin",
                "mognad",
                "admin@mognad.invalid",
                sm.find_role("Admin"),
                password=os.environ["SUPERSET_ADMIN_PASSWORD"],
            )
            if not user:
                sys.exit("could not create the admin user")
            print("created admin user")


if __name__ == "__main__":
    main()
