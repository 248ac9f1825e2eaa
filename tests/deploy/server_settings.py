"""The production settings (config.settings) for the app servers the deploy tests start.

One difference: ``STATIC_ROOT`` comes from the environment, so the test
collects the static files into a temporary directory instead of the
project's ``staticfiles/``. Everything else is exactly ``config.settings``.
"""

import os
from pathlib import Path

from config.settings import *  # noqa: F403

if os.environ.get("STATIC_ROOT"):
    STATIC_ROOT = Path(os.environ["STATIC_ROOT"])
