"""Why an input could not become rows.

Modelled on httpx's small hierarchy: one base class the pipeline catches and
records as a reject; `reason` is a short stable code analysts can GROUP BY,
`detail` a sentence a person can act on.
"""
from __future__ import annotations


class InputRejected(Exception):
    """An input that cannot be loaded. Recorded in `rejects`, never fatal to a run."""

    stage = "parse"
    reason = "rejected"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class EmptyInput(InputRejected):
    reason = "empty"


class BinaryInput(InputRejected):
    reason = "binary"


class UndecodableInput(InputRejected):
    reason = "undecodable"


class UnsupportedInput(InputRejected):
    stage = "discover"
    reason = "unsupported_type"


class MissingInput(InputRejected):
    stage = "discover"
    reason = "not_found"


class NoArticleText(InputRejected):
    stage = "extract"
    reason = "no_article_text"
