"""The one send budget (bot/sending.py) and the update processor (bot/processing.py), on their
own: what Telegram would count, in what order people are answered. The same parts under the
real Application and the emulator's limits: tests/test_send_budget_e2e.py."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.error import RetryAfter

from bot.processing import ChatOrdered, key_of
from bot.sending import BudgetedRequests, LocalBudget, Ticket


def most_in_any(times: list[float], seconds: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + seconds) for start in times)


async def sent(budget: LocalBudget, chat_id: int) -> float:
    """One broadcast message to `chat_id` let go and its request returned at once: when."""
    ticket = await budget.broadcast(chat_id)
    assert isinstance(ticket, Ticket), f"chat {chat_id} had no room: {ticket} s"
    ticket.done()
    return time.monotonic()


async def test_the_overall_limit_holds_even_when_the_loop_is_late():
    """Never more than `rate` sends in any one second, also when senders wake up late because
    the event loop was busy (simulated by blocking it now and then)."""
    budget, times = LocalBudget(25), []

    async def sender(n: int) -> None:
        for i in range(20):
            times.append(await sent(budget, 1000 * n + i))
            if (n + i) % 7 == 0:
                time.sleep(0.06)  # noqa: ASYNC251 (on purpose: a busy loop, the next sends wake late)

    await asyncio.gather(*(sender(n) for n in range(4)))
    assert len(times) == 80
    assert most_in_any(times, 1.0) <= 25


def test_fractional_rates_never_exceed_the_rate_in_any_second():
    from bot.sending import MARGIN, _Lane

    def window(rate: float) -> tuple[int, float]:
        lane = _Lane(rate)
        return lane.window.limit, lane.window.period

    assert window(1.5) == (1, 1.0 + MARGIN)
    assert window(29.5) == (29, 1.0 + MARGIN)
    assert window(0.5) == (1, 2.0 + MARGIN)


async def test_a_reply_goes_before_the_broadcasts_already_waiting():
    """Eight broadcast messages wait for their turn at 10/s; a reply asked for after them all
    goes next, and the broadcasts keep their own order after it."""
    budget, order = LocalBudget(10), []

    async def broadcast(n: int) -> None:
        await sent(budget, 100 + n)
        order.append(f"b{n}")

    async def reply() -> None:
        (await budget.reply(7)).done()
        order.append("reply")

    first = asyncio.create_task(broadcast(0))
    await first  # the first takes the free slot at once
    rest = [asyncio.create_task(broadcast(n)) for n in range(1, 8)]
    await asyncio.sleep(0)  # every broadcast is waiting now
    assert len(budget.lanes[False].broadcasts) == 7
    await asyncio.gather(reply(), *rest)
    assert order == ["b0", "reply", *(f"b{n}" for n in range(1, 8))]


async def test_a_private_chat_takes_three_messages_in_any_three_seconds():
    """Replies to one person wait for that person's window (scaled down here: 3 in 0.3 s);
    other people's replies do not wait for it."""
    budget = LocalBudget(1000, private=(3, 0.3))
    mine: list[float] = []
    start = time.monotonic()
    for _ in range(7):
        (await budget.reply(42)).done()
        mine.append(time.monotonic())
    assert most_in_any(mine, 0.3) <= 3
    assert mine[3] - start >= 0.3  # the fourth waited for the first to leave the window
    await asyncio.wait_for(budget.reply(43), 0.2)  # someone else: at once
    assert budget.chats[43].flying == 1


async def test_a_message_counts_from_when_its_request_returned():
    """Telegram counts a message when it arrives, which may be late: a request that took
    0.2 s keeps its place in the window until 0.3 s after it returned, not after it began."""
    budget = LocalBudget(1000, private=(1, 0.3))
    first = await budget.reply(42)
    waiting = asyncio.create_task(budget.reply(42))
    await asyncio.sleep(0.35)  # the window's period since the first began, still on its way
    assert not waiting.done()
    first.done()
    returned = time.monotonic()
    (await asyncio.wait_for(waiting, 1.0)).done()
    assert time.monotonic() - returned >= 0.3


async def test_a_broadcast_leaves_room_for_a_reply_in_the_same_chat():
    """The outbox never waits for a chat: with two of the three places of a person's window
    taken, the next broadcast message is told to come back later, while a reply still goes."""
    budget = LocalBudget(1000, private=(3, 60.0))
    await sent(budget, 5)
    await sent(budget, 5)
    later = await budget.broadcast(5)
    assert isinstance(later, float) and 59.0 < later <= 60.0 + 0.2
    assert len(budget.chats[5].landed) == 2  # nothing counted for the refused one
    (await asyncio.wait_for(budget.reply(5), 1.0)).done()  # it takes the place kept for it
    assert len(budget.chats[5].landed) == 3


async def test_a_group_takes_twenty_messages_a_minute():
    budget = LocalBudget(1000)
    for _ in range(19):
        await sent(budget, -100)
    assert isinstance(await budget.broadcast(-100), float)  # the twentieth is kept for a reply
    await asyncio.wait_for(budget.reply(-100), 1.0)


async def test_a_429_closes_that_chat_for_the_time_telegram_asked():
    budget = LocalBudget(1000)
    budget.hold(9, 30)
    wait = await budget.broadcast(9)
    assert isinstance(wait, float) and 29 < wait <= 30
    await sent(budget, 10)  # other chats go on


class FakeCalls:
    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[str] = []
        self.fail_first = fail_first

    async def __call__(self, endpoint: str, data: dict[str, Any]) -> bool:
        self.calls.append(endpoint)
        if self.fail_first:
            self.fail_first -= 1
            raise RetryAfter(0)
        return True


async def test_handlers_messages_wait_for_the_budget_and_edits_never_do():
    """Through PTB's rate-limiter slot: a sendMessage waits its turn; an edit or a button's
    answer goes at once even while the budget is spent for seconds ahead."""
    budget = LocalBudget(0.5)  # one message every two seconds
    requests = BudgetedRequests(budget)
    calls = FakeCalls()

    async def post(endpoint: str, chat_id: int = 1) -> Any:
        data = {"chat_id": chat_id, "text": "x"}
        return await requests.process_request(calls, (endpoint, data), {}, endpoint, data,
                                              None)

    await post("sendMessage")  # takes the one slot of these two seconds
    waiting = asyncio.create_task(post("sendMessage", chat_id=2))
    await asyncio.sleep(0)
    for endpoint in ("editMessageText", "answerCallbackQuery", "editMessageReplyMarkup"):
        await asyncio.wait_for(post(endpoint), 0.5)
    assert not waiting.done()
    assert calls.calls == ["sendMessage", "editMessageText", "answerCallbackQuery",
                           "editMessageReplyMarkup"]
    waiting.cancel()


async def test_a_429_on_a_reply_is_tried_again_after_the_wait():
    budget = LocalBudget(1000)
    requests = BudgetedRequests(budget)
    calls = FakeCalls(fail_first=1)
    data = {"chat_id": 3, "text": "x"}
    assert await requests.process_request(calls, ("sendMessage", data), {}, "sendMessage",
                                          data, None)
    assert calls.calls == ["sendMessage", "sendMessage"]
    never = FakeCalls(fail_first=10)
    other = {"chat_id": 4, "text": "x"}
    with pytest.raises(RetryAfter):
        await requests.process_request(never, ("sendMessage", other), {}, "sendMessage", other,
                                       1)
    assert len(never.calls) == 2


# --- the update processor -------------------------------------------------------------------


def press(update_id: int, user_id: int, chat_id: int | None = None) -> Update:
    user = User(user_id, f"u{user_id}", is_bot=False)
    chat = Chat(chat_id or user_id, Chat.PRIVATE)
    message = Message(1, dt_now(), chat)
    return Update(update_id, callback_query=CallbackQuery(str(update_id), user, "x",
                                                          message=message, data="d"))


def dt_now():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.datetime.now(dt.UTC)


async def test_one_persons_updates_run_in_the_order_they_came():
    processor = ChatOrdered(8)
    release = asyncio.Event()
    done: list[int] = []

    async def handle(n: int, wait: bool) -> None:
        if wait:
            await release.wait()
        done.append(n)

    tasks = [asyncio.create_task(processor.process_update(press(1, 7), handle(1, True))),
             asyncio.create_task(processor.process_update(press(2, 7), handle(2, False))),
             asyncio.create_task(processor.process_update(press(3, 8), handle(3, False)))]
    await tasks[2]  # the other person's press is not held up
    assert done == [3]
    release.set()
    await asyncio.gather(*tasks)
    assert done == [3, 1, 2]  # the same person's second press waited for the first
    assert processor._last == {}


async def test_at_most_limit_updates_run_at_once_and_waiting_ones_hold_no_place():
    processor = ChatOrdered(2)
    release = asyncio.Event()
    running = 0
    most = 0
    full = asyncio.Event()

    async def handle() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        if running == 2:
            full.set()
        await release.wait()
        running -= 1

    # ten presses of one person, then two of others: the others still get to run
    tasks = [asyncio.create_task(processor.process_update(press(n, 1), handle()))
             for n in range(10)]
    others = [asyncio.create_task(processor.process_update(press(20 + n, 2 + n), handle()))
              for n in range(2)]
    await full.wait()
    assert running == 2 and most == 2
    release.set()
    await asyncio.gather(*tasks, *others)
    assert most == 2


def test_updates_are_keyed_by_chat_and_sender():
    assert key_of(press(1, 7)) == (7, 7)
    assert key_of(press(1, 7, chat_id=-100)) == (-100, 7)
    assert key_of(Update(5)) is None and key_of(object()) is None
