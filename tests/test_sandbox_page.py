"""The sandbox page in a real headless browser (Debian's Chromium, driven by Playwright).

The sandbox, the browser and the tests share one event loop per module (Playwright's async
API), so no thread is needed and nothing is left running between tests. The browser only ever
does what a visitor does: click (on a phone, tap) personas, buttons and tools, and read what
appears. Every wait is one of Playwright's auto-waiting expectations. The steps a visitor takes
are shared with `python -m bot.screenshots` (`bot/screenshots.py`).
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from bot.demo_vote import BY_ELECTION_TITLE, CLOSED_TITLE, ELECTION_TITLE, VOTE_TITLE
from bot.sandbox import SandboxOptions, run_sandbox
from bot.screenshots import (
    BUILDING_3,
    CHROMIUM,
    CHROMIUM_ARGS,
    COMMUNITY,
    PHONE,
    UNIT_2,
    be,
    command,
    join,
    open_pledge,
    press,
    request_of,
    tap,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

HAVE_CHROMIUM = CHROMIUM.exists()
# A 1×1 PNG, for the file picker.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360f8cf000000030101001805dd8d0000000049454e44ae426082")
# The smallest PDF a reader opens: one empty page.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]"
       b"/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


async def _sandbox(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    db_path = tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite"
    async with run_sandbox(SandboxOptions(db_path=db_path, port=0, api_port=0)) as running:
        yield running.page_url


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def sandbox(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async for url in _sandbox(tmp_path_factory):
        yield url


@pytest_asyncio.fixture(loop_scope="module")
async def fresh_sandbox(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A sandbox of its own, for a test that needs the demo's newcomers still new."""
    async for url in _sandbox(tmp_path_factory):
        yield url


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


@pytest_asyncio.fixture(loop_scope="module")
async def phone(browser: Browser) -> AsyncIterator[Page]:
    """A phone: 390 × 844 CSS pixels, a touch screen, in the community's time zone."""
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                        timezone_id="Asia/Shanghai")
    yield await context.new_page()
    await context.close()


def persona(page: Page, name: str) -> Locator:
    return page.locator("#personas").get_by_role("button", name=re.compile(re.escape(name)))


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
    await page.get_by_role("button", name="Scan a QR code").click()
    await page.locator("#popup").get_by_role("button", name="阳光社区 3栋", exact=True).click()
    await expect(chat).to_contain_text("Please choose your language")
    await tap(page, "✓ English", "Before you join")
    await tap(page, "I agree", "Sunshine Community · Building 3: which unit (stairwell)?")

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
    await page.locator("#file-input").set_input_files(
        files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": PNG}])
    photo = chat.locator(".msg.me").filter(has_text="楼道灯坏了")
    await expect(photo.locator("img.photo")).to_be_visible()
    await page.get_by_role("button", name="分享位置").click()
    await page.locator("#popup").get_by_role("button", name=re.compile("小区正门")).click()
    await expect(chat.locator(".msg.me .location")).to_contain_text("30.27412, 120.15536")


async def fits(page: Page) -> None:
    """What the page shows fits the window: nothing wider than it, no button whose label spills
    out of it or reaches past the window's edge, and (when it is there) a chat input wide
    enough to write in."""
    found = await page.evaluate("""() => {
      const shown = [...document.querySelectorAll('.kb')].filter((b) => b.offsetParent);
      const input = document.getElementById('text');
      return {
        page: document.documentElement.scrollWidth, window: window.innerWidth,
        buttons: shown.length,
        spilling: shown.filter((b) => b.scrollWidth > b.clientWidth + 1 ||
          b.scrollHeight > b.clientHeight + 1).map((b) => b.textContent),
        outside: shown.filter((b) => b.getBoundingClientRect().right > window.innerWidth)
          .map((b) => b.textContent),
        input: input.offsetParent ? input.getBoundingClientRect().width : null,
      };
    }""")
    assert found["page"] <= found["window"], found
    assert found["spilling"] == [] and found["outside"] == [], found
    if found["input"] is not None:
        assert found["input"] >= 150, found  # about ten Chinese characters, twenty letters


async def test_on_a_phone_a_newcomer_joins_and_signs_by_tapping(fresh_sandbox: str,
                                                                phone: Page) -> None:
    page, chat, toast = phone, phone.locator("#messages"), phone.locator("#toast")
    await page.goto(fresh_sandbox)
    await press(page.locator(".langs").get_by_role("button", name="English"))
    # one column: the chat; the persona list and the inspector wait behind their buttons
    await expect(page.locator("#who-button")).to_have_text(re.compile("Who are you?"))
    await expect(page.locator("#personas-panel")).to_be_hidden()
    await expect(page.locator("#inspector")).to_be_hidden()
    await expect(chat).to_contain_text("Press “Who are you?” at the top")
    await fits(page)

    await press(page.locator("#who-button"))
    await expect(page.locator("#personas-panel")).to_be_in_viewport()
    await fits(page)
    await join(page, "安娜 Anna Schmidt", "✓ English", COMMUNITY, BUILDING_3, UNIT_2, "301",
               "Tenant")
    await expect(page.locator("#who-button")).to_contain_text("You are安娜 Anna Schmidt")
    await expect(page.locator("#personas-panel")).to_be_hidden()  # closed when she was picked
    await fits(page)

    await be(page, "王芳 Wang Fang")
    await expect(page.locator("#who-button")).to_contain_text("王芳 Wang Fang")
    request = await request_of(page, "Anna Schmidt")
    await fits(page)
    await press(request.get_by_role("button", name="✅ 批准"))
    await expect(toast).to_have_text("已处理。")
    await expect(toast).to_be_in_viewport(ratio=1)  # over the chat, not off-screen
    await expect(request).to_contain_text("✅ 已由王芳 Wang Fang批准")

    await be(page, "安娜 Anna Schmidt")
    await expect(chat).to_contain_text("Welcome")
    await open_pledge(page, "Have you read it?")
    await fits(page)
    await tap(page, "✍️ I agree and sign", "will be recorded")
    await fits(page)
    await tap(page, "✅ Confirm and sign", "Verification code")
    await expect(toast).to_have_text("Signed.")
    await expect(toast).to_be_in_viewport(ratio=1)
    certificate = chat.locator(".msg").filter(has_text="Verification code")
    await expect(certificate).to_contain_text("Name: 安娜 Anna Schmidt")
    await expect(certificate).to_be_in_viewport(ratio=1)
    await fits(page)

    # the longest labels the bot has: a staff member's buttons for following a pledge
    await be(page, "王芳 Wang Fang")
    await command(page, "language")
    await tap(page, "English", "Language set to English.")
    await command(page, "pledge")
    await expect(chat).to_contain_text("Pledges")
    await press(chat.locator(".msg").last.locator(".kb").first)
    await expect(chat.get_by_role("button", name="✏️ New version of the text")).to_be_visible()
    await fits(page)


async def test_on_a_phone_the_chat_list_and_the_inspector_open_from_their_buttons(
        sandbox: str, phone: Page) -> None:
    page = phone
    await page.goto(sandbox)
    await press(page.locator(".langs").get_by_role("button", name="中文"))
    await be(page, "李秀英 Li Xiuying")
    await press(page.get_by_role("button", name="聊天", exact=True))
    chats = page.locator("#chats-panel")
    await expect(chats).to_be_in_viewport()
    await press(chats.get_by_role("button", name=re.compile("1栋 邻里群")))
    await expect(chats).to_be_hidden()
    await expect(page.locator("#conv-title")).to_have_text("1栋 邻里群")
    await fits(page)

    inspector = page.locator("#inspector")
    await press(page.get_by_role("button", name="检查器"))
    await expect(inspector).to_be_in_viewport()
    await expect(page.get_by_role("button", name="检查器")).to_have_attribute(
        "aria-expanded", "true")
    await expect(inspector.locator("tr.call").first).to_be_visible()
    await fits(page)
    await expect(inspector.locator("tr.call").first).to_be_focused()  # the keyboard is there
    await page.keyboard.press("Escape")
    await expect(inspector).to_be_hidden()
    await expect(page.get_by_role("button", name="检查器")).to_be_focused()


async def test_the_file_picker_sends_a_pdf_as_a_document(sandbox: str, page: Page) -> None:
    chat = page.locator("#messages")
    await page.goto(sandbox)
    await page.locator(".langs").get_by_role("button", name="中文").click()
    await be(page, "陈刚 Chen Gang")  # a grid worker: may send notices
    picker = page.locator("#file-input")
    accepted = (await picker.get_attribute("accept") or "").split(",")
    for kind in ("image/*", ".pdf", "application/pdf", ".doc", ".docx", ".xls", ".xlsx"):
        assert kind in accepted
    await command(page, "notice")
    await expect(chat).to_contain_text("也可以发送照片或文件（PDF、Word、Excel）")

    await page.locator("#text").fill("1栋 消防演练安排")
    await picker.set_input_files(
        files=[{"name": "演练安排.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    sent = chat.locator(".msg.me").filter(has_text="1栋 消防演练安排")
    await expect(sent.locator(".document")).to_contain_text("演练安排.pdf")
    await expect(sent.locator("img.photo")).to_have_count(0)
    # the bot took it as the notice's document and asks the next step
    await expect(chat).to_contain_text("发给谁？请选择区域。")
    await expect(page.locator("#calls")).to_contain_text("sendMessage")


async def test_an_inspector_row_shows_its_details_when_clicked(sandbox: str, page: Page) -> None:
    chat = page.locator("#messages")
    await page.goto(sandbox)
    await page.locator(".langs").get_by_role("button", name="English").click()
    await be(page, "黄磊 Huang Lei")
    await command(page, "me")
    await expect(chat).to_contain_text("我的房屋")
    # the bot's answer, newest first; a row's status cell holds the start of what was sent
    row = page.locator("#calls tr.call").filter(has_text="sendMessage").filter(
        has_text="黄磊 Huang Lei").filter(has=page.locator('td[title*="我的房屋"]')).first

    await row.click()
    details = page.locator("#calls tr.details")
    await expect(row).to_have_attribute("aria-expanded", "true")
    await expect(details).to_contain_text("黄磊 Huang Lei (1010)")
    await expect(details).to_contain_text("200 OK")
    await expect(details).to_contain_text("我的房屋")  # what the bot sent
    await row.click()
    await expect(details).to_have_count(0)


async def test_a_message_that_grows_when_edited_scrolls_into_view(browser: Browser,
                                                                  sandbox: str) -> None:
    # a short window, so the sign button's message growing into the confirmation passes the
    # bottom of the chat unless the page scrolls to it
    context = await browser.new_context(viewport={"width": 390, "height": 560},
                                        has_touch=True, is_mobile=True)
    page = await context.new_page()
    chat = page.locator("#messages")
    await page.goto(sandbox)
    await page.locator(".langs").get_by_role("button", name="中文").tap()
    await be(page, "李秀英 Li Xiuying")
    await open_pledge(page, "您读过了吗？请在下方签署。")
    asking = chat.locator(".msg").filter(has_text="您读过了吗？请在下方签署。")
    await expect(asking).to_be_in_viewport(ratio=1)
    height = (await asking.bounding_box() or {"height": 0})["height"]
    await tap(page, "✍️ 我同意并签署", "✅ 确认并签署")
    grown = chat.locator(".msg").filter(has=page.get_by_role("button", name="✅ 确认并签署"))
    assert (await grown.bounding_box() or {"height": 0})["height"] > height + 40
    await expect(grown).to_be_in_viewport(ratio=1)  # down to its last button
    await context.close()


async def held(target: Locator) -> Locator:
    """The message `target` finds now, held by its id: it stays found when an edit changes
    what it says."""
    await expect(target).to_be_visible()
    found = await target.get_attribute("data-id")
    return target.page.locator(f'#messages .msg[data-id="{found}"]')


async def test_an_elderly_owner_votes_on_both_matters_by_tapping_in_under_a_minute(
        sandbox: str, phone: Page) -> None:
    """李秀英, 78, on her phone: from the "voting is open" message to the copy of her ballot
    by five taps and no typing, each matter saying what passing needs."""
    page, chat, toast = phone, phone.locator("#messages"), phone.locator("#toast")
    started = time.monotonic()
    await page.goto(sandbox)
    await press(page.locator(".langs").get_by_role("button", name="中文"))
    await be(page, "李秀英 Li Xiuying")
    opened = chat.locator(".msg").filter(has_text="投票已开始").filter(has_text=VOTE_TITLE[0])
    await expect(opened).to_be_visible()
    typed = await chat.locator(".msg.me").count()  # (what other tests had her send)
    await press(opened.get_by_role("button", name="🗳 投票", exact=True))
    ballot = await held(chat.locator(".msg").filter(has_text="投票房屋：1栋 1单元 101").filter(
        has_text="尚未选择").last)
    await expect(ballot).to_contain_text("须经参与表决专有部分面积过半数且人数过半数的业主同意")
    await expect(ballot).to_contain_text("须经参与表决专有部分面积四分之三以上且人数四分之三以上")
    await fits(page)

    await press(ballot.get_by_role("button", name="1. ✅ 同意", exact=True))
    await expect(ballot.get_by_role("button", name="👉 1. ✅ 同意", exact=True)).to_be_visible()
    await press(ballot.get_by_role("button", name="2. ❌ 反对", exact=True))
    await expect(ballot.get_by_role("button", name="👉 2. ❌ 反对", exact=True)).to_be_visible()
    await press(ballot.get_by_role("button", name="核对 ▶", exact=True))
    await expect(ballot).to_contain_text("请核对您在「阳光花园 2027年度业主共同决定」中的选票")
    await expect(ballot).to_contain_text("续聘阳光物业服务有限公司为本小区物业服务企业——✅ 同意")
    await fits(page)
    await press(ballot.get_by_role("button", name="✔ 确认", exact=True))
    await expect(toast).to_have_text("您的选票已投出。")
    await expect(ballot.get_by_role("button", name=re.compile("^✅ 已投 · "))).to_be_visible()

    copy = chat.locator(".msg").filter(has_text="🧾 您的选票（副本）")
    await expect(copy).to_contain_text("1. 续聘阳光物业服务有限公司为本小区物业服务企业——✅ 同意")
    await expect(copy).to_contain_text("2. 续筹专项维修资金（每月每平方米2元）——❌ 反对")
    await expect(copy).to_contain_text("由 李秀英 Li Xiuying 投出")
    await expect(copy).to_be_in_viewport()
    await expect(chat.locator(".msg.me")).to_have_count(typed)  # she typed nothing
    await fits(page)
    assert time.monotonic() - started < 60


async def test_the_committee_follows_the_vote_and_two_scrutineers_publish_the_result(
        sandbox: str, page: Page) -> None:
    """吴桂兰 of the owners' committee sees the open vote's progress per building and its
    double quorum; the vote that closed yesterday waits for its scrutineers: she confirms,
    is told who else can, 王芳 of the community office confirms, and the result goes out with
    its chart, to 王芳 at once and to every owner."""
    chat = page.locator("#messages")
    await page.goto(sandbox)
    await page.locator(".langs").get_by_role("button", name="中文").click()
    await be(page, "吴桂兰 Wu Guilan")
    await command(page, "votes")
    await tap(page, "🗳 我组织的表决", "您组织的业主表决")
    await tap(page, f"{VOTE_TITLE[0]} · 投票中", "状态：投票中")
    await tap(page, "📊 进度", "——进度")
    progress = await held(chat.locator(".msg").filter(has_text="——进度"))
    for building in ("1栋", "2栋", "3栋"):
        await expect(progress).to_contain_text(
            re.compile(building + r"：20 户中 \d+ 户，面积占 \d+%"))
    await expect(progress).to_contain_text(re.compile(r"业主人数：56 人中 \d+ 人已投票"))
    await expect(progress).to_contain_text(
        re.compile(r"双过三分之二进度：人数达到所需三分之二的 \d+%，面积达到 \d+%"))
    await press(progress.get_by_role("button", name=re.compile(r"^1栋 \d+\/20$")))
    await expect(progress).to_contain_text("尚未投票（已在本系统登记的业主）")
    await expect(progress).to_contain_text("2单元 402 — 赵敏 Zhao Min")

    count = await held(chat.locator(".msg").filter(has_text="投票已结束").filter(
        has_text=CLOSED_TITLE[0]))
    await expect(count).to_contain_text("参与表决：56 位业主中 4 位（7%）")
    await expect(count).to_contain_text("未形成决定：参与表决人数或面积不足")
    assert await count.locator("pre").evaluate(ONE_LINE_PER_ROW), "the table's rows wrap"
    await press(count.get_by_role("button", name="✔ 确认计票结果"))
    await expect(count).to_contain_text("您的确认已记录（1 / 2）")
    await expect(count).to_contain_text("可以确认的人：王芳 Wang Fang")

    await be(page, "王芳 Wang Fang")
    count = await held(chat.locator(".msg").filter(has_text="投票已结束").filter(
        has_text=CLOSED_TITLE[0]))
    await press(count.get_by_role("button", name="✔ 确认计票结果"))
    await expect(count).to_contain_text("✔ 两位监票人已确认：结果已公布给每位业主。")
    await expect(count.get_by_role("button", name="📊 图表")).to_be_visible()
    await shows_a_chart(chat, f"📊 表决结果：{CLOSED_TITLE[0]}")

    await be(page, "李秀英 Li Xiuying")  # an owner: the result, and its chart a press away
    result = chat.locator(".msg").filter(has_text=f"📊 表决结果：{CLOSED_TITLE[0]}").filter(
        has_text="参与表决：56 位业主中 4 位")
    await press(result.get_by_role("button", name="📊 图表"))
    await shows_a_chart(chat, f"📊 表决结果：{CLOSED_TITLE[0]}")


# true when no line of a <pre> block is wrapped: each line of its text is one box on screen
ONE_LINE_PER_ROW = """(pre) => {
  const text = pre.firstChild && pre.firstChild.nodeType === Node.TEXT_NODE ? pre.firstChild
    : document.createTreeWalker(pre, NodeFilter.SHOW_TEXT).nextNode();
  let start = 0;
  for (const line of text.data.split('\\n')) {
    const range = document.createRange();
    range.setStart(text, start);
    range.setEnd(text, start + line.length);
    start += line.length + 1;
    if (line.trim() && range.getClientRects().length !== 1) return false;
  }
  return true;
}"""


async def shows_a_chart(chat: Locator, caption: str) -> None:
    """The chat's newest photo has this caption and is a picture that loaded."""
    photo = chat.locator(".msg").filter(has=chat.page.locator("img.photo")).last
    await expect(photo).to_contain_text(caption)
    width = await photo.locator("img.photo").evaluate(
        "(img) => img.decode().then(() => img.naturalWidth)")
    assert width >= 400


async def test_an_owner_votes_secretly_finds_a_receipt_and_the_grid_worker_scans_a_ballot(
        sandbox: str, page: Page) -> None:
    """刘洋 votes in the open committee election by secret ballot (two of three candidates,
    by buttons) and gets a receipt code; the by-election he voted in is published with its
    receipt codes, and he finds his by «🔎 核对我的回执码». Then 陈刚, the grid worker the
    convenors authorised, "scans" 李秀英's printed ballot on the page's «扫二维码» (what a
    phone's camera does: the bot gets /start pb_<token>) and enters it as a paper ballot."""
    chat = page.locator("#messages")
    await page.goto(sandbox)
    await page.locator(".langs").get_by_role("button", name="中文").click()
    await be(page, "刘洋 Liu Yang")
    opened = chat.locator(".msg").filter(has_text="投票已开始").filter(has_text=ELECTION_TITLE[0])
    await press(opened.get_by_role("button", name="🗳 投票", exact=True))
    ballot = await held(chat.locator(".msg").filter(has_text="1. 陈建华").last)
    for label in ("1. 陈建华", "2. 林晓燕"):
        await press(ballot.get_by_role("button", name=label, exact=True))
        await expect(ballot.get_by_role("button", name=f"✓ {label}")).to_be_visible()
    await press(ballot.get_by_role("button", name="核对 ▶", exact=True))
    await press(ballot.get_by_role("button", name="✔ 确认", exact=True))
    copy = chat.locator(".msg").filter(has_text="🧾 您的无记名选票（副本）").filter(
        has_text=ELECTION_TITLE[0])
    await expect(copy).to_contain_text("陈建华、林晓燕")
    await expect(copy).to_contain_text(re.compile(r"回执码：\w{4}-\w{4}-\w{4}"))

    earlier = chat.locator(".msg").filter(has_text="🧾 您的无记名选票（副本）").filter(
        has_text=BY_ELECTION_TITLE[0])
    found = re.search(r"\w{4}-\w{4}-\w{4}", await earlier.inner_text())
    assert found
    result = chat.locator(".msg").filter(has_text="表决结果").filter(
        has_text=BY_ELECTION_TITLE[0])
    await expect(result).to_contain_text(found.group())  # in the published list
    await press(result.get_by_role("button", name="🔎 核对我的回执码"))
    await expect(chat.locator(".msg").last).to_contain_text("请发送您在")
    await page.locator("#text").fill(found.group())
    await page.locator("#text").press("Enter")
    await expect(chat.locator(".msg").last).to_contain_text(
        f"回执码 {found.group()} 在「{BY_ELECTION_TITLE[0]}」公布的名单中")

    await be(page, "陈刚 Chen Gang")
    await press(page.get_by_role("button", name="扫二维码"))
    popup = page.locator("#popup")
    await expect(popup).to_contain_text("业主委员会选举的纸质表决票")
    await press(popup.get_by_role("button", name=re.compile("1栋 1单元 101 · 李秀英")))
    entry = await held(chat.locator(".msg").filter(has_text="录入表决票").last)
    await expect(entry).to_contain_text("李秀英")
    await press(entry.get_by_role("button", name="3. 马志强", exact=True))
    await press(entry.get_by_role("button", name="核对 ▶", exact=True))
    await press(entry.get_by_role("button", name="✔ 录入这张表决票", exact=True))
    await expect(chat.locator(".msg").last).to_contain_text("回执码")
