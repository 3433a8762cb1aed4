"""The `newsmon` command line: the top layer; nothing imports it.

Library errors (`extractors.errors.NewsmonError`) become one line and an exit code here.
"""

__all__ = ["cli", "prefect_server", "serve"]
