"""The sandbox's web page: a chat client for the emulator, served by Starlette on localhost.

The page is plain HTML/CSS/JS from `bot/emulator/static/` (no build step, nothing loaded from
the internet). It acts through the emulator's own control API, mounted here under `/control`
on the same origin, and gets the rest from a few JSON endpoints: its words (translated by
gettext like every other string a user sees), the demo personas, the join posters and the
demo spots. `/events` streams the World's changes as server-sent events, so the page updates
without reloading.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot import demo, demo_vote
from bot.config import get_settings
from bot.db import Database
from bot.emulator.control import control_routes
from bot.emulator.state import Change, World
from bot.i18n import LANGUAGES, N_, tr

STATIC = Path(__file__).parent / "emulator" / "static"
KEEPALIVE_SECONDS = 15.0

# Every word on the page. The JavaScript fills `{name}` placeholders itself.
STRINGS = {
    "title": N_("linli sandbox"),
    "tagline": N_("Try the community bot as any demo resident, volunteer or staff member. "
                  "Nothing leaves this computer."),
    "who": N_("Who are you?"),
    "who_hint": N_("Pick a person to act as. You can switch at any time."),
    "you_are": N_("You are"),
    "switch_persona": N_("Switch to another person"),
    "chats": N_("Chats"),
    "private_chat": N_("Private chat with the bot"),
    "members": N_("{count} members"),
    "pick_persona": N_("Pick a person on the left to begin."),
    "pick_persona_narrow": N_("Press “Who are you?” at the top to pick a person and begin."),
    "start": N_("Start"),
    "start_hint": N_("This is your first time here: press Start to talk to the bot."),
    "placeholder": N_("Write a message…"),
    "send": N_("Send"),
    "attach": N_("Send a photo or a file"),
    "location": N_("Share a location"),
    "poster": N_("Scan a QR code"),
    "commands": N_("Commands"),
    "no_commands": N_("The bot has set no commands here."),
    "spots": N_("Pick a spot in the community"),
    "coordinates": N_("…or type coordinates"),
    "latitude": N_("Latitude"),
    "longitude": N_("Longitude"),
    "share": N_("Share"),
    "posters": N_("Join posters in the stairwells"),
    "posters_hint": N_("Each poster's QR code opens the bot with a join code for that "
                       "building or unit."),
    "ballots": N_("Printed paper ballots of the committee election"),
    "ballots_hint": N_("An owner's paper ballot carries a QR code that opens the bot on that "
                       "ballot. Press one to scan it as the person you are: only a ballot "
                       "officer the convenors authorised (in the demo, the grid worker 陈刚) "
                       "can enter it."),
    "ballots_pdf": N_("Download these ballots as printed (PDF)"),
    "inspector": N_("Inspector"),
    "inspector_hint": N_("The Bot API calls the bot made, newest first (its getUpdates "
                         "polls are left out)."),
    "method": N_("Method"),
    "chat": N_("Chat"),
    "status": N_("Status"),
    "call_number": N_("Call"),
    "time": N_("Time"),
    "content": N_("Content"),
    "error": N_("Error"),
    "edited": N_("edited"),
    "deleted": N_("This message was deleted."),
    "bot": N_("bot"),
    "empty": N_("No messages yet."),
    "close": N_("Close"),
    "ok": N_("OK"),
    "offline": N_("Connection to the sandbox lost; trying again…"),
    "no_answer": N_("The bot did not answer that button."),
    "failed": N_("That did not work: {error}"),
    "file": N_("File"),
}


def strings(language: str) -> dict[str, str]:
    _ = tr(language)
    return {key: _(text) for key, text in STRINGS.items()}


class PageServer:
    """The page's Starlette app over one World and the sandbox database."""

    def __init__(self, world: World, db: Database) -> None:
        self.world = world
        self.db = db
        self._streams: set[asyncio.Queue[Change | None]] = set()
        self.app = Starlette(routes=[
            Route("/", self.index),
            Route("/api/strings", self.strings),
            Route("/api/personas", self.personas),
            Route("/api/chats", self.chats),
            Route("/api/posters", self.posters),
            Route("/api/ballots", self.ballots),
            Route("/api/ballots.pdf", self.ballots_pdf),
            Route("/api/spots", self.spots),
            Route("/api/files/{file_id}", self.file),
            Route("/events", self.events),
            Mount("/control", routes=control_routes(world)),
            Mount("/static", StaticFiles(directory=STATIC)),
        ])

    def close(self) -> None:
        """End every event stream, so shutting the server down does not wait for them."""
        for queue in self._streams:
            queue.put_nowait(None)

    @staticmethod
    def _language(request: Request) -> str:
        language = request.query_params.get("lang", LANGUAGES[0])
        return language if language in LANGUAGES else LANGUAGES[0]

    async def index(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def strings(self, request: Request) -> Response:
        return JSONResponse(strings(self._language(request)))

    async def personas(self, request: Request) -> Response:
        return JSONResponse(await demo.persona_cards(self.db, self._language(request)))

    async def posters(self, request: Request) -> Response:
        return JSONResponse(await demo.posters(self.db))

    async def ballots(self, request: Request) -> Response:
        """The printed paper ballots a persona can "scan" (bot/demo_vote.py)."""
        return JSONResponse(await demo_vote.printed_ballots(self.db, self._language(request)))

    async def ballots_pdf(self, request: Request) -> Response:
        """The printed ballots themselves, as the convenors print them (PDF)."""
        name, pdf = await demo_vote.ballots_pdf(self.db, self.world.bot.username or "linli_bot",
                                                get_settings().tz)
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f"attachment; filename={name}"})

    async def spots(self, request: Request) -> Response:
        return JSONResponse(demo.spots(self._language(request)))

    async def chats(self, request: Request) -> Response:
        """The chats a user is in: the private chat with the bot first, then groups."""
        try:
            user_id = int(request.query_params.get("user_id", ""))
        except ValueError:
            return JSONResponse({"ok": False, "error": "user_id is required"}, status_code=400)
        out = []
        for chat in self.world.chats.values():
            if user_id not in chat.member_ids:
                continue
            live = [m for m in chat.messages.values() if not m.deleted]
            last = live[-1] if live else None
            out.append({
                "id": chat.id, "type": chat.type,
                "title": self.world.bot.first_name if chat.type == "private" else chat.title,
                "members": len(chat.member_ids) + 1,  # the bot too
                "last": (last.text or last.caption or "") if last else "",
                "seq": max((m.seq for m in chat.messages.values()), default=0),
            })
        out.sort(key=lambda c: (c["type"] != "private", -int(c["id"])))
        return JSONResponse(out)

    async def file(self, request: Request) -> Response:
        record = self.world.files.get(request.path_params["file_id"])
        if record is None:
            return Response(status_code=404)
        headers = {}
        if request.query_params.get("download"):
            name = record.file_name or "file"
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return Response(record.data, media_type=record.mime_type or "application/octet-stream",
                        headers=headers)

    async def events(self, request: Request) -> Response:
        """Server-sent events: a batch of changes each time the World changes."""
        queue: asyncio.Queue[Change | None] = asyncio.Queue()
        self._streams.add(queue)
        self.world.add_listener(queue.put_nowait)

        async def stream() -> AsyncIterator[str]:
            try:
                yield f"retry: 1000\ndata: {json.dumps({'seq': self.world.seq})}\n\n"
                while True:
                    try:
                        change = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    batch = [change]
                    while not queue.empty():  # coalesce a burst into one event
                        batch.append(queue.get_nowait())
                    if any(c is None for c in batch):
                        return
                    changes = [{"kind": c.kind, "seq": c.seq, "chat_id": c.chat_id,
                                "message_id": c.message_id} for c in batch if c is not None]
                    yield f"data: {json.dumps({'seq': self.world.seq, 'changes': changes})}\n\n"
            finally:
                self.world.remove_listener(queue.put_nowait)
                self._streams.discard(queue)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
