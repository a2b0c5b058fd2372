"""The API documentation pages work offline: /docs (Swagger UI) and /redoc (ReDoc) render every
operation in a real browser (Debian's Chromium, driven by Playwright) that may reach nothing but
the service, with no error on the console. `GET /` names the service and links the rest."""

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Route, async_playwright

pytestmark = pytest.mark.system

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
RENDERED = 60_000  # ms: a generous ceiling for a busy machine; the wait ends when it renders


def chromium() -> str:
    """Debian's Chromium, installed with apt-get when missing and possible."""
    found = shutil.which("chromium")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "chromium"],
        ):
            subprocess.run(command, env=quiet, capture_output=True, timeout=900, check=False)
        found = shutil.which("chromium")
    if found is None:
        pytest.skip("Debian's `chromium` package is not installed and could not be installed")
    return found


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium(),
            args=["--no-sandbox"],  # root, in a container
        )
        yield launched
        await launched.close()


class OfflinePage:
    """A page that may load from loopback addresses only; it keeps what it refused and what the
    console said."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.refused: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    async def block_the_internet(self) -> None:
        await self.page.route("**/*", self._only_loopback)

    async def _only_loopback(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            await route.continue_()
        else:
            self.refused.append(route.request.url)
            await route.abort()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[OfflinePage]:
    context = await browser.new_context()
    offline = OfflinePage(await context.new_page())
    await offline.block_the_internet()
    yield offline
    await context.close()


async def fetch(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(url)


async def operations(live_server: str) -> set[tuple[str, str, str]]:
    """(method, path, operation id) of every operation /openapi.json documents."""
    document: dict[str, Any] = (await fetch(f"{live_server}/openapi.json")).json()
    return {
        (method.upper(), path, operation["operationId"])
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


async def test_swagger_ui_renders_every_operation_offline(
    live_server: str, page: OfflinePage
) -> None:
    expected = await operations(live_server)

    await page.page.goto(f"{live_server}/docs")
    await page.page.wait_for_function(
        f"document.querySelectorAll('.opblock').length >= {len(expected)}", timeout=RENDERED
    )
    rendered = await page.page.eval_on_selector_all(
        ".opblock",
        """blocks => blocks.map(block => [
            block.querySelector('.opblock-summary-method').textContent,
            block.querySelector('.opblock-summary-path').dataset.path])""",
    )

    assert sorted(map(tuple, rendered)) == sorted((m, p) for m, p, _ in expected)
    assert page.refused == []
    assert page.errors == []


async def test_redoc_renders_every_operation_offline(live_server: str, page: OfflinePage) -> None:
    expected = await operations(live_server)

    await page.page.goto(f"{live_server}/redoc")
    await page.page.wait_for_function(
        f"document.querySelectorAll('[data-section-id^=\"operation/\"]').length >= {len(expected)}",
        timeout=RENDERED,
    )
    sections = await page.page.eval_on_selector_all(
        '[data-section-id^="operation/"]', "nodes => nodes.map(node => node.dataset.sectionId)"
    )

    assert sorted(sections) == sorted(f"operation/{op_id}" for _, _, op_id in expected)
    assert page.refused == []
    assert page.errors == []


async def test_the_home_page_names_the_service_and_version_and_links_the_rest(
    live_server: str, page: OfflinePage
) -> None:
    answer = await fetch(live_server)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"

    await page.page.goto(live_server)
    assert await page.page.title() == f"payments-service {version('payments-service')}"
    links = await page.page.eval_on_selector_all("a", "links => links.map(link => link.href)")
    assert links == [
        f"{live_server}/{path}" for path in ("docs", "redoc", "openapi.json", "healthz")
    ]
    for link in links:
        assert (await fetch(link)).status_code == 200
    assert page.errors == []


async def test_one_version_everywhere(live_server: str) -> None:
    """The package's version is the OpenAPI document's (and --version's, see test_cli)."""
    document = (await fetch(f"{live_server}/openapi.json")).json()
    assert document["info"]["version"] == version("payments-service")
