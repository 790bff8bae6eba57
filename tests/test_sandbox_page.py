"""The sandbox page in a real headless browser (Debian's Chromium, driven by Playwright).

The sandbox, the browser and the tests share one event loop per module (Playwright's async
API), so no thread is needed and nothing is left running between tests. The browser only ever
does what a visitor does: click personas, buttons and tools, and read what appears. Every wait
is one of Playwright's auto-waiting expectations.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from bot.sandbox import SandboxOptions, run_sandbox

pytestmark = pytest.mark.asyncio(loop_scope="module")

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
# A 1×1 PNG, for the file picker.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360f8cf000000030101001805dd8d0000000049454e44ae426082")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def sandbox(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    db_path = tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite"
    async with run_sandbox(SandboxOptions(db_path=db_path, port=0, api_port=0)) as running:
        yield running.page_url


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        pytest.fail("Chromium is missing: apt-get install -y chromium (python3 -m bot.dev test "
                    "does it for you); Playwright must never download a browser.")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                    args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1400, "height": 860})
    yield await context.new_page()
    await context.close()


def persona(page: Page, name: str) -> Locator:
    return page.locator("#personas").get_by_role("button", name=re.compile(re.escape(name)))


async def tap(page: Page, label: str, then: str) -> None:
    """Press the newest inline button with this label; wait until the chat shows `then`."""
    chat = page.locator("#messages")
    await chat.get_by_role("button", name=label, exact=True).last.click()
    await expect(chat).to_contain_text(then)


async def test_join_and_get_approved_by_clicking_only(sandbox: str, page: Page) -> None:
    chat = page.locator("#messages")
    await page.goto(sandbox)
    await persona(page, "张伟 Zhang Wei").click()
    await expect(page.locator("#conv-title")).to_have_text("邻里 linli")
    await page.get_by_role("button", name="开始", exact=True).click()
    await expect(chat).to_contain_text("请选择语言")
    await tap(page, "✓ 中文", "加入之前")
    await tap(page, "我同意", "您住在哪个社区？")
    await tap(page, "阳光社区", "您住在哪一栋楼？")
    await tap(page, "2栋", "您住在哪个单元")
    await tap(page, "1单元", "您住在哪个房号？")
    await tap(page, "101", "您是业主、租户，还是家庭成员？")
    await tap(page, "业主", "您以业主身份加入阳光社区 2栋 1单元 101的申请已提交给社区")

    await persona(page, "王芳 Wang Fang").click()
    request = chat.locator(".msg").filter(has_text="入住申请").filter(has_text="张伟 Zhang Wei")
    await expect(request).to_contain_text("张伟 Zhang Wei申请以业主身份加入阳光社区 2栋 1单元 101")
    await request.get_by_role("button", name="✅ 批准").click()
    await expect(page.locator("#toast")).to_have_text("已处理。")
    await expect(request).to_contain_text("✅ 已由王芳 Wang Fang批准")
    await expect(request.get_by_role("button")).to_have_count(0)  # the buttons are gone
    await expect(page.locator("#calls")).to_contain_text("answerCallbackQuery")

    await persona(page, "张伟 Zhang Wei").click()
    await expect(chat).to_contain_text("欢迎您！您已在阳光社区 2栋 1单元 101登记成功，身份是业主")
    await expect(persona(page, "张伟 Zhang Wei")).to_contain_text("业主 · 2栋 1单元 101")


async def test_english_page_command_menu_and_poster(sandbox: str, page: Page) -> None:
    chat = page.locator("#messages")
    await page.goto(sandbox)
    await page.locator(".langs").get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Who are you?")).to_be_visible()
    await persona(page, "安娜 Anna Schmidt").click()
    await expect(page.locator("#start-bar")).to_contain_text("press Start to talk to the bot")

    # A poster in the stairwell of building 3: its join code skips picking the building.
    await page.get_by_role("button", name="Scan a join poster").click()
    await page.locator("#popup").get_by_role("button", name="阳光社区 3栋", exact=True).click()
    await expect(chat).to_contain_text("Please choose your language")
    await tap(page, "✓ English", "Before you join")
    await tap(page, "I agree", "阳光社区 3栋: which unit (stairwell)?")

    await page.get_by_role("button", name="Commands").click()
    menu = page.locator("#popup")
    await expect(menu).to_contain_text("Join your community or add a household")
    await menu.get_by_role("button").filter(has_text="/me").click()
    await expect(chat).to_contain_text("My households")

    await page.locator(".langs").get_by_role("button", name="中文").click()
    await expect(page.get_by_role("heading", name="你是谁？")).to_be_visible()


async def test_photo_and_location_in_a_group(sandbox: str, page: Page) -> None:
    chat = page.locator("#messages")
    await page.goto(sandbox)
    await persona(page, "李秀英 Li Xiuying").click()
    await page.locator("#chats").get_by_role("button", name=re.compile("1栋 邻里群")).click()
    await expect(page.locator("#conv-title")).to_have_text("1栋 邻里群")
    await page.locator("#text").fill("楼道灯坏了")
    await page.locator("#photo-input").set_input_files(
        files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": PNG}])
    photo = chat.locator(".msg.me").filter(has_text="楼道灯坏了")
    await expect(photo.locator("img.photo")).to_be_visible()
    await page.get_by_role("button", name="分享位置").click()
    await page.locator("#popup").get_by_role("button", name=re.compile("小区正门")).click()
    await expect(chat.locator(".msg.me .location")).to_contain_text("30.27412, 120.15536")
