// Drives the live price board in a real Chromium (playwright-core, Debian's
// chromium binary): the page loads without console errors, its WebSocket
// connects, prices fill in, a price change shows in the DOM, and the GPU
// filter narrows the rows. Run by board_test.go; prints one JSON line.
const { chromium } = require("playwright-core");

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: ["--no-sandbox"] });
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  let ws = "";
  page.on("websocket", (s) => { ws = s.url(); });
  const report = { errors };
  try {
    await page.goto(process.env.BOARD_URL + "/board");
    await page.waitForSelector('#status[data-state="live"]', { timeout: 20000 });
    await page.waitForFunction(() => document.querySelectorAll('td[data-field="price"][data-price]').length >= 3, null, { timeout: 20000 });
    const prices = () => Object.fromEntries([...document.querySelectorAll("tr[data-gpu]")]
      .map((tr) => [tr.dataset.gpu, tr.querySelector('td[data-field="price"]').textContent]));
    const before = await page.evaluate(prices);
    report.rows = Object.keys(before).length;
    const t0 = Date.now();
    await page.waitForFunction((before) => [...document.querySelectorAll("tr[data-gpu]")].some((tr) => {
      const td = tr.querySelector('td[data-field="price"]');
      return td.dataset.price && before[tr.dataset.gpu] && before[tr.dataset.gpu] !== "…" && td.textContent !== before[tr.dataset.gpu];
    }), before, { timeout: 60000 });
    report.changeAfterMs = Date.now() - t0;
    report.highlighted = await page.$$eval("td.changed", (els) => els.length);
    await page.fill("#gpu-filter", "H100");
    report.visible = await page.$$eval("tr[data-gpu]", (trs) => trs.filter((t) => !t.hidden).map((t) => t.dataset.gpu));
    report.updates = Number(await page.textContent("#updates"));
    report.ws = ws;
    report.ok = errors.length === 0 && ws.endsWith("/ws/providers/") && report.highlighted > 0 &&
      report.visible.length > 0 && report.visible.every((g) => g.includes("h100"));
  } catch (e) {
    report.error = String(e);
  }
  await browser.close();
  console.log(JSON.stringify(report));
  process.exit(report.ok ? 0 : 1);
})();
