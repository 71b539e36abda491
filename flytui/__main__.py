"""``python -m flytui``: the same as the ``flytui`` command."""

import sys

from .cli import main

sys.exit(main())
