"""The control tower: server-rendered pages at /ui (overview, trace explorer, recall workbench, events,
exceptions) over the same store and trace functions as the API, with the same API keys and scopes.

`install(app)` is the whole public surface: it mounts the pages, the static assets and the 403 page.
"""

from __future__ import annotations

from lotline.ui._install import install

__all__ = ["install"]
