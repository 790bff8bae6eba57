"""The driver of `bench presses`: people pressing buttons (or typing, for the echo bot) through
the emulator's control API, in waves or one at a time.

A wave is a group of owners pressing at once, phase by phase: all press "Read and sign", and
when every one of those presses is answered, all press "I agree and sign" (on the message that
"Read" sent them), then all "Confirm and sign". The latency of a press runs from the driver's
press request to the answer of its callback query as the emulator recorded it (both wall-clock
seconds on this machine); a wave lasts from its first press request to its last answer. A press
that is never answered, or cannot be made because the step before it was not, is lost.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

Progress = Callable[[str], None]
QUIET = ("getUpdates", "getMe", "deleteWebhook")  # polling, not an answer to anybody


@dataclass(frozen=True)
class Flow:
    """The presses of one signing, in order: (kind, callback data). Where the data differs
    from person to person (a ballot names its roll owner), `personal` holds each user's."""

    presses: tuple[tuple[str, str], ...]
    personal: Mapping[int, Sequence[str]] = field(default_factory=dict)

    @property
    def kinds(self) -> list[str]:
        return [kind for kind, _data in self.presses]

    def data(self, user: int, step: int) -> str:
        """The callback data `user` presses at `step` of the flow."""
        own = self.personal.get(user)
        return own[step] if own is not None else self.presses[step][1]


@dataclass
class Burst:
    """What waves of presses (or of typed messages) came to."""

    attempted: int = 0
    answered: int = 0
    seconds: float = 0.0  # summed over the waves, first request to last answer
    latency_ms: dict[str, list[float]] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.attempted - self.answered

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..1); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class Emulator:
    """The control API, as the driver uses it; `patience` is how long to wait without any
    progress before a press (or a reply) counts as lost."""

    def __init__(self, url: str, *, connections: int, patience: float) -> None:
        self.url, self.patience = url, patience
        self.http = httpx.AsyncClient(
            base_url=f"{url}/control", timeout=patience + 60,
            limits=httpx.Limits(max_connections=connections,
                                max_keepalive_connections=connections))
        self.seq = 0  # the last call of the log seen

    async def close(self) -> None:
        await self.http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    async def reset(self, users: Sequence[int]) -> None:
        """Forget everything, then the users (with their private chats) exist."""
        await self.request("POST", "/reset")
        self.seq = 0
        for start in range(0, len(users), 5_000):
            await self.request("POST", "/users/bulk", json={"users": [
                {"id": u, "first_name": f"居民{u}", "language_code": "zh"}
                for u in users[start:start + 5_000]]})

    async def calls(self, method: str | None = None, count: int = 0,
                    timeout: float = 0.0) -> list[dict[str, Any]]:
        """Calls after the last one seen (waiting, up to `timeout`, for `count` of `method`);
        the last one returned becomes the last seen."""
        params: dict[str, Any] = {"after": self.seq, "count": count, "timeout": timeout}
        if method is not None:
            params["method"] = method
        found = await self.request("GET", "/calls", params=params)
        if found:
            self.seq = found[-1]["seq"]
        return list(found)

    async def catch_up(self) -> None:
        """Skip every call made so far."""
        await self.calls()

    async def wait_calls(self, method: str, count: int,
                         alive: Callable[[], bool] = lambda: True) -> list[dict[str, Any]]:
        """The next `count` calls of `method`, or as many as came before patience ran out."""
        found: list[dict[str, Any]] = []
        idle_since = time.monotonic()
        while len(found) < count and alive() and time.monotonic() - idle_since < self.patience:
            more = await self.calls(method, count - len(found), timeout=5.0)
            if more:
                found += more
                idle_since = time.monotonic()
        return found

    async def press(self, user: int, data: str) -> tuple[str | None, float]:
        """Press the button with `data` on the newest message carrying it; (query id, the
        wall-clock time of the request) — no id when there is no such button."""
        started = time.time()
        try:
            response = await self.http.post("/press",
                                            json={"user_id": user, "callback_data": data})
        except httpx.TransportError:  # the emulator dropped the connection: a lost press
            return None, started
        if response.status_code != 200:
            return None, started
        return str(response.json()["callback_query_id"]), started

    async def send(self, user: int, text: str) -> float:
        """Type a message (one the emulator dropped the connection for is lost: no reply)."""
        started = time.time()
        try:
            await self.request("POST", "/send", json={"user_id": user, "text": text})
        except httpx.TransportError:
            pass
        return started

    async def answers(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The answers to these callback queries, once all are in (or patience ran out)."""
        got: dict[str, dict[str, Any]] = {}
        waiting = list(ids)
        idle_since = time.monotonic()
        while waiting and time.monotonic() - idle_since < self.patience:
            records = await self.request("POST", "/callback_answers",
                                         json={"ids": waiting, "timeout": 30})
            done = {i: r for i, r in records.items() if r and r["answered"]}
            if done:
                got.update(done)
                idle_since = time.monotonic()
            waiting = [i for i in waiting if i not in got]
        return got


def _groups(people: Sequence[int], size: int) -> list[Sequence[int]]:
    return [people[i:i + size] for i in range(0, len(people), size)]


async def press_waves(emu: Emulator, owners: Sequence[int], flow: Flow, size: int,
                      progress: Progress, label: str) -> Burst:
    """Every owner through the whole flow, `size` owners at a time, phase by phase."""
    burst = Burst(attempted=len(owners) * len(flow.presses),
                  latency_ms={kind: [] for kind in flow.kinds})
    groups = _groups(owners, size)
    for n, group in enumerate(groups, 1):
        first, last = math.inf, 0.0
        alive = list(group)
        for step, (kind, _data) in enumerate(flow.presses):
            pressed = await asyncio.gather(*(emu.press(u, flow.data(u, step)) for u in alive))
            answers = await emu.answers([q for q, _t in pressed if q])
            still = []
            for user, (query, started) in zip(alive, pressed, strict=True):
                first = min(first, started)
                answer = answers.get(query or "")
                if answer is not None:
                    burst.latency_ms[kind].append((answer["time"] - started) * 1000)
                    last = max(last, answer["time"])
                    still.append(user)
            burst.answered += len(still)
            alive = still
        burst.seconds += max(0.0, last - first) if last else 0.0
        progress(f"{label}: wave {n}/{len(groups)}, {burst.rate:,.1f} presses/s")
    return burst


async def echo_waves(emu: Emulator, users: Sequence[int], rounds: int, size: int,
                     progress: Progress) -> Burst:
    """The echo bot's equivalent: each user sends `rounds` texts, the group at once, each
    round waiting for every reply."""
    burst = Burst(attempted=len(users) * rounds, latency_ms={"echo": []})
    await emu.catch_up()
    groups = _groups(users, size)
    for n, group in enumerate(groups, 1):
        first, last = math.inf, 0.0
        alive = list(group)
        for r in range(rounds):
            sent = await asyncio.gather(*(emu.send(u, f"你好 {r + 1}") for u in alive))
            first = min([first, *sent])
            replies = await emu.wait_calls("sendMessage", len(alive))
            at = {}
            for call in replies:
                at.setdefault(call["chat_id"], call["time"])
            still = []
            for user, started in zip(alive, sent, strict=True):
                if user in at:
                    burst.latency_ms["echo"].append((at[user] - started) * 1000)
                    last = max(last, at[user])
                    still.append(user)
            burst.answered += len(still)
            alive = still
        burst.seconds += max(0.0, last - first) if last else 0.0
        progress(f"echo bot: wave {n}/{len(groups)}, {burst.rate:,.1f} updates/s")
    return burst


async def one_at_a_time(emu: Emulator, owners: Sequence[int], flow: Flow, progress: Progress,
                        label: str) -> tuple[Burst, dict[str, list[str]]]:
    """Each owner through the flow alone, one press at a time; also the Bot API calls each
    kind of press made (the most common sequence, answers and edits included)."""
    burst = Burst(attempted=len(owners) * len(flow.presses),
                  latency_ms={kind: [] for kind in flow.kinds})
    seen: dict[str, Counter[tuple[str, ...]]] = {kind: Counter() for kind in flow.kinds}
    await emu.catch_up()
    for n, user in enumerate(owners, 1):
        for step, (kind, _data) in enumerate(flow.presses):
            query, started = await emu.press(user, flow.data(user, step))
            if query is None:
                break
            answer = await emu.request("GET", f"/callback_answers/{query}",
                                       params={"timeout": emu.patience})
            if not answer["answered"]:
                break
            burst.latency_ms[kind].append((answer["time"] - started) * 1000)
            burst.answered += 1
            calls = await emu.calls()
            seen[kind][tuple(c["method"] for c in calls if c["method"] not in QUIET
                             and c["chat_id"] in (user, None))] += 1
        progress(f"{label}: one press at a time, owner {n}/{len(owners)}")
    recipe = {kind: list(c.most_common(1)[0][0]) if c else [] for kind, c in seen.items()}
    return burst, recipe
