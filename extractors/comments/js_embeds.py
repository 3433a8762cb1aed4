"""Comment embeds that load their comments with JavaScript (Disqus, Coral, OpenWeb, Facebook, Commento,
Hyvor Talk, utterances/giscus, Remark42, Vuukle, Livefyre, Viafoura): their text is not in the HTML."""

from __future__ import annotations

from lxml.etree import XPath
from lxml.html import HtmlElement

from extractors.comments.common import with_class

# The placeholders and loader scripts each embed leaves in the page.
# fmt: off
_EMBED_IDS = (
    "disqus_thread", "dsq-comments", "coral_thread", "commento", "hyvor-talk-view", "remark42", "vuukle-comments",
    "livefyre-comments",
)
_EMBED_CLASSES = ("fb-comments",)
_EMBED_ATTRIBUTES = ("data-spot-id",)  # OpenWeb
_EMBED_ELEMENTS = ("coral-talk", "hyvor-talk-comments", "vf-conversations")
_EMBED_SCRIPT_SOURCES = (
    "disqus.com", "coral", "openweb", "spot.im", "commento", "talk.hyvor.com", "utteranc.es", "giscus.app",
)
_EMBED_SCRIPT_TEXTS = (".disqus.com/embed.js", "Coral.createStreamEmbed")
# fmt: on
# One walk per kind of sign rather than one per sign, and ids and attributes found by walking the
# attributes (`//@id[…]`), not by testing every element (see common.with_class): several times faster.
_SCRIPT_TESTS = [f"contains(@src, '{source}')" for source in _EMBED_SCRIPT_SOURCES] + [
    f"contains(., '{text}')" for text in _EMBED_SCRIPT_TEXTS
]
_JS_EMBED = XPath(
    " | ".join(
        (
            f"//@id[{' or '.join(f'.={name!r}' for name in _EMBED_IDS)}]",
            with_class(*_EMBED_CLASSES),
            *(f"//@{name}" for name in _EMBED_ATTRIBUTES),
            *(f"//{name}" for name in _EMBED_ELEMENTS),
            f"//script[{' or '.join(_SCRIPT_TESTS)}]",
        )
    )
)


def has_js_comment_embed(root: HtmlElement) -> bool:
    return bool(_JS_EMBED(root))
