"""Run the emulator as a process of its own: ``python -m bot.emulator --port 8081``.

Benchmarks run it apart from the bot so the two do not share one CPU core. When it is ready it
prints exactly one line, ``emulator listening on http://HOST:PORT`` (with the real port when
``--port 0`` asked for a free one), and it exits with status 0 on Ctrl-C or SIGTERM after ending
open long polls.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import uvicorn

from bot.emulator.client import KEEP_ALIVE
from bot.emulator.limits import parse_mode
from bot.emulator.server import create_app
from bot.emulator.state import World


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.emulator",
        description="A Telegram Bot API emulator on localhost: the Bot API under "
                    "/bot<token>/<method>, the control API under /control (see "
                    "bot/emulator/README.md).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081,
                        help="port to bind; 0 picks a free one (8081)")
    parser.add_argument("--token", default=None,
                        help="the only bot token accepted (default: any token; the bot id is "
                             "the token's number, 123456789 otherwise)")
    parser.add_argument("--limits", default="off", type=_limits,
                        help="Telegram's sending limits: off, telegram (30/s overall, ~1/s per "
                             "private chat, 20/min per group) or rate=N (N/s overall, per-chat "
                             "limits on) (off)")
    parser.add_argument("--bot-username", default="linli_bot", help="the bot's username")
    privacy = parser.add_mutually_exclusive_group()
    privacy.add_argument("--privacy-mode", choices=("on", "off"), nargs="?", const="on",
                         default="on",
                         help="group privacy mode, on as for a new Telegram bot: in groups the "
                              "bot sees only commands, replies to it, mentions and service "
                              "messages unless it is an administrator (on)")
    privacy.add_argument("--no-privacy-mode", dest="privacy_mode", action="store_const",
                         const="off", help="the same as --privacy-mode off")
    return parser.parse_args(argv)


def _limits(spec: str) -> str:
    try:
        parse_mode(spec)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return spec


async def run(args: argparse.Namespace) -> int:
    mode, rate = parse_mode(args.limits)
    world = World(args.token, bot_username=args.bot_username,
                  privacy_mode=args.privacy_mode == "on", limits=mode, rate=rate)
    # Idle connections stay open as Telegram's do: with uvicorn's 5 s, the same as httpx's
    # own expiry, a client's request on a connection idle for just that long raced the
    # server's close of it (a ReadError in `bench presses` on a loaded machine).
    config = uvicorn.Config(create_app(world), host=args.host, port=args.port, lifespan="off",
                            ws="none", log_config=None, access_log=False,
                            timeout_graceful_shutdown=2, timeout_keep_alive=KEEP_ALIVE)
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    try:
        await server.startup()
    except SystemExit:  # uvicorn's way of saying it could not bind
        print(f"emulator: could not listen on {args.host}:{args.port}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # uvicorn's tick keeps the Date header current; the signals are ours, not uvicorn's.
    ticker = asyncio.create_task(server.main_loop())
    port = server.servers[0].sockets[0].getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"emulator listening on http://{host}:{port}", flush=True)
    try:
        await stop.wait()
    finally:
        world.close()  # end long polls so their connections close at once
        server.should_exit = True
        await ticker
        await server.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
