"""`python -m app.cli`: the same as `cld`."""

import sys

from app.cli import main

sys.exit(main())
