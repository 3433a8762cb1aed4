"""`newsmon`: the front door. Each command lives in the module of its kind; importing them
registers them on the one typer app (newsmon/app.py), in the order `newsmon --help` lists them."""

from __future__ import annotations

from newsmon import extract, history, ingest, lake, monitor, query, serve, server, watch
from newsmon.app import Exit, app

__all__ = ["Exit", "app"]
# imported for their @app.command registrations
_COMMANDS = (ingest, monitor, serve, server, history, query, lake, extract, watch)
