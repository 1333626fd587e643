"""The page in real headless Chromium (Playwright, Debian's /usr/bin/chromium): paste → run → heatmap → download.

The server is the real app with the real bundled model, run by uvicorn in a thread on a free loopback
port. The test saves ``docs/screenshot.png`` (linked from the README).
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)

import uvicorn  # noqa: E402

from traitlens.examples import EXAMPLE_SENTENCES  # noqa: E402
from traitlens.web.app import create_app  # noqa: E402
from traitlens.web.models import ModelPool, SerializedEncoder  # noqa: E402

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(real_encoder, tmp_path_factory) -> Iterator[str]:
    from traitlens.encoders import load_encoder

    cache = tmp_path_factory.getbasetemp() / "real-model-cache"  # shared by the session's real-model tests
    cache.mkdir(exist_ok=True)
    pool = ModelPool(loader=lambda m: load_encoder(SerializedEncoder(real_encoder), cache=cache))
    port = free_port()
    config = uvicorn.Config(create_app(pool), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                          args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


def test_paste_run_heatmap_download(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
    page.goto(server + "/")
    # Keyboard only: the labelled text area, then the Run button.
    page.get_by_label("Texts, one per line", exact=False).fill("\n".join(EXAMPLE_SENTENCES))
    page.get_by_label("Analysis").select_option("profile")
    page.get_by_role("button", name="Run").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#heatmap .main-svg", state="visible", timeout=60_000)
    assert "Done:" in page.locator("#status").inner_text()
    cells = page.locator("#results-table tbody tr")
    assert cells.count() == 5 * len(EXAMPLE_SENTENCES)
    assert page.locator("#profile-chart .main-svg").first.is_visible()
    assert page.locator("#item-map .main-svg").first.is_visible()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name == "traitlens-profile.csv"
    lines = path.read_text().splitlines()
    assert lines[0] == "text,construct,score,contrast,relevance,high,low,confidence"
    assert len(lines) == 1 + 5 * len(EXAMPLE_SENTENCES)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download JSON").click()
    saved = json.loads(Path(info.value.path()).read_text())
    assert saved["provenance"]["model"]["id"] == "sentence-transformers/all-MiniLM-L6-v2"
    with page.expect_download() as info:
        page.get_by_role("button", name="Download heatmap PNG").click()
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as info:
        page.get_by_role("button", name="Download Parquet").click()
    assert Path(info.value.path()).read_bytes()[:4] == b"PAR1"
    if page.locator("button.why").count():  # traitlens.explain is there: a row's "Why?" shows its words
        page.locator("button.why").first.click()
        page.wait_for_selector("#explanation .explained span", timeout=60_000)
        assert page.locator("#explanation .explained span").count() >= 4
    assert outside == []  # no CDN, nothing from elsewhere
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shot = tmp_path / "screenshot.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copyfile(shot, SCREENSHOT)
    page.close()


def _reliability(page) -> dict[str, float]:
    """The page's reliability table: scale -> alpha (waits for a finished run)."""
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Done')", timeout=120_000)
    assert page.locator("#reliability-table").is_visible()
    head = page.locator("#reliability-table thead th").all_inner_texts()
    rows = [r.locator("td").all_inner_texts() for r in page.locator("#reliability-table tbody tr").all()]
    return {row[head.index("scale")]: float(row[head.index("alpha")]) for row in rows}


def test_predicted_scales_show_reliability_and_the_prior_switch(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.get_by_label("Analysis").select_option("predict-scales")
    page.get_by_label("Inventory", exact=False).select_option("bfi")
    page.get_by_role("button", name="Run").click()
    with_prior = _reliability(page)
    assert len(with_prior) == 5  # the BFI's five scales
    provenance = json.loads(page.locator("#provenance").text_content())
    assert provenance["within_scale_shift"] > 0
    page.get_by_label("Within-scale prior", exact=False).uncheck()
    page.evaluate("document.getElementById('status').textContent = ''")
    page.get_by_role("button", name="Run").click()
    without = _reliability(page)
    assert json.loads(page.locator("#provenance").text_content())["within_scale_shift"] == 0
    assert without.keys() == with_prior.keys()
    # the prior raises the keyed correlations of scale-mates, so every alpha
    assert all(without[s] < with_prior[s] for s in with_prior)
    page.get_by_label("Analysis").select_option("profile")
    page.get_by_label("Texts, one per line", exact=False).fill("I like to work hard.")
    page.get_by_role("button", name="Run").click()
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Done')", timeout=60_000)
    assert page.locator("#reliability-wrap").is_hidden()  # only for predicted scales
    page.close()


def test_an_error_is_shown_not_thrown(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.get_by_label("Texts, one per line", exact=False).fill("x" * 2100)
    page.get_by_role("button", name="Run").click()
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Error')", timeout=30_000)
    assert "at most 2000 characters" in page.locator("#status").inner_text()
    page.close()


def test_the_docs_render_offline(server, browser):
    page = browser.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
    page.goto(server + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/profile" in p for p in paths) and any("/health" in p for p in paths)
    assert outside == []
    page.close()
