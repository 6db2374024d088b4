"""`python -m mognad.cli`: the same as the `mognad` command."""

import sys

from mognad.cli.app import main

sys.exit(main())
