"""`python -m mognad.cli`: the same as the `mognad` command."""

import sys

from mognad.cli.main import main

sys.exit(main())
