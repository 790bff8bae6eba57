"""Text formatting the way Telegram does it: UTF-16 lengths and parse modes to entities.

Telegram measures text limits and entity offsets in UTF-16 code units, so an emoji counts twice.
Bots usually send HTML or MarkdownV2; parsing them here into plain text plus entities lets the
emulator store what a user would really see and reject the same malformed markup Telegram rejects
(an unescaped ``.`` in MarkdownV2, an unknown HTML tag), so such bugs surface in tests and not in
production. Legacy ``Markdown`` is not parsed: the raw text is kept.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

Entity = dict[str, Any]


class ParseError(ValueError):
    """Markup Telegram would refuse; the message is the part after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _link_entity(offset: int, length: int, url: str) -> Entity:
    match = re.fullmatch(r"tg://user\?id=(\d+)", url)
    if match:
        # Telegram turns links to a user id into a mention carrying that user.
        user = {"id": int(match.group(1)), "is_bot": False, "first_name": ""}
        return {"type": "text_mention", "offset": offset, "length": length, "user": user}
    return {"type": "text_link", "offset": offset, "length": length, "url": url}


_SIMPLE_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "code": "code", "pre": "pre",
}


class _HtmlToEntities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pos = 0
        self.stack: list[tuple[str, Entity | None]] = []
        self.entities: list[Entity] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.pos += utf16_len(data)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise ParseError(f'Unsupported start tag "{tag}"')

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        entity: Entity = {"offset": self.pos}
        if tag in _SIMPLE_TAGS:
            entity["type"] = _SIMPLE_TAGS[tag]
            parent = self.stack[-1][1] if self.stack else None
            if tag == "code" and parent is not None and parent.get("type") == "pre":
                # <pre><code class="language-x"> is one pre entity with a language.
                lang = (attr.get("class") or "").removeprefix("language-")
                if lang:
                    parent["language"] = lang
                self.stack.append((tag, None))
                return
        elif tag == "span":
            if attr.get("class") != "tg-spoiler":
                raise ParseError('Tag "span" must have class "tg-spoiler"')
            entity["type"] = "spoiler"
        elif tag == "a":
            entity["type"] = "text_link"
            entity["url"] = attr.get("href") or ""
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if "expandable" in attr else "blockquote"
        elif tag == "tg-emoji":
            entity["type"] = "custom_emoji"
            entity["custom_emoji_id"] = attr.get("emoji-id") or ""
        else:
            raise ParseError(f'Unsupported start tag "{tag}"')
        self.stack.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise ParseError(f'Unmatched end tag "{tag}"')
        _, entity = self.stack.pop()
        if entity is None:
            return
        length = self.pos - entity["offset"]
        if length <= 0:
            return
        if entity["type"] == "text_link":
            entity = _link_entity(entity["offset"], length, entity["url"])
        else:
            entity["length"] = length
        self.entities.append(entity)


def parse_html(source: str) -> tuple[str, list[Entity]]:
    parser = _HtmlToEntities()
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{parser.stack[-1][0]}"')
    return "".join(parser.parts), _sorted(parser.entities)


_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD_MARKERS = (("||", "spoiler"), ("__", "underline"), ("*", "bold"), ("_", "italic"),
               ("~", "strikethrough"))


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    pos = 0
    stack: list[tuple[str, int]] = []  # (marker, start offset)
    entities: list[Entity] = []
    quote_start: int | None = None
    i, n = 0, len(source)

    def emit(text: str) -> None:
        nonlocal pos
        out.append(text)
        pos += utf16_len(text)

    def read_until(end: str, start: int) -> tuple[str, int]:
        # Inside code and link URLs only "\" and the closing character need escaping.
        buf: list[str] = []
        j = start
        while j < n:
            if source[j] == "\\" and j + 1 < n:
                buf.append(source[j + 1])
                j += 2
            elif source.startswith(end, j):
                return "".join(buf), j + len(end)
            else:
                buf.append(source[j])
                j += 1
        raise ParseError(f"Can't find end of the entity starting at byte offset {start}")

    while i < n:
        c = source[i]
        at_line_start = i == 0 or source[i - 1] == "\n"
        if quote_start is not None and at_line_start and c != ">":
            if pos > quote_start:
                entities.append({"type": "blockquote", "offset": quote_start,
                                 "length": pos - quote_start - 1})
            quote_start = None
        if c == "\\":
            if i + 1 >= n:
                raise ParseError("Character '\\' is reserved and must be escaped")
            emit(source[i + 1])
            i += 2
            continue
        if c == ">" and at_line_start:
            if quote_start is None:
                quote_start = pos
            i += 1
            continue
        if source.startswith("```", i):
            body, i = read_until("```", i + 3)
            language, sep, rest = body.partition("\n")
            entity: Entity = {"type": "pre", "offset": pos}
            if sep and language and not re.search(r"\s", language):
                entity["language"] = language
                body = rest
            emit(body)
            if body:
                entities.append({**entity, "length": utf16_len(body)})
            continue
        if c == "`":
            body, i = read_until("`", i + 1)
            if body:
                entities.append({"type": "code", "offset": pos, "length": utf16_len(body)})
            emit(body)
            continue
        if c == "[":
            stack.append(("[", pos))
            i += 1
            continue
        if c == "]":
            if not stack or stack[-1][0] != "[" or not source.startswith("(", i + 1):
                raise ParseError("Character ']' is reserved and must be escaped with the "
                                 "preceding '\\'")
            url, i = read_until(")", i + 2)
            _, start = stack.pop()
            if pos > start:
                entities.append(_link_entity(start, pos - start, url))
            continue
        marker = next((m for m, _ in _MD_MARKERS if source.startswith(m, i)), None)
        if marker is not None:
            if stack and stack[-1][0] == marker:
                _, start = stack.pop()
                if pos > start:
                    kind = dict(_MD_MARKERS)[marker]
                    entities.append({"type": kind, "offset": start, "length": pos - start})
            elif any(m == marker for m, _ in stack):
                raise ParseError(f"Can't find end of {dict(_MD_MARKERS)[marker]} entity")
            else:
                stack.append((marker, pos))
            i += len(marker)
            continue
        if c in _RESERVED:
            raise ParseError(f"Character '{c}' is reserved and must be escaped with the "
                             "preceding '\\'")
        emit(c)
        i += 1
    if stack:
        raise ParseError(f"Can't find end of the entity starting with '{stack[-1][0]}'")
    if quote_start is not None and pos > quote_start:
        entities.append({"type": "blockquote", "offset": quote_start, "length": pos - quote_start})
    return "".join(out), _sorted(entities)


def parse(text: str, parse_mode: str | None) -> tuple[str, list[Entity] | None]:
    """Plain text and entities for ``text`` sent with ``parse_mode`` (None: no entities)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        plain, entities = parse_html(text)
    elif mode == "markdownv2":
        plain, entities = parse_markdown_v2(text)
    else:
        return text, None
    return plain, entities or None


def _sorted(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![^\s.,;:!?])")


def command_entities(text: str) -> list[Entity]:
    """``bot_command`` entities a Telegram client attaches to a user's text (``/start@bot``)."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]),
         "length": utf16_len(m.group())}
        for m in _COMMAND.finditer(text)
    ]
