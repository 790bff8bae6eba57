"""The update fuzzer (issue #10): Hypothesis generates updates of every Bot API kind, valid and
mangled (see tests/fuzz_updates.py), and feeds them in batches to the running bot, through the
emulator's getUpdates (polling) or through the webhook endpoint and its inbox worker, on both
databases, between real flows (a resident joins and signs a pledge before and after the
campaign) whose results must still be right. After each batch, once the bot has consumed it
(a sentinel update processed to the end, the emulator's queue acknowledged or the inbox empty;
never a sleep), every invariant is checked: no 5xx and the right 400/403/413 from the webhook,
the worker running and nothing left unprocessed, each update processed once (polling: even one
PTB cannot read; webhook: handled, or kept as failed by its error type), a bounded
number of bot replies, no message to a chat that only got updates which must not be answered,
no domain row written or changed (except the person a fresh user's "I agree" stores), no
marker of any update in any log record at DEBUG, and no handler error from an update that
follows the Bot API's types (one that does not may fail, but only through the error handler).
Failures are collected as findings (deduplicated, each with its update) and reported at the
end. Default budget: 2,500 updates per test, two tests (webhook on SQLite, polling on
PostgreSQL); `--fuzz-long` or `LINLI_FUZZ_LONG=1` runs twenty times as many
(`LINLI_FUZZ_LONG=<n>`: n times); `LINLI_FUZZ_FINDINGS=<file>` appends each finding to that
file. The number of updates run is printed per test.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from telegram import Update

from bot.emulator.client import EmulatorError
from bot.emulator.updates import absorb
from bot.webhook import InboxWorker, create_webhook_app
from models import Base
from models.inbox import InboxUpdate
from models.people import Membership, MembershipStatus, Person, Role
from models.places import Place
from models.pledges import (
    Signature,
    Signers,
)
from tests import fuzz_updates as fz
from tests.conftest import COMMUNITY, person, place, published_pledge

SECRET = "fuzz-secret_token-0123456789"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
PER_TEST = 2_500  # updates per test (two paths, two databases)
BATCH = 50  # updates injected before waiting for the bot to consume them
WAIT = 60.0  # seconds a batch may take before the bot counts as stuck
FIRST_ID = 1_000_000  # campaign update ids (the real flows' ids stay below until they run)
STAFF, RESIDENT_1, RESIDENT_2, NEWCOMER = 900, 1, 2, 3
SENTINEL_CHAT = -999_999_001  # a group the emulator does not know: nobody answers there
MARKER = re.compile(r"FZ(P?\d+)Q")
# columns the outbox sender changes as it delivers; everything else must stay as it was
VOLATILE = {("outbox_message", c) for c in ("status", "attempts", "claimed_at", "sent_at",
                                             "message_id", "error", "not_before")}
SENDING = {"sendMessage", "sendPhoto", "sendDocument", "sendLocation", "sendMediaGroup",
           "editMessageText", "editMessageReplyMarkup", "editMessageCaption", "copyMessage",
           "forwardMessage", "sendSticker", "sendChatAction", "pinChatMessage"}
PROJECT = re.compile(r"/(bot|handlers|models|jobs)/[^/]+\.py$")
FINDINGS_FILE = os.environ.get("LINLI_FUZZ_FINDINGS")


# -- the real flows ---------------------------------------------------------------------------

async def join_and_approve(env, user: int, room: str) -> None:
    """A resident joins through the buttons and the staff member approves the request."""
    await env.say(user, "/start", "Please choose your language")
    await env.tap(user, "✓ English", expect="Before you join")
    await env.tap(user, "I agree", expect="Which community")
    await env.tap(user, "阳光社区")
    await env.tap(user, "1栋")
    await env.tap(user, "1单元")
    await env.tap(user, room, expect="are you the owner")
    since = env.mark()
    await env.tap(user, "Owner", expect="was sent to your community office")
    request = await env.wait(STAFF, "Join request", since=since)
    since = env.mark()
    await env.tap(STAFF, "✅ Approve", message_id=request["message_id"])
    await env.wait(user, "Welcome! You are now registered", since=since)


async def sign_by_deep_link(env, user: int, pledge_id: int) -> None:
    await env.say(user, f"/start pledge_{pledge_id}", "Have you read it?")
    await env.tap(user, "✍️ I agree and sign", expect="Sign «")
    toast = await env.tap(user, "✅ Confirm and sign", expect="Verification code")
    assert toast["text"] == "Signed."


async def publish_pledge(env) -> int:
    async with env.db.session() as s:
        staff = await person(s, STAFF, "Director Wang", language="en")
        pledge_id = await published_pledge(
            s, staff, COMMUNITY, "Keep the stairwell free",
            "I will keep the stairwell free of bicycles.", signers=Signers.RESIDENT)
    await env.drain_outbox()
    return pledge_id


async def flow_results(env) -> tuple[dict[int, str], Counter[int]]:
    """Each real resident's membership status, and how many signatures each has."""
    async with env.db.session() as s:
        rows = (await s.execute(select(Person.telegram_id, Membership.status).join(
            Membership, Membership.person_id == Person.id))).all()
        signed = (await s.execute(select(Person.telegram_id).join(
            Signature, Signature.person_id == Person.id))).scalars().all()
    return {t: str(status) for t, status in rows}, Counter(signed)


async def real_flows_before(env) -> dict[str, str]:
    """Staff, a resident who joins and signs; returns the real ids forged buttons may name."""
    await env.user("Wang", id=STAFF, language_code="en")
    async with env.db.session() as s:
        await person(s, STAFF, "Director Wang", language="en", role=Role.STAFF, at=COMMUNITY)
    await env.user("Ann", id=RESIDENT_1, language_code="en")
    await join_and_approve(env, RESIDENT_1, "101")
    since = env.mark()
    pledge_id = await publish_pledge(env)
    await env.wait(RESIDENT_1, "New pledge", since=since)
    await sign_by_deep_link(env, RESIDENT_1, pledge_id)
    memberships, signed = await flow_results(env)
    assert memberships == {RESIDENT_1: MembershipStatus.APPROVED.value}
    assert signed == {RESIDENT_1: 1}
    async with env.db.session() as s:
        membership = await s.scalar(select(Membership.id))
        household = (await place(s, COMMUNITY + "/第一网格/1栋/1单元/102")).id
        code = await s.scalar(select(Place.join_code).where(Place.join_code.is_not(None)))
    return {"P": str(pledge_id), "M": str(membership), "H": str(household),
            "J": code or "nocode", "N": "1"}


async def real_flows_after(env, pledge_id: int) -> None:
    """Another resident joins and signs; both results right; a newcomer's /start answered."""
    await env.user("Bob", id=RESIDENT_2, language_code="en")
    await join_and_approve(env, RESIDENT_2, "102")
    await sign_by_deep_link(env, RESIDENT_2, pledge_id)
    memberships, signed = await flow_results(env)
    assert memberships == {RESIDENT_1: MembershipStatus.APPROVED.value,
                           RESIDENT_2: MembershipStatus.APPROVED.value}
    assert signed == {RESIDENT_1: 1, RESIDENT_2: 1}
    await env.user("Newcomer", id=NEWCOMER, language_code="en")
    await env.say(NEWCOMER, "/start", "Please choose your language")


# -- the campaign -----------------------------------------------------------------------------

@dataclass
class Prepared:
    """A case made concrete: its update id, the update (or body) sent, what it is."""

    case: fz.Case
    uid: int
    update: dict[str, Any]
    conformant: bool
    changes: list[str]
    chat_id: int | None
    body: bytes = b""
    expect: int = 200  # the webhook's answer
    repeats: int | None = None  # a re-delivery: the update id it delivers again

    def show(self) -> str:
        if self.update and self.case.raw != "oversize":
            text = json.dumps(self.update, ensure_ascii=False)
        else:
            text = self.body.decode("utf-8", "replace")
        if len(text) > 3000:
            text = text[:3000] + f"… ({len(text)} characters in all)"
        return text


@dataclass
class Finding:
    kind: str
    key: str
    detail: str
    culprit: Prepared | None = None


class Stuck(Exception):
    pass


class Collector(logging.Handler):
    """Every record, at every level, from the root and from loggers that do not propagate."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Campaign:
    def __init__(self, env, path: str, refs: dict[str, str], caplog, report=None) -> None:
        self.env, self.path, self.refs, self.caplog = env, path, refs, caplog
        # pytest's own capture for a failure's report: kept at INFO, or it holds every DEBUG
        # record of the campaign
        self.report = report
        self.report_level = report.level if report is not None else logging.NOTSET
        self.world = env.em.world
        self.next_uid = FIRST_ID
        self.next_consent = 700_001
        self.prepared: dict[int, Prepared] = {}
        self.processed: Counter[int] = Counter()
        self.errors: list[tuple[int | None, BaseException]] = []
        self.seen_errors: list[BaseException] = []
        self.findings: dict[str, Finding] = {}
        self.allowed_people: dict[int, tuple[str, str]] = {}  # telegram id: name, language
        self.sent = 0
        self.stopped = False
        self.waiting: tuple[int, asyncio.Event] | None = None
        self.accepted: list[Prepared] = []
        self.redelivered: list[int] = []
        self.refused_ids: set[int] = set()
        self.stats: Counter[str] = Counter()
        self.contained: Counter[str] = Counter()  # what malformed updates made handlers raise
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        self.collector = Collector()
        self.worker: InboxWorker | None = None
        self.worker_task: asyncio.Task[None] | None = None
        self.http: httpx.AsyncClient | None = None
        self.baseline: dict[str, set[tuple[str, ...]]] = {}
        self.person_columns: list[str] = []

    # setting up

    async def start(self) -> None:
        env, world = self.env, self.world
        # count each update the Application processes (a handler would change what PTB does
        # after handlers ran), in both runtimes: the updater and the inbox worker call this
        processing = env.app.process_update

        async def process_update(update: object) -> None:
            try:
                await processing(update)
            finally:
                if isinstance(update, Update):
                    self._record(update)

        env.app.process_update = process_update
        env.app.add_error_handler(self._record_error)
        self.caplog.set_level(logging.DEBUG)
        if self.report is not None:
            self.report.setLevel(logging.INFO)
        logging.getLogger().addHandler(self.collector)
        self._quiet = [lg for lg in logging.Logger.manager.loggerDict.values()
                       if isinstance(lg, logging.Logger) and not lg.propagate]
        for lg in self._quiet:
            lg.addHandler(self.collector)
        for uid in fz.TALKERS + fz.SILENT:
            world.add_user(f"FZP{uid}Q", id=uid, username=f"fzp{uid}q", language_code="en")
        for gid in fz.GROUPS + fz.SILENT_GROUPS:
            world.add_group(f"FZP{-gid}Q", list(fz.TALKERS),
                            type="supergroup" if gid < -10**12 else "group", id=gid)
        for cid in fz.TALKERS + fz.GROUPS:
            self._seed(cid)
        if self.path == "webhook":
            self.worker = InboxWorker(env.app, env.db)
            self.worker_task = asyncio.create_task(self.worker.run(), name="fuzz-inbox")
            app = create_webhook_app(env.db, self.worker, SECRET)
            # an exception in the app is what a server answers with 500
            self.http = httpx.AsyncClient(transport=httpx.ASGITransport(
                app=app, raise_app_exceptions=False), base_url="http://hook")
        self.baseline = await self._snapshot()
        # the log check must see a marker in a DEBUG record of any logger
        self._leaks()
        logging.getLogger("tests.fuzz.canary").debug("canary %s", "FZ0Q")
        assert [r.name for r, _, _ in self._leaks()] == ["tests.fuzz.canary"]

    async def stop(self) -> None:
        del self.env.app.process_update  # PTB's own again
        self.caplog.set_level(logging.INFO)
        if self.report is not None:
            self.report.setLevel(self.report_level)
        logging.getLogger().removeHandler(self.collector)
        for lg in self._quiet:
            lg.removeHandler(self.collector)
        if self.http is not None:
            await self.http.aclose()
        if self.worker_task is not None:
            self.worker_task.cancel()
            try:
                await self.worker_task
            except (asyncio.CancelledError, Exception):
                pass
        # each error the campaign saw is contained (a malformed update's) or a finding,
        # reported by the test itself
        seen = {id(e) for e in self.seen_errors}
        self.env.errors[:] = [e for e in self.env.errors if id(e) not in seen]

    def _seed(self, chat_id: int) -> Any:
        """A bot message with a button in the chat, for button presses to come from."""
        chat = self.world.chats[chat_id]
        return self.world.add_message(chat, self.world.bot.id, text=f"FZP{abs(chat_id)}Q menu",
                                      reply_markup={"inline_keyboard": [[
                                          {"text": "Help", "callback_data": "me:help"}]]})

    def _bot_message(self, chat_id: int) -> Any:
        chat = self.world.chats[chat_id]
        for message in reversed(chat.messages.values()):
            if message.from_bot and not message.deleted:
                return message
        return self._seed(chat_id)

    def _record(self, update: Update) -> None:
        self.processed[update.update_id] += 1
        if self.waiting is not None and update.update_id == self.waiting[0]:
            self.waiting[1].set()

    async def _record_error(self, update: object, context: Any) -> None:
        uid = update.update_id if isinstance(update, Update) else None
        self.errors.append((uid, context.error))

    # one case, made concrete

    def finalize(self, case: fz.Case) -> Prepared:
        uid = self.next_uid
        self.next_uid += 1
        marker = f"FZ{uid}Q"
        chat_id = case.chat_id
        if case.consent:
            chat_id = self.next_consent
            self.next_consent += 1
            self.world.add_user(f"FZP{chat_id}Q", id=chat_id, language_code="en")
            self._seed(chat_id)

        def fill(value: Any) -> Any:
            if isinstance(value, dict):
                what = value[fz.HOLE]
                if what == "callback_id":
                    return self.world.new_callback_query_id()
                message = self._bot_message(chat_id)
                if what == "bot_message":
                    return self.world.message_to_api(message)
                return {"chat": self.world.chat_to_api(self.world.chats[chat_id]),
                        "message_id": message.message_id, "date": 0}
            if isinstance(value, str):
                value = value.replace(fz.MARK, marker)
                for letter, real in self.refs.items():
                    value = value.replace(fz.REF + letter, real)
                return value
            if case.consent and type(value) is int and value == fz.CONSENT_ID:
                return chat_id
            return value

        update = {"update_id": uid, **fz.substitute(case.update, fill)}
        ops = [(name, pick, tuple(fz.substitute(v, fill) for v in value)
                if isinstance(value, tuple) else fz.substitute(value, fill))
               for name, pick, value in case.ops]
        conformant, changes = fz.mutate(update, ops)
        query = update.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("data"), str) and \
                len(query["data"].encode("utf-8", "surrogatepass")) > 64:
            conformant = False  # no button carries more than 64 bytes, no press either
        prepared = Prepared(case, uid, update, conformant, changes, chat_id)
        if case.raw not in (None, "duplicate"):
            prepared.expect = {"oversize": 413, "wrong_secret": 403}.get(case.raw, 400)
            if case.raw == "bad_id":
                update["update_id"] = case.raw_value
            elif case.raw == "no_id":
                del update["update_id"]
            elif case.raw == "not_json":
                prepared.update = {}
                prepared.body = fz.body_of({}, "not_json", fill(case.raw_value))
            elif case.raw == "non_object":
                prepared.update = {}
                prepared.body = fz.body_of({}, "non_object", fz.substitute(case.raw_value,
                                                                            fill))
        if not prepared.body:
            prepared.body = fz.body_of(update, case.raw, case.raw_value)
        if case.consent and prepared.expect == 200:
            self._consent(prepared)
        self.prepared[uid] = prepared
        return prepared

    def _consent(self, p: Prepared) -> None:
        """A fresh user's "I agree" may store that person, with their name and language, if
        the press itself is sound (whatever else in the update was mangled)."""
        query = p.update.get("callback_query")
        if not isinstance(query, dict) or not isinstance(query.get("from"), dict):
            return
        who = query["from"]
        if not fz.is_consent(query.get("data")) or type(who.get("id")) is not int or \
                not 0 < who["id"] <= fz.MAX_EXACT or not isinstance(who.get("first_name"), str) \
                or not isinstance(who.get("last_name", ""), str | None):
            return
        first, last = who["first_name"], who.get("last_name")
        name = (f"{first} {last}" if last else first) if first else ""
        self.allowed_people[who["id"]] = (name[:128], query["data"].split(":")[2])

    def _expected_person(self, telegram_id: int, name: str, language: str) -> bool:
        """A stored person (columns as repr) is one a sound consent asked for, named as
        Telegram names them (someone without a name: whatever the bot chose)."""
        if telegram_id not in self.allowed_people:
            return False
        expected_name, expected_language = self.allowed_people[telegram_id]
        return language == repr(expected_language) and (
            name == repr(expected_name) or not expected_name)

    # one batch

    async def feed(self, cases: list[fz.Case]) -> None:
        if self.stopped:
            return
        calls_before = len(self.world.calls)
        batch = [self.finalize(c) for c in cases]
        if self.path == "polling":
            for p in batch:
                await self._inject(p)
        else:
            for p in batch:
                await self._post(p)
            await self._redeliver()
        sentinel = self._sentinel()
        event = asyncio.Event()
        self.waiting = (sentinel["update_id"], event)
        if self.path == "polling":
            await self.env.client.inject(sentinel)
        else:
            answer = await self.http.post("/telegram", json=sentinel, headers=HEADERS)
            assert answer.status_code == 200, answer.text
        seen = asyncio.ensure_future(event.wait())
        # the Application's own loop over its update queue: if it ends, nothing is processed
        fetcher = getattr(self.env.app, "_Application__update_fetcher_task", None)
        watched = [seen] + ([fetcher] if self.path == "polling" and fetcher else [])
        await asyncio.wait(watched, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
        self.waiting = None
        finished = seen.done()
        if finished and self.path == "polling":
            # updates of other chats run side by side: the sentinel may finish before an
            # earlier one; the Application's queue counts every fetched update until it is done
            everything = asyncio.ensure_future(self.env.app.update_queue.join())
            await asyncio.wait([everything], timeout=WAIT)
            finished = everything.done()
            everything.cancel()
        if not finished:
            seen.cancel()
            await self._stuck(batch)
            return
        await self._drained(batch)
        self._check_processing(batch)
        self._check_errors(batch)
        self._check_replies(batch, calls_before)
        await self._check_rows(batch)
        self._check_logs(batch)
        self.sent += len(batch)

    async def _inject(self, p: Prepared) -> None:
        allowed = self.world.allowed_updates
        if allowed is not None and not set(p.update) & allowed:
            # Telegram sends only the kinds the bot asked for (allowed_updates), but the bot
            # must survive any: those are queued past the emulator's filter
            self.stats["queued past allowed_updates"] += 1
            self.world.updates.append(p.update)
            self.world.changed("update")
            return
        try:
            await self.env.client.inject(p.update)
        except EmulatorError:
            self.stats["refused by the emulator"] += 1

    async def _post(self, p: Prepared) -> None:
        body = p.body
        if p.case.raw == "duplicate":
            if not self.accepted:  # nothing to repeat yet: a bare update instead
                p.case = replace(p.case, raw=None)
            else:  # Telegram delivers an update again when it missed our 200
                first = self.accepted[p.case.raw_value % len(self.accepted)]
                body, p.update, p.repeats = first.body, first.update, first.uid
                self.stats["duplicates"] += 1
        elif p.expect == 200:
            absorb(self.world, p.update)  # Telegram has the message the update is about
        secret = "guess" if p.case.raw == "wrong_secret" else SECRET
        answer = await self.http.post("/telegram", content=body, headers={
            "X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"})
        self.stats[f"webhook {answer.status_code}"] += 1
        # JSON nested deeper than the interpreter's recursion limit is refused; within it, a
        # valid update_id makes it an update (Hypothesis raises the limit while it runs)
        deep_but_whole = p.case.raw == "not_json" and body.startswith(b'{"update_id": 7')
        if answer.status_code >= 500 or answer.status_code != p.expect and not (
                deep_but_whole and answer.status_code == 200):
            self._find("webhook", f"{p.case.raw or 'update'} answered {answer.status_code}",
                       f"expected {p.expect}, got {answer.status_code} "
                       f"{answer.text[:200]!r}", p)
        if p.expect == 200 and p.case.raw is None:
            self.accepted.append(p)
        elif p.expect != 200:
            self.refused_ids.add(p.uid)

    async def _redeliver(self) -> None:
        """Once a batch, an update already accepted comes again (Telegram missed our 200)."""
        if not self.accepted:
            return
        first = self.accepted[(self.stats["re-deliveries"] * 7919 + 13) % len(self.accepted)]
        answer = await self.http.post("/telegram", content=first.body, headers=HEADERS)
        self.stats["re-deliveries"] += 1
        if answer.status_code != 200:
            self._find("webhook", f"a re-delivery answered {answer.status_code}",
                       f"update {first.uid}: {answer.text[:200]!r}", first)
        self.redelivered.append(first.uid)

    def _sentinel(self) -> dict[str, Any]:
        uid = self.next_uid
        self.next_uid += 1
        return {"update_id": uid, "message": {
            "message_id": uid, "date": int(time.time()), "text": "sentinel",
            "chat": {"id": SENTINEL_CHAT, "type": "group", "title": "sentinel"},
            "from": {"id": 5, "is_bot": False, "first_name": "sentinel"}}}

    async def _stuck(self, batch: list[Prepared]) -> None:
        self.stopped = True
        if self.path == "polling":
            head = self.world.updates[:1]
            culprit = self.prepared.get(head[0]["update_id"]) if head else None
            where = f"emulator still holds {len(self.world.updates)} updates"
            if culprit is None:  # all delivered: the first one not done is the one it is on
                waiting = [p for p in batch if not self.processed[p.uid]]
                culprit = waiting[0] if waiting else None
                where += "; the update shown is the first one not processed to the end"
        else:
            async with self.env.db.session() as s:
                row = await s.scalar(select(InboxUpdate).where(
                    InboxUpdate.processed_at.is_(None)).order_by(InboxUpdate.update_id))
            culprit = self.prepared.get(row.update_id) if row is not None else None
            alive = self.worker_task is not None and not self.worker_task.done()
            where = f"inbox worker {'running' if alive else 'STOPPED'}"
        fetcher = getattr(self.env.app, "_Application__update_fetcher_task", None)
        if self.path == "polling" and fetcher is not None and fetcher.done():
            failure = fetcher.exception() if not fetcher.cancelled() else None
            where += f"; PTB's update fetcher ended: {type(failure).__name__}: {failure}"
        self._find("stuck", "the bot stopped consuming updates",
                   f"no progress within {WAIT:.0f} s; {where}; errors: "
                   f"{[type(e).__name__ for _, e in self.errors[-3:]]}", culprit)

    async def _drained(self, batch: list[Prepared]) -> None:
        if self.path == "polling":
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10.0
            while self.world.updates and loop.time() < deadline:  # acknowledged by the poll
                await self.world.wait_change(deadline - loop.time())
            if self.world.updates:
                self._find("loop", "getUpdates offset not advanced",
                           f"{len(self.world.updates)} updates not acknowledged",
                           self.prepared.get(self.world.updates[0]["update_id"]))
            if not self.env.app.update_queue.empty():
                self._find("loop", "update queue not empty", "after the sentinel", None)
            return
        assert self.worker is not None and self.worker_task is not None
        if self.worker_task.done():
            self._find("worker", "the inbox worker stopped", repr(self.worker_task), None)
        left = await self.worker.process_pending()  # waits for the worker's own pass to end
        if left:
            self._find("worker", "rows left unprocessed", f"{left} rows after the sentinel",
                       None)
        async with self.env.db.session() as s:
            rows = (await s.execute(select(InboxUpdate.update_id, InboxUpdate.processed_at,
                                           InboxUpdate.payload, InboxUpdate.error))).all()
        stored = {r.update_id for r in rows}
        for uid, processed_at, payload, error in rows:
            if processed_at is None:
                self._find("worker", "an inbox row is unprocessed", str(uid),
                           self.prepared.get(uid))
            elif payload is not None:
                self._find("inbox", "a processed inbox row keeps its payload",
                           f"update {uid}", self.prepared.get(uid))
            if error is not None and not re.fullmatch(r"\w{1,64}", error):
                self._find("inbox", "an inbox row's error is more than a type name",
                           f"update {uid}: {error[:100]!r}", self.prepared.get(uid))
            p = self.prepared.get(uid)
            if p is not None and p in batch and p.case.raw is None and error is None and \
                    not self.processed[uid]:
                self._find("lost", "an accepted update was neither handled nor refused",
                           f"update {uid} ({p.case.kind}): no handler saw it, no error kept", p)
        for uid in self.refused_ids & stored:
            self._find("webhook", "a refused update was stored", str(uid),
                       self.prepared.get(uid))
        for p in batch:
            if isinstance(p.update.get("update_id"), int) and p.expect != 200 and \
                    p.update["update_id"] in stored and p.update["update_id"] != p.uid:
                self._find("webhook", "a bad update_id was stored", repr(p.case.raw_value), p)

    def _check_processing(self, batch: list[Prepared]) -> None:
        for uid in self.redelivered:
            if self.processed[uid] > 1:
                self._find("loop", "a re-delivered update was processed again",
                           f"update {uid} processed {self.processed[uid]} times",
                           self.prepared.get(uid))
        self.redelivered.clear()
        for p in batch:
            if self.path == "polling" and not self.processed[p.uid]:
                # an update PTB cannot read still reaches the Application, as a bare Update
                self._find("lost", "an update never reached the Application",
                           f"update {p.uid} ({p.case.kind})", p)
            if p.repeats is not None and self.processed[p.repeats] > 1:
                self._find("loop", "a re-delivered update was processed again",
                           f"update {p.repeats} processed {self.processed[p.repeats]} times", p)
            if self.processed[p.uid] > 1:
                self._find("loop", "an update was processed twice",
                           f"update {p.uid} processed {self.processed[p.uid]} times", p)
            if p.expect != 200 and p.case.raw != "duplicate" and self.processed[p.uid]:
                self._find("webhook", "a refused update was processed", str(p.uid), p)

    def _check_errors(self, batch: list[Prepared]) -> None:
        errors, self.errors = self.errors, []
        self.seen_errors += [e for _, e in errors]
        for uid, error in errors:
            p = self.prepared.get(uid) if uid is not None else None
            where = _where(error)
            if p is not None and not p.conformant:
                # a malformed update may fail, through the error handler
                self.stats["contained handler errors"] += 1
                key = f"{type(error).__name__} at {where}"
                self.contained[key] += 1
                if self.contained[key] == 1 and FINDINGS_FILE:  # for the record, not a failure
                    with open(FINDINGS_FILE, "a", encoding="utf-8") as out:
                        out.write(_report(Finding("contained", key, f"{type(error).__name__}: "
                                                  f"{str(error)[:200]}", p), self.path,
                                          self.env.db.url) + "\n")
                continue
            self._find("handler", f"{type(error).__name__} at {where}",
                       f"{type(error).__name__}: {str(error)[:300]} (at {where}; "
                       f"update {uid}, {p.case.kind if p else 'no update'})", p)

    def _check_replies(self, batch: list[Prepared], calls_before: int) -> None:
        calls = self.world.calls[calls_before:]
        sends = [c for c in calls if c.method in SENDING]
        if len(sends) > 6 * len(batch) + 10:
            self._find("loop", "too many bot messages for a batch",
                       f"{len(sends)} sends for {len(batch)} updates", None)
        polls = [c for c in calls if c.method == "getUpdates"]
        if len(polls) > 3 * len(batch) + 20:
            self._find("loop", "getUpdates called again and again",
                       f"{len(polls)} polls for {len(batch)} updates", None)
        silent = set(fz.SILENT) | set(fz.SILENT_GROUPS) | set(fz.CHANNELS)
        excused = {p.chat_id for p in batch if not p.conformant}
        for call in sends:
            try:
                chat_id = int(call.chat_id)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            if chat_id in silent and chat_id not in excused:
                told = [p for p in batch if p.chat_id == chat_id]
                kinds = sorted({p.case.kind for p in told})
                self._find("silent", f"{call.method} to a chat that must not be answered "
                           f"({', '.join(kinds)})",
                           f"{call.method} to {chat_id} after {kinds}",
                           told[-1] if told else None)

    async def _snapshot(self) -> dict[str, set[tuple[str, ...]]]:
        found: dict[str, set[tuple[str, ...]]] = {}
        async with self.env.db.session() as s:
            for table in Base.metadata.sorted_tables:
                if table.name == "inbox_update":
                    continue  # the inbox's own record of each update is expected
                columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
                if table.name == "person":
                    self.person_columns = [c.name for c in columns]
                rows = (await s.execute(select(*columns))).all()
                found[table.name] = {tuple(repr(v) for v in row) for row in rows}
        return found

    async def _check_rows(self, batch: list[Prepared]) -> None:
        now = await self._snapshot()
        telegram_id = self.person_columns.index("telegram_id")
        for table, rows in now.items():
            before = self.baseline.get(table, set())
            added, removed = rows - before, before - rows
            if table == "person":
                name, language = (self.person_columns.index(c) for c in ("name", "language"))
                legit = {r for r in added if self._expected_person(
                    int(r[telegram_id]), r[name], r[language])}
                self.stats["people stored by consent"] += len(legit)
                before |= legit
                added -= legit
            for row in sorted(added | removed)[:3]:
                culprit = self._culprit(" ".join(row), batch)
                if culprit is None and table == "person":  # no marker: whose consent was it?
                    culprit = next((p for p in batch if p.case.consent
                                    and repr(p.chat_id) == row[telegram_id]), None)
                self._find("rows", f"{table} row {'added' if row in added else 'changed'}",
                           f"{table}: {row}"[:600], culprit)
            self.baseline[table] = before if not (added or removed) else rows

    def _leaks(self) -> list[tuple[logging.LogRecord, str, re.Match[str]]]:
        """Every record logged since the last look that quotes a marker; forgets them."""
        found, seen = [], set()
        for record in [*self.caplog.records, *self.collector.records]:
            if id(record) in seen:
                continue
            seen.add(id(record))
            text = self.formatter.format(record)  # the message, and any traceback
            if record.exc_text and record.exc_text not in text:
                text += record.exc_text
            match = MARKER.search(text)
            if match:
                found.append((record, text, match))
        self.caplog.clear()
        self.collector.records.clear()
        return found

    def _check_logs(self, batch: list[Prepared]) -> None:
        for record, text, match in self._leaks():
            culprit = self.prepared.get(int(match.group(1))) if match.group(1).isdigit() \
                else None
            at = text.find(match.group(0))
            source = f"{record.pathname.rsplit('/', 1)[-1]}:{record.lineno}"
            self._find("log", f"{record.name} {record.levelname}: {str(record.msg)[:60]!r}",
                       f"{record.name} {record.levelname} ({source}): "
                       f"…{text[max(0, at - 120):at + 60]!r}…", culprit)

    def _culprit(self, text: str, batch: list[Prepared]) -> Prepared | None:
        match = MARKER.search(text)
        if match and match.group(1).isdigit():
            return self.prepared.get(int(match.group(1)))
        return None

    def _find(self, kind: str, key: str, detail: str, culprit: Prepared | None) -> None:
        self.stats[f"finding {kind}"] += 1
        if key in self.findings:
            return
        finding = Finding(kind, key, detail, culprit)
        self.findings[key] = finding
        if FINDINGS_FILE:
            with open(FINDINGS_FILE, "a", encoding="utf-8") as out:
                out.write(_report(finding, self.path, self.env.db.url) + "\n")


def _where(error: BaseException) -> str:
    """The innermost frame of our own code the error passed through."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if PROJECT.search(f.filename)]
    if not frames:
        return "library code"
    frame = frames[-1]
    short = re.sub(r".*/(bot|handlers|models|jobs)/", r"\1/", frame.filename)
    return f"{short}:{frame.lineno} in {frame.name}"


def _report(finding: Finding, path: str, url: str) -> str:
    backend = "pg" if url.startswith("postgresql") else "sqlite"
    lines = [f"- [{finding.kind}] {finding.key} ({path}, {backend}): {finding.detail}"]
    if finding.culprit is not None:
        p = finding.culprit
        changes = f" after {', '.join(p.changes)}" if p.changes else ""
        lines.append(f"  update ({'conformant' if p.conformant else 'malformed'}{changes}): "
                     f"`{p.show()}`")
    return "\n".join(lines)


def say(request: pytest.FixtureRequest, line: str) -> None:
    """Print on the terminal whatever the capture mode (-s or not)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


def drive(campaign: Campaign, strategy: st.SearchStrategy[fz.Case], count: int,
          loop: asyncio.AbstractEventLoop) -> int:
    """Run Hypothesis (in this worker thread) for `count` cases, feeding the bot in batches
    on the event loop; returns how many cases were generated."""
    pending: list[fz.Case] = []
    generated = 0

    def flush() -> None:
        batch = pending[:]
        pending.clear()
        try:
            asyncio.run_coroutine_threadsafe(campaign.feed(batch), loop).result()
        except Exception as error:  # the harness itself failed: stop, and say where
            campaign.stopped = True
            campaign._find("harness", f"the campaign failed: {type(error).__name__}",
                           "".join(traceback.format_exception(error))[-1500:], None)

    @settings(max_examples=count, deadline=None, derandomize=True, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck),
              print_blob=False)
    @given(strategy)
    def one(case: fz.Case) -> None:
        nonlocal generated
        if campaign.stopped:
            return
        generated += 1
        pending.append(case)
        if len(pending) >= BATCH:
            flush()

    one()
    if pending and not campaign.stopped:
        flush()
    return generated


# each runtime path on one database, each database under one path: the four pairings cost
# twice the time for little more (what a database can get wrong is the same on both paths)
@pytest.mark.parametrize(("backend", "path"), [("sqlite", "webhook"), ("pg", "polling")])
async def test_fuzzed_updates_change_nothing_and_stop_nothing(env, path, caplog, request,
                                                              fuzz_long):
    started = time.monotonic()
    refs = await real_flows_before(env)
    plugin = request.config.pluginmanager.get_plugin("logging-plugin")
    campaign = Campaign(env, path, refs, caplog, getattr(plugin, "report_handler", None))
    await campaign.start()
    count = PER_TEST * fuzz_long
    strategy = fz.updates() if path == "polling" else fz.webhook_cases()
    try:
        generated = await asyncio.to_thread(drive, campaign, strategy, count,
                                            asyncio.get_running_loop())
    finally:
        await campaign.stop()
    if not campaign.stopped:
        await real_flows_after(env, int(refs["P"]))
    elapsed = time.monotonic() - started
    stats = getattr(env.app.bot, "update_stats", None)
    summary = (f"fuzz {path} on {'pg' if env.db.url.startswith('postgresql') else 'sqlite'}: "
               f"{campaign.sent} updates run ({generated} generated, "
               f"{sum(1 for u in campaign.processed if u < campaign.next_uid)} processed, "
               f"{sum(not p.conformant for p in campaign.prepared.values())} malformed"
               + (f", {stats.unreadable} unreadable" if stats is not None else "")
               + f") in {elapsed:.0f} s; {dict(sorted(campaign.stats.items()))}")
    say(request, summary)
    unseen = Counter(p.case.kind for p in campaign.prepared.values()
                     if not campaign.processed[p.uid] and p.expect == 200)
    say(request, f"  not delivered to the bot (not asked for, or refused): {dict(unseen)}")
    if campaign.contained:
        say(request, f"  malformed updates that made a handler raise (contained): "
                     f"{dict(campaign.contained)}")
    request.node.user_properties.append(("fuzz_updates", campaign.sent))
    findings = "\n".join(_report(f, path, env.db.url) for f in campaign.findings.values())
    if campaign.findings:
        pytest.fail(f"{len(campaign.findings)} findings:\n{findings}", pytrace=False)
    assert campaign.sent >= count, summary


def test_generated_updates_follow_the_bot_api():
    """Every kind python-telegram-bot knows is generated, and each strategy's unmutated
    updates are ones it reads, as that kind."""

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return "4242" if value[fz.HOLE] == "callback_id" else {
                "message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}}
        return value.replace(fz.MARK, "FZ1Q") if isinstance(value, str) else value

    kinds: Counter[str] = Counter()

    def readable(case: fz.Case) -> None:
        update = {"update_id": 1, **fz.substitute(case.update, fill)}
        parsed = Update.de_json(update, None)
        kinds[case.kind] += 1
        if case.kind != "future":
            assert parsed.to_dict().get(case.kind) is not None, case.kind

    for branch in fz.branches():  # each kind on its own, so that every one is tried
        settings(max_examples=25, deadline=None, derandomize=True, database=None,
                 phases=[Phase.generate], suppress_health_check=list(HealthCheck))(
            given(branch)(readable))()
    every = {"message", "edited_message", "channel_post", "edited_channel_post",
             "business_connection", "business_message", "edited_business_message",
             "deleted_business_messages", "guest_message", "message_reaction",
             "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query",
             "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll",
             "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
             "removed_chat_boost", "managed_bot", "future"}
    assert set(kinds) == every, every - set(kinds)
    known = {k for k in Update.__slots__ if not k.startswith("_")} - {"update_id"}
    assert known <= every, f"kinds python-telegram-bot knows and the fuzzer does not: " \
        f"{known - every}"
    assert fz.is_consent("ob:y:en:") and not fz.is_consent("ob:y:xx:x")
