"""`python -m bot.screenshots`: retake the README's screenshots of the sandbox page.

A fresh sandbox (a new database in a temporary directory, seeded with the demo community, as
`linli sandbox --reset` starts) and a headless Chromium driven by Playwright play the same taps
every time and write into bot/emulator/static/:

  sandbox.png        desktop, 1440 × 900, in Chinese: 张伟 and Anna Schmidt asked to join by
                     pressing the bot's buttons; the staff member 王芳 has just approved 张伟
                     (the bot's answer as a toast) and Anna's request waits with its buttons.
  sandbox-phone.png  phone, 390 × 844 (at 2×), in English: Anna Schmidt, approved, has opened the
                     community's pledge from the command menu; the sign button is under it.

Only the clock times in the chat differ from run to run (the browser shows them in the demo
community's time zone). It takes about half a minute. Chromium is Debian's (`python3 -m
bot.dev test` installs it, with the CJK and emoji fonts); Playwright never downloads a browser.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.sandbox import SandboxOptions, run_sandbox

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

STATIC = Path(__file__).parent / "emulator" / "static"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--font-render-hinting=none"]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = {"desktop": "sandbox.png", "phone": "sandbox-phone.png"}
TIMEZONE = "Asia/Shanghai"  # the demo community's

# A label in Chinese or in English: the demo's places have both (rooms keep their numbers).
COMMUNITY = re.compile(r"^(阳光社区|Sunshine Community)$")
BUILDING_2, BUILDING_3 = re.compile(r"^(2栋|Building 2)$"), re.compile(r"^(3栋|Building 3)$")
UNIT_1, UNIT_2 = re.compile(r"^(1单元|Unit 1)$"), re.compile(r"^(2单元|Unit 2)$")


def say(message: str) -> None:
    print(f"[screenshots] {message}", file=sys.stderr, flush=True)


# The steps below are shared with tests/test_sandbox_page.py. They wait only with Playwright's
# auto-waiting expectations, for something the page shows.

async def press(target: Locator) -> None:
    """What a finger does on a touch screen (a phone's context), a mouse click elsewhere."""
    if await target.page.evaluate("matchMedia('(pointer: coarse)').matches"):
        await target.tap()
    else:
        await target.click()


async def tap(page: Page, label: str | re.Pattern[str], then: str | re.Pattern[str]) -> None:
    """Press the newest button in the chat with this label; wait until the chat shows `then`."""
    from playwright.async_api import expect

    chat = page.locator("#messages")
    await press(chat.get_by_role("button", name=label, exact=True).last)
    await expect(chat).to_contain_text(then)


async def be(page: Page, name: str) -> None:
    """Act as this demo persona: from the list, or on a phone through the "who am I" button."""
    from playwright.async_api import expect

    who = page.locator("#who-button")
    if await who.is_visible() and await who.get_attribute("aria-expanded") != "true":
        await press(who)
    await press(page.locator("#personas").get_by_role(
        "button", name=re.compile(re.escape(name))))
    await expect(page.locator(".persona[aria-pressed=true]")).to_contain_text(name)


async def request_of(page: Page, name: str) -> Locator:
    """The join request of this persona waiting in the chat open now, found by its buttons and
    then held by its message id (the buttons go when it is decided)."""
    from playwright.async_api import expect

    waiting = page.locator("#messages .msg").filter(has_text=name).filter(
        has=page.get_by_role("button", name=re.compile("^✅ (批准|Approve)$"))).last
    await expect(waiting).to_be_visible()
    return page.locator(f'#messages .msg[data-id="{await waiting.get_attribute("data-id")}"]')


async def join(page: Page, name: str, language: str, *picks: str | re.Pattern[str]) -> None:
    """A newcomer joins by pressing buttons only: Start, language, consent, home, relation."""
    from playwright.async_api import expect

    chat = page.locator("#messages")
    await be(page, name)
    await press(page.locator("#start"))
    await expect(chat).to_contain_text(re.compile("请选择语言|Please choose your language"))
    await tap(page, language, re.compile("加入之前|Before you join"))
    await tap(page, re.compile("^(我同意|I agree)$"),
              re.compile("您住在哪个社区|Which community do you live in"))
    for pick, following in zip(picks, picks[1:], strict=False):
        await press(chat.get_by_role("button", name=pick, exact=True).last)
        await expect(chat.get_by_role("button", name=following, exact=True).last).to_be_visible()
    await press(chat.get_by_role("button", name=picks[-1], exact=True).last)
    await expect(chat).to_contain_text(re.compile("申请已提交|was sent to your community office"))


async def command(page: Page, name: str) -> None:
    """Send a command by picking it from the "/" menu beside the input."""
    await press(page.locator("#menu-button"))
    await press(page.locator("#popup .menu-item strong").get_by_text(f"/{name}", exact=True))


async def open_pledge(page: Page, then: str) -> None:
    """Open the community's open pledge from the "/" menu's /pledges; wait for `then`."""
    await command(page, "pledges")
    await tap(page, re.compile("^⬜"), then)


async def _desktop(browser: Browser, url: str, out: Path | None) -> None:
    from playwright.async_api import expect

    context = await browser.new_context(viewport=DESKTOP, timezone_id=TIMEZONE,
                                        locale="zh-CN")
    page = await context.new_page()
    await page.goto(url)
    await page.locator(".langs").get_by_role("button", name="中文").click()
    say("desktop: 张伟 asks to join, pressing the bot's buttons")
    await join(page, "张伟 Zhang Wei", "✓ 中文", COMMUNITY, BUILDING_2, UNIT_1, "101", "业主")
    say("desktop: Anna Schmidt asks to join, in English")
    await join(page, "安娜 Anna Schmidt", "✓ English", COMMUNITY, BUILDING_3, UNIT_2, "301",
               "Tenant")
    say("desktop: 王芳 approves 张伟")
    await be(page, "王芳 Wang Fang")
    request = await request_of(page, "张伟 Zhang Wei")
    await request.get_by_role("button", name="✅ 批准").click()
    await expect(page.locator("#toast")).to_be_visible()
    await expect(request).to_contain_text("王芳 Wang Fang")
    # the persona list is read again when the welcome reaches 张伟: no longer "waiting"
    await expect(page.locator("#personas .persona").first).not_to_contain_text("待审核")
    if out is not None:
        await page.screenshot(path=out / SHOTS["desktop"])
        say(f"wrote {out / SHOTS['desktop']}")
    await context.close()


async def _phone(browser: Browser, url: str, out: Path) -> None:
    from playwright.async_api import expect

    # a phone's screen has two device pixels to a CSS pixel: the PNG is 780 × 1688
    context = await browser.new_context(viewport=PHONE, timezone_id=TIMEZONE, locale="en-GB",
                                        is_mobile=True, has_touch=True, device_scale_factor=2)
    page = await context.new_page()
    await page.goto(url)
    await press(page.locator(".langs").get_by_role("button", name="English"))
    chat = page.locator("#messages")
    say("phone: 王芳 approves Anna Schmidt")
    await be(page, "王芳 Wang Fang")
    request = await request_of(page, "Anna Schmidt")
    await press(request.get_by_role("button", name="✅ 批准"))
    await expect(request.get_by_role("button")).to_have_count(0)
    say("phone: Anna opens the pledge from the command menu")
    await be(page, "安娜 Anna Schmidt")
    await expect(chat).to_contain_text("Welcome")  # the outbox's message, before she goes on
    await open_pledge(page, "Have you read it?")
    await expect(chat.get_by_role("button", name="✍️ I agree and sign")).to_be_in_viewport()
    await page.screenshot(path=out / SHOTS["phone"])
    say(f"wrote {out / SHOTS['phone']}")
    await context.close()


async def take(out: Path, which: Sequence[str], chromium: Path) -> None:
    from playwright.async_api import async_playwright

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="linli-screenshots-") as scratch:
        say("starting a fresh sandbox")
        options = SandboxOptions(db_path=Path(scratch) / "sandbox.sqlite", port=0, api_port=0)
        async with run_sandbox(options) as sandbox, async_playwright() as playwright:
            say(f"starting {chromium}")
            browser = await playwright.chromium.launch(executable_path=str(chromium),
                                                       args=CHROMIUM_ARGS)
            try:
                # the phone's scene goes on from the desktop's (Anna's request is made there)
                await _desktop(browser, sandbox.page_url, out if "desktop" in which else None)
                if "phone" in which:
                    await _phone(browser, sandbox.page_url, out)
            finally:
                await browser.close()
    say(f"done in {time.monotonic() - started:.0f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.screenshots", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__.split(": ", 1)[1],
        epilog="The PNGs are what README.md shows; commit them after looking at them.")
    parser.add_argument("--out", type=Path, default=STATIC,
                        help=f"where to write the PNGs (default: {STATIC})")
    parser.add_argument("--only", choices=sorted(SHOTS), action="append",
                        help="take only this one (repeatable; default: both)")
    parser.add_argument("--chromium", type=Path, default=CHROMIUM,
                        help=f"the Chromium to drive (default: {CHROMIUM})")
    args = parser.parse_args(argv)
    if not args.chromium.exists():
        say(f"{args.chromium} is missing: apt-get install chromium fonts-wqy-microhei "
            "fonts-noto-color-emoji (python3 -m bot.dev test installs them)")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(take(args.out, args.only or sorted(SHOTS), args.chromium))
    return 0


if __name__ == "__main__":
    sys.exit(main())
