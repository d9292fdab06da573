"""``python -m flask_modelregistry.client``: the same as the ``modelregistry`` command."""
from __future__ import annotations

from .cli import main

raise SystemExit(main())
