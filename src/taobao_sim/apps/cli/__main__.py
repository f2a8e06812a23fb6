"""``python -m taobao_sim.apps.cli``: the ``taobao-sim`` command."""

import sys

from . import main

sys.exit(main())
