"""The baselines of `bench presses`, each a PTB Application in a process of its own, polling the
emulator with `concurrent_updates(N)` as linli does:

    python -m bench._pressbots --mode echo --url URL --token T --concurrency 16
    python -m bench._pressbots --mode same --url URL --token T --concurrency 16 \
        --flow FLOW.json --chats CHATS.txt

`echo`: PTB's echo bot (a text comes back as it was sent). `same`: no database, but each press
answered with the Bot API calls linli makes for it, in linli's order (`recipe` in the flow file,
counted from linli's own calls by the benchmark): at start it sends every chat in CHATS a
message with the "Read" button; "Read" sends the text and the question with the "Sign" button,
"Sign" edits in the confirmation with its two buttons, "Confirm" edits in the certificate and
answers "Signed.". `same-votes`: the same for an owner's ballot in `bench votes` (`SameVotes`):
at start the opening notice with "🗳 Vote" to every chat, then the ballot as a new message,
each choice and the review edited in place, the confirmation relabelling its button and
sending the copy; with `election` in the flow file, the ballot of a secret election (a button
per candidate, ticked and unticked in place, the copy carrying a receipt code).
`--transport aiohttp` runs either on linli's HTTP transport (bot/request.py) instead of PTB's
own (httpx): the same calls, the transport's share of their cost set apart.
It stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.request import AiohttpRequest

# Texts of about the size linli sends (HTML, as linli sends them)
ANNOUNCEMENT = "📜 <b>新承诺书</b>：文明过年 不放烟花\n第1网格 · 每户一人签署\n请阅读并签署。"
TEXT = ("📜 <b>文明过年 不放烟花</b>\n合成街道 第1社区 第1网格 · 每户一人签署 · 截止 2027-01-31"
        "\n\n为了大家的安全，本户承诺春节期间不在小区内燃放烟花爆竹，并提醒家人和来访亲友共同遵守。")
QUESTION = "读完了吗？请在下方签署。"
CONFIRM = ("确认以 居民 的身份（1栋 1单元 101）签署《文明过年 不放烟花》？"
           "您的姓名、时间和文本版本将被记录。")
CERTIFICATE = ("✅ <b>已签署</b>：文明过年 不放烟花\n姓名：居民\n时间：2026-01-20 10:00\n版本：1\n"
               "验证码：<code>S00000001</code>")
# what linli does for each press, unless the flow file says otherwise
RECIPE = {"read": ["sendMessage", "sendMessage", "answerCallbackQuery"],
          "sign": ["editMessageText", "answerCallbackQuery"],
          "confirm": ["editMessageText", "answerCallbackQuery"]}


def buttons(*row: tuple[str, str]) -> InlineKeyboardMarkup:
    """One row of buttons carrying the data linli's codecs made (the flow file's)."""
    markup = InlineKeyboardMarkup.de_json(
        {"inline_keyboard": [[{"text": text, "callback_data": data} for text, data in row]]},
        None)
    assert markup is not None
    return markup


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the text back."""
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


class Same:
    """linli's Bot API calls for the three presses, without linli."""

    def __init__(self, data: dict[str, str], recipe: dict[str, list[str]]) -> None:
        self.kind_of = {data[k]: k for k in ("read", "sign", "confirm")}
        self.recipe = {**RECIPE, **recipe}
        # for each press: the texts of its sends, the edit, the buttons of its last message
        self.sends = {"read": [TEXT, QUESTION], "sign": [CONFIRM], "confirm": [CERTIFICATE]}
        self.edits = {"read": QUESTION, "sign": CONFIRM, "confirm": CERTIFICATE}
        self.markup = {"read": buttons(("✍️ 我同意并签署", data["sign"])),
                       "sign": buttons(("✅ 确认签署", data["confirm"]),
                                       ("取消", data.get("cancel", "pl:x:1"))),
                       "confirm": None}
        self.toast = {"confirm": "已签署。"}

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Make the calls linli makes for this press, in its order."""
        query = update.callback_query
        assert query is not None and query.message is not None
        kind = self.kind_of.get(query.data or "")
        if kind is None:
            await query.answer()
            return
        steps = self.recipe[kind]
        texts = list(self.sends[kind])
        last_send = max((i for i, m in enumerate(steps) if m == "sendMessage"), default=-1)
        for i, method in enumerate(steps):
            if method == "sendMessage":
                text = texts.pop(0) if len(texts) > 1 else texts[0]
                await context.bot.send_message(
                    query.message.chat.id, text, parse_mode=ParseMode.HTML,
                    reply_markup=self.markup[kind] if i == last_send else None)
            elif method == "editMessageText":
                await query.edit_message_text(self.edits[kind], parse_mode=ParseMode.HTML,
                                              reply_markup=self.markup[kind])
            elif method == "answerCallbackQuery":
                await query.answer(self.toast.get(kind))

    async def announce(self, app: Application[Any, Any, Any, Any, Any, Any],
                       chats: list[int], read: str) -> None:
        """The message with the "Read" button, to every chat."""
        markup = buttons(("📖 阅读并签署", read))
        for start in range(0, len(chats), 8):
            await asyncio.gather(*(app.bot.send_message(c, ANNOUNCEMENT, parse_mode=ParseMode.HTML,
                                                        reply_markup=markup)
                                   for c in chats[start:start + 8]))


# --- owners' votes (`bench votes`) ------------------------------------------------------------

OPENED = ("🗳 <b>业主投票开始</b>：2027年度业主共同决定\n合成全区 · 投票截止 2027-02-01 23:59\n"
          "1. 续聘物业服务企业（第4项）\n2. 续筹专项维修资金（第6项）\n请点击下方按钮投票。")
BALLOT = ("🗳 <b>2027年度业主共同决定</b>\n合成全区 · 截止 2027-02-01 23:59\n"
          "选票：1栋 1单元 101（89.00 m²）\n\n"
          "1. 续聘物业服务企业 — 第4项：选聘和解聘物业服务企业\n"
          "   通过需要：参与表决的专有部分面积过半数且参与表决人数过半数同意\n"
          "   您的选择：{m1}\n\n"
          "2. 续筹专项维修资金 — 第6项：筹集建筑物及其附属设施的维修资金\n"
          "   通过需要：参与表决的专有部分面积四分之三以上且参与表决人数四分之三以上同意\n"
          "   您的选择：{m2}\n\n每项请按一个按钮。专有部分面积占比三分之二以上的业主且人数占比"
          "三分之二以上的业主参与表决，表决方有效。")
REVIEW = ("请核对您在《2027年度业主共同决定》中的选票：\n选票：1栋 1单元 101（89.00 m²）\n\n"
          "1. 续聘物业服务企业 — {m1}\n2. 续筹专项维修资金 — {m2}\n\n投票截止前可以修改。")
COPY = ("🧾 <b>您的选票</b>（副本）— 2027年度业主共同决定\n选票：1栋 1单元 101（89.00 m²）\n"
        "1. 续聘物业服务企业 — {m1}\n2. 续筹专项维修资金 — {m2}\n"
        "投票时间 2026-12-03 10:00 (UTC+8) · 投票人 居民 · 选票编号 123456，第1版")
CHOICE_WORDS = {"a": "同意", "d": "反对", "s": "弃权", "-": "尚未选择"}
ELECTION_BALLOT = ("🗳 <b>第二届业主委员会选举</b>\n合成全区 · 截止 2027-02-01 23:59\n"
                   "无记名投票：投出后不能修改\n选票：1栋 1单元 101（89.00 m²）\n\n"
                   "1. 第二届业主委员会选举 — 应选 2 名，最多选 2 名\n   您的选择：{chosen}\n")
ELECTION_REVIEW = ("请核对您在《第二届业主委员会选举》中的选票：\n"
                   "选票：1栋 1单元 101（89.00 m²）\n\n"
                   "1. 第二届业主委员会选举 — {chosen}\n\n无记名投票：投出后不能修改。")
ELECTION_COPY = ("🧾 <b>您的选票</b>（副本）— 第二届业主委员会选举\n"
                 "1. 第二届业主委员会选举 — {chosen}\n"
                 "您的回执码：7KQ2-M9XD-4HPA（公布结果时可核对，请妥善保存）")
VOTE_RECIPE = {"open": ["sendMessage", "answerCallbackQuery"],
               "choose1": ["editMessageText", "answerCallbackQuery"],
               "choose2": ["editMessageText", "answerCallbackQuery"],
               "review": ["editMessageText", "answerCallbackQuery"],
               "confirm": ["editMessageReplyMarkup", "sendMessage", "answerCallbackQuery"]}


class SameVotes:
    """linli's Bot API calls for an owner's ballot — open it, choose on each of two matters,
    review, confirm — without linli: the same texts' sizes and the buttons linli's codecs
    make (`prefixes` in the flow file: open, ballot, review, cast), the choices carried in
    the buttons as linli carries them."""

    def __init__(self, flow: dict[str, Any]) -> None:
        self.prefix = flow["prefixes"]
        self.recipe = {**VOTE_RECIPE, **(flow.get("recipe") or {})}
        # chat → the roll owner it votes for (the open press names only the vote)
        self.owner_of: dict[int, str] = {int(c): str(o) for c, o in flow["owners"].items()}
        # a secret election's ballot: its candidates (one state character, five a character)
        self.candidates: list[str] | None = (flow.get("election") or {}).get("candidates")

    def kind(self, data: str) -> tuple[str, list[str]]:
        """The kind of press and the fields after the prefix."""
        for kind in ("ballot", "review", "cast", "open"):
            prefix = self.prefix[kind] + ":"
            if data.startswith(prefix):
                fields = data[len(prefix):].split(":")
                if kind == "ballot" and self.candidates is not None:  # ticks so far
                    return ("choose1" if int(fields[-1] or "0", 32).bit_count() <= 1
                            else "choose2"), fields
                if kind == "ballot":
                    return ("choose1" if "-" in fields[-1] else "choose2"), fields
                return {"cast": "confirm"}.get(kind, kind), fields
        return "", []

    def words(self, state: str) -> dict[str, str]:
        return {f"m{n}": CHOICE_WORDS.get(letter, "") for n, letter in enumerate(state, 1)}

    def ballot_markup(self, vote: str, owner: str, state: str) -> InlineKeyboardMarkup:
        rows = []
        for i in range(len(state)):
            row = []
            for letter in "ads":
                picked = state[:i] + letter + state[i + 1:]
                label = f"{i + 1}. {CHOICE_WORDS[letter]}"
                row.append({"text": f"👉 {label}" if state[i] == letter else label,
                            "callback_data": f"{self.prefix['ballot']}:{vote}:{owner}:{picked}"})
            rows.append(row)
        if "-" not in state:
            rows.append([{"text": "核对 ▶",
                          "callback_data": f"{self.prefix['review']}:{vote}:{owner}:{state}"}])
        markup = InlineKeyboardMarkup.de_json({"inline_keyboard": rows}, None)
        assert markup is not None
        return markup

    def ticked(self, state: str) -> str:
        assert self.candidates is not None
        bits = int(state or "0", 32)
        return "、".join(n for i, n in enumerate(self.candidates) if bits >> i & 1) or "弃权"

    def election_markup(self, vote: str, owner: str, state: str) -> InlineKeyboardMarkup:
        assert self.candidates is not None
        bits, rows = int(state or "0", 32), []
        for i, name in enumerate(self.candidates):
            toggled = "0123456789abcdefghijklmnopqrstuv"[bits ^ (1 << i)]
            rows.append([{"text": f"{'☑' if bits >> i & 1 else '☐'} {i + 1}. {name}",
                          "callback_data": f"{self.prefix['ballot']}:{vote}:{owner}:{toggled}"}])
        rows.append([{"text": "核对 ▶",
                      "callback_data": f"{self.prefix['review']}:{vote}:{owner}:{state}"}])
        markup = InlineKeyboardMarkup.de_json({"inline_keyboard": rows}, None)
        assert markup is not None
        return markup

    def election_screen(self, kind: str, fields: list[str],
                        chat: int) -> tuple[str, InlineKeyboardMarkup | None]:
        if kind == "open":
            vote, owner, state = fields[0], self.owner_of.get(chat, "0"), "0"
        else:
            vote, owner, state = fields
        chosen = self.ticked(state)
        if kind in ("open", "choose1", "choose2"):
            return (ELECTION_BALLOT.format(chosen=chosen),
                    self.election_markup(vote, owner, state))
        if kind == "review":
            return ELECTION_REVIEW.format(chosen=chosen), buttons(
                ("✔ 确认", f"{self.prefix['cast']}:{vote}:{owner}:{state}"),
                ("✏️ 修改", f"{self.prefix['ballot']}:{vote}:{owner}:{state}"))
        return ELECTION_COPY.format(chosen=chosen), None

    def screen(self, kind: str, fields: list[str],
               chat: int) -> tuple[str, InlineKeyboardMarkup | None]:
        """What linli shows for this press: the text and its buttons."""
        if self.candidates is not None:
            return self.election_screen(kind, fields, chat)
        if kind == "open":
            vote, owner, state = fields[0], self.owner_of.get(chat, "0"), "--"
            return BALLOT.format(**self.words(state)), self.ballot_markup(vote, owner, state)
        vote, owner, state = fields
        if kind in ("choose1", "choose2"):
            return BALLOT.format(**self.words(state)), self.ballot_markup(vote, owner, state)
        if kind == "review":
            return REVIEW.format(**self.words(state)), buttons(
                ("✔ 确认", f"{self.prefix['cast']}:{vote}:{owner}:{state}"),
                ("✏️ 修改", f"{self.prefix['ballot']}:{vote}:{owner}:{state}"))
        return COPY.format(**self.words(state)), None

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Make the calls linli makes for this press, in its order."""
        query = update.callback_query
        assert query is not None and query.message is not None
        kind, fields = self.kind(query.data or "")
        if not kind:
            await query.answer()
            return
        text, markup = self.screen(kind, fields, query.message.chat.id)
        for method in self.recipe[kind]:
            if method == "sendMessage":
                await context.bot.send_message(query.message.chat.id, text,
                                               parse_mode=ParseMode.HTML, reply_markup=markup)
            elif method == "editMessageText":
                await query.edit_message_text(text, parse_mode=ParseMode.HTML,
                                              reply_markup=markup)
            elif method == "editMessageReplyMarkup":
                await query.edit_message_reply_markup(self.marked(query))
            elif method == "answerCallbackQuery":
                await query.answer("您的选票已投出。" if kind == "confirm" else None)

    @staticmethod
    def marked(query: Any) -> InlineKeyboardMarkup | None:
        """The pressed message's buttons with the pressed one relabelled, as `Call.mark`."""
        markup = getattr(query.message, "reply_markup", None)
        if markup is None:
            return None
        rows = [[{"text": "✅ 已投 · 12月3日" if b.callback_data == query.data else b.text,
                  "callback_data": b.callback_data} for b in row]
                for row in markup.inline_keyboard]
        return InlineKeyboardMarkup.de_json({"inline_keyboard": rows}, None)

    async def announce(self, app: Application[Any, Any, Any, Any, Any, Any],
                       chats: list[int], data: str) -> None:
        """The opening notice with its "🗳 Vote" button, to every chat."""
        markup = buttons(("🗳 投票", data))
        for start in range(0, len(chats), 8):
            await asyncio.gather(*(app.bot.send_message(c, OPENED, parse_mode=ParseMode.HTML,
                                                        reply_markup=markup)
                                   for c in chats[start:start + 8]))


async def run(args: argparse.Namespace) -> None:
    builder = (Application.builder().token(args.token).base_url(f"{args.url}/bot")
               .base_file_url(f"{args.url}/file/bot").concurrent_updates(args.concurrency))
    if args.transport == "aiohttp":  # linli's transport (bot/request.py) instead of PTB's httpx
        builder = (builder.request(AiohttpRequest(connection_pool_size=256))
                   .get_updates_request(AiohttpRequest(connection_pool_size=1)))
    app = builder.build()
    same: Same | SameVotes | None = None
    if args.mode == "echo":
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    elif args.mode == "same-votes":
        same = SameVotes(args.flow)
        app.add_handler(CallbackQueryHandler(same.press))
    else:
        same = Same(args.flow["data"], args.flow.get("recipe") or {})
        app.add_handler(CallbackQueryHandler(same.press))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with app:
        await app.start()
        if isinstance(same, SameVotes):
            await same.announce(app, args.chats, args.flow["data"]["open"])
        elif same is not None:
            await same.announce(app, args.chats, args.flow["data"]["read"])
        assert app.updater is not None
        await app.updater.start_polling()
        await stop.wait()
        await app.updater.stop()
        await app.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._pressbots", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["echo", "same", "same-votes"], required=True)
    parser.add_argument("--url", required=True, help="the emulator's base URL")
    parser.add_argument("--token", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--transport", choices=["httpx", "aiohttp"], default="httpx",
                        help="PTB's own HTTP transport (httpx), or linli's (aiohttp)")
    parser.add_argument("--flow", help="JSON: {data: {read, sign, confirm, cancel}, recipe}")
    parser.add_argument("--chats", help="chat ids to send the Read button to, one a line")
    args = parser.parse_args(argv)
    args.flow = json.loads(Path(args.flow).read_text()) if args.flow else {}
    args.chats = [int(c) for c in Path(args.chats).read_text().split()] if args.chats else []
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
