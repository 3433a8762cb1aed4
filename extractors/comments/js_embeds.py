"""Comment embeds that load their comments with JavaScript (Disqus, Coral, OpenWeb, Facebook, Commento,
Hyvor Talk, utterances/giscus, Remark42, Vuukle, Livefyre, Viafoura): their text is not in the HTML."""

from __future__ import annotations

from lxml.etree import XPath
from lxml.html import HtmlElement

from extractors.comments.common import has_class

_JS_EMBED = XPath(
    " | ".join(
        (
            "//*[@id='disqus_thread' or @id='dsq-comments']",
            "//script[contains(@src, 'disqus.com') or contains(., '.disqus.com/embed.js')]",
            "//*[@id='coral_thread']",
            "//coral-talk",
            "//script[contains(@src, 'coral') or contains(., 'Coral.createStreamEmbed')]",
            "//*[@data-spot-id]",
            "//script[contains(@src, 'openweb') or contains(@src, 'spot.im')]",
            f"//*[{has_class('fb-comments')}]",
            "//*[@id='commento']",
            "//script[contains(@src, 'commento')]",
            "//*[@id='hyvor-talk-view']",
            "//hyvor-talk-comments",
            "//script[contains(@src, 'talk.hyvor.com')]",
            "//script[contains(@src, 'utteranc.es') or contains(@src, 'giscus.app')]",
            "//*[@id='remark42' or @id='vuukle-comments' or @id='livefyre-comments']",
            "//vf-conversations",
        )
    )
)


def has_js_comment_embed(root: HtmlElement) -> bool:
    return bool(_JS_EMBED(root))
