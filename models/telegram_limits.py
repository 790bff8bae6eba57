"""What Telegram accepts, counted the way Telegram counts it, for every feature: text limits in
UTF-16 code units (an emoji is two) measured on the text a person sees after HTML parsing, the
one way to shorten or split a text without breaking a character, and the largest file a bot can
take from a person. Standard library only, so models and handlers both use it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from html.parser import HTMLParser

from models.errors import N_, Invalid

MESSAGE = 4096  # sendMessage / editMessageText, after entity parsing
CAPTION = 1024  # the caption of a photo or document
# Telegram documents no limit for a button's text, but clients cut long ones to a few words;
# a label built from a title or a place name is shortened to this.
BUTTON = 64
ALERT = 200  # the text of an answer to a button press (a toast or an alert)
# getFile serves bots files up to 20 MB: a larger one can be neither downloaded nor checked.
MAX_FILE_BYTES = 20 * 1024 * 1024
ELLIPSIS = "…"

_VARIATION_SELECTORS = (range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0))
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_TAGS = range(0xE0020, 0xE0080)  # the letters of a subdivision flag (🏴 + tags)
_REGIONAL = range(0x1F1E6, 0x1F200)  # two of these make one country flag
_ZWJ = 0x200D


def utf16_len(text: str) -> int:
    """The length Telegram checks: UTF-16 code units (a lone surrogate counts one)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _attached(ch: str) -> bool:
    """Whether `ch` belongs to the character before it (an accent, a skin tone, a ZWJ …)."""
    code = ord(ch)
    return (code == _ZWJ or code in _SKIN_TONES or code in _TAGS
            or any(code in r for r in _VARIATION_SELECTORS)
            or unicodedata.category(ch) in ("Mn", "Mc", "Me"))


def _splits_cluster(text: str, end: int) -> bool:
    """Whether cutting before `text[end]` would split what a person sees as one character."""
    if end <= 0 or end >= len(text):
        return False
    if _attached(text[end]) or ord(text[end - 1]) == _ZWJ:
        return True
    if 0xD800 <= ord(text[end - 1]) <= 0xDBFF and 0xDC00 <= ord(text[end]) <= 0xDFFF:
        return True  # a pair kept as two halves (text decoded with "surrogatepass")
    if ord(text[end]) in _REGIONAL:
        run = 0  # flags pair up from the start of a run of regional indicators
        while end - run > 0 and ord(text[end - run - 1]) in _REGIONAL:
            run += 1
        return run % 2 == 1
    return False


def cut(text: str, limit: int) -> str:
    """The longest start of `text` of at most `limit` UTF-16 units that never ends inside a
    surrogate pair, and where possible not inside an emoji sequence or before an accent."""
    if utf16_len(text) <= limit:
        return text
    end, used = 0, 0  # `end`: the first character left out
    while used + _units(text[end]) <= limit:
        used += _units(text[end])
        end += 1
    safe = end
    while safe > 0 and _splits_cluster(text, safe):
        safe -= 1
    # one cluster longer than the limit (a letter with a thousand accents): cut inside it
    return text[:safe or end]


def shorten(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """`text` if it fits in `limit` UTF-16 units, else its start with `ellipsis` added."""
    if utf16_len(text) <= limit:
        return text
    room = limit - utf16_len(ellipsis)
    if room <= 0:
        return cut(text, limit)
    return cut(text, room).rstrip() + ellipsis


def split(text: str, limit: int, *, first: int | None = None) -> list[str]:
    """Cut a long text into parts of at most `limit` UTF-16 units (`first` for the first part,
    which shares its message with a heading): at the part's last paragraph break, else its
    last line end, else a space in its second half, else anywhere. The break itself is
    dropped; nothing else is lost."""
    if min(limit, first if first is not None else limit) < 2:
        raise ValueError("a part must hold at least one character of two units")
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > (room := first if first is not None and not parts else limit):
        head = cut(rest, room)
        for sep, least in (("\n\n", 1), ("\n", 1), (" ", room // 2)):
            at = head.rfind(sep)
            if at > 0 and utf16_len(head[:at]) >= least:
                parts.append(head[:at])
                rest = rest[at + len(sep):]
                break
        else:
            parts.append(head)
            rest = rest[len(head):]
    parts.append(rest)
    return parts


def button_label(name: str, tail: str = "", limit: int = BUTTON) -> str:
    """A label made of a name and what follows it (a count): the name is what gets shorter."""
    return shorten(name, limit - utf16_len(tail)) + tail


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible(html: str) -> str:
    """What a person sees of an HTML message: tags gone, `&amp;` and friends decoded. Its
    length is what Telegram holds against the limit."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def visible_len(html: str) -> int:
    return utf16_len(visible(html))


def fit_lines(lines: Iterable[str], limit: int = MESSAGE, *, more: str = ELLIPSIS) -> str:
    """HTML lines joined into one message: whole lines from the top while they fit, then
    `more` (cutting HTML mid-line could break a tag or an `&amp;`)."""
    lines = list(lines)
    joined = "\n".join(lines)
    if visible_len(joined) <= limit:
        return joined
    kept: list[str] = []
    used = visible_len(more)
    for line in lines:
        used += visible_len(line) + 1
        if used > limit:
            break
        kept.append(line)
    return "\n".join([*kept, more])


def check_file_size(size: int | None) -> None:
    """Refuse a photo or document larger than a bot can take. Telegram may leave the size
    out; such a file is accepted, as Telegram itself accepted it."""
    if size is not None and size > MAX_FILE_BYTES:
        raise Invalid(N_("That file is too large: {size} MB, and the most is {limit} MB. Please "
                         "make it smaller (compress it, send fewer pages, or send a picture as "
                         "a photo rather than as a file) and send it again."),
                      size=f"{size / 1024 / 1024:.1f}", limit=MAX_FILE_BYTES // 1024 // 1024)
