// The county cockpit in a real browser: the county's cockpit with a drawn
// map and charts, drilled to a township, a community and a grid with the
// same panels; a number clicked through to the cases behind it; big-screen
// mode that refreshes a panel without reloading the page; a phone's single
// column; and the monthly report the scheduler wrote, opened as a workbook.
// Every page logs no console error (the strict CSP included).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, demoPassword, screenshot } from "./harness.mjs";
import { readZip, sheetRows } from "./xlsx.mjs";

let server, browser, ctx, page;
const errors = [];
before(async () => {
  server = await startServer();
  browser = await launch();
  ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1600, height: 1000 } });
  page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${m.text()} @ ${m.location().url}`); });
  page.on("pageerror", (e) => errors.push("uncaught: " + e.message));
  await login(page, server.url, "demo_admin", demoPassword(server.demoUsers(), "demo_admin"));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// panelsDrawn checks the four panels are there, the map drew and the trend
// chart has a canvas.
async function panelsDrawn(p, what) {
  for (const id of ["#cp-hotline", "#cp-map", "#cp-overdue", "#cp-pillars"]) {
    assert.ok(await p.locator(id).isVisible(), `${what}: ${id} is shown`);
  }
  await p.locator("#cp-map .cp-mapbox.map-drawn").waitFor({ timeout: 10000 });
  await p.locator("#cp-hotline .cp-chart canvas").first().waitFor({ timeout: 10000 });
  const drawn = await p.locator("#cp-map .leaflet-overlay-pane path").count();
  assert.ok(drawn > 0, `${what}: the map draws outlines (${drawn})`);
}

test("the county's cockpit: panels, map, charts, every pillar with its numbers", async () => {
  await page.goto(server.url + "/cockpit");
  assert.match(await page.locator("h1").innerText(), /浦城县/);
  await panelsDrawn(page, "county");
  const three = page.locator(".cp-three .cp-rate");
  assert.equal(await three.count(), 3);
  assert.match(await three.first().innerText(), /响应率/);
  assert.ok(await page.locator(".cp-rank tbody tr").count() > 1, "townships ranked");
  // The civility records and the pairing ledger have their panels, as
  // aggregates of the demo's records (no person named).
  for (const key of ["cockpit.pillar.civility", "cockpit.pillar.pairing"]) {
    const p = page.locator(`[data-pillar="${key}"]`);
    assert.doesNotMatch(await p.innerText(), /尚未上线/);
    assert.ok(await p.locator(".card").count() > 0, key + " shows its numbers");
  }
  assert.match(await page.locator('[data-pillar="cockpit.pillar.pairing"]').innerText(), /结对干部/);
  assert.ok(await page.locator('[data-pillar="cockpit.pillar.party"] .card').count() > 0, "dual registration has numbers");
});

test("a number opens the cases behind it, with its definition", async () => {
  await page.goto(server.url + "/cockpit");
  const link = page.locator("#cp-hotline .cp-list a").first();
  const want = Number((await link.locator("b").innerText()).trim());
  await link.click();
  await page.waitForURL(/\/cockpit\/cases\?/);
  const n = Number(await page.locator(".cp-count").getAttribute("data-count"));
  assert.equal(n, want, "the list has as many cases as the number");
  assert.ok((await page.locator(".cp-def").innerText()).length > 10, "the definition is shown");
  assert.equal(await page.locator("main tbody tr a[href^='/cases/']").count(), Math.min(n, 2000));
  // And a rate's numerator opens /stats/cases.
  await page.goto(server.url + "/cockpit");
  await page.locator(".cp-three .cp-rate small a").nth(1).click();
  await page.waitForURL(/\/stats\/cases\?/);
  assert.match(await page.locator("h1").innerText(), /统计/);
});

test("drill-down: township, community, grid keep the same panels", async () => {
  await page.goto(server.url + "/cockpit");
  await page.locator(".cp-rank tbody tr a").first().click();
  await page.waitForURL(/\/cockpit\?unit=/);
  const township = await page.locator("h1").innerText();
  await panelsDrawn(page, "township");
  // The township's drill list names its communities; pick one with grids.
  let found = false;
  for (const code of await page.locator("select[name=unit] option").evaluateAll((os) => os.map((o) => o.value))) {
    await page.goto(server.url + "/cockpit?unit=" + code);
    const grids = await page.locator("select[name=unit] option").evaluateAll((os) => os.map((o) => o.value));
    if (grids.length === 0) continue;
    await page.selectOption("select[name=unit]", grids[0]);
    await page.waitForURL(new RegExp("unit=" + grids[0]));
    found = true;
    break;
  }
  assert.ok(found, "a community of " + township + " has grids");
  assert.ok(await page.locator("a[href^='/grids/']").count() > 0, "the grid's cockpit links its grid page");
  for (const id of ["#cp-hotline", "#cp-map", "#cp-overdue", "#cp-pillars"]) assert.ok(await page.locator(id).isVisible());
  await page.locator("#cp-map .cp-mapbox.map-drawn").waitFor({ timeout: 10000 });
});

test("big screen scales 1920×1080 to the window and refreshes without reload", async () => {
  await page.goto(server.url + "/cockpit?screen=1");
  await panelsDrawn(page, "big screen");
  const box = page.locator("[data-screen]");
  const t = await box.evaluate((el) => el.style.transform);
  assert.match(t, /^scale\(0\.8\d*\)$/, "scaled to a 1600×1000 window: " + t);
  await page.evaluate(() => { window.__stay = 1; });
  const refreshed = page.waitForResponse((r) => r.url().includes("/cockpit/panels/") && r.status() === 200, { timeout: 15000 });
  // The panels refresh on htmx's "every Ns" trigger; ask for one refresh
  // now, as the timer does (same URL, same swap).
  assert.match(await page.locator("#cp-overdue").getAttribute("hx-trigger"), /^every \d+s$/);
  await page.evaluate(() => window.htmx.ajax("GET", document.querySelector("#cp-overdue").getAttribute("hx-get"), { target: "#cp-overdue", swap: "innerHTML" }));
  await refreshed;
  await page.locator("#cp-overdue .card").first().waitFor();
  assert.equal(await page.evaluate(() => window.__stay), 1, "the page was not reloaded");
  await screenshot(page, "cockpit-screen");
});

test("the map's switcher redraws the map panel", async () => {
  await page.goto(server.url + "/cockpit");
  await panelsDrawn(page, "before switching");
  const done = page.waitForResponse((r) => r.url().includes("/cockpit/panels/map") && r.url().includes("state=open"));
  await page.selectOption("#cp-map-form select[name=state]", "open");
  await done;
  await page.locator("#cp-map .cp-mapbox.map-drawn").waitFor({ timeout: 10000 });
  assert.equal(await page.locator("#cp-map-form select[name=state]").inputValue(), "open");
});

test("on a phone the cockpit is one column", async () => {
  const phone = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 }, storageState: await ctx.storageState() });
  const p = await phone.newPage();
  p.on("console", (m) => { if (m.type() === "error") errors.push(`phone: ${m.text()}`); });
  await p.goto(server.url + "/cockpit");
  await p.locator("#cp-map .cp-mapbox.map-drawn").waitFor({ timeout: 10000 });
  const [a, b] = await Promise.all(["#cp-hotline", "#cp-map"].map((s) => p.locator(s).boundingBox()));
  assert.ok(b.y >= a.y + a.height - 1, "the map comes below the 12345 panel");
  assert.ok(a.width <= 390, "no wider than the phone");
  await phone.close();
});

test("the scheduler's monthly report: listed, printable, opens as a workbook", async () => {
  let rows = 0;
  for (let i = 0; i < 60 && rows === 0; i++) {
    await page.goto(server.url + "/cockpit/reports");
    rows = await page.locator(".cp-reports tbody a[href$='export.xlsx']").count();
    if (rows === 0) await page.waitForTimeout(500);
  }
  assert.ok(rows > 1, "the county's and the townships' reports are listed");
  await page.locator(".cp-reports tbody a", { hasText: "打印页" }).first().click();
  await page.waitForURL(/\/cockpit\/reports\/\d+$/);
  assert.match(await page.locator("h1").innerText(), /月报/);
  await page.locator(".cp-chart canvas").first().waitFor({ timeout: 10000 });
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator(".sidenav").isVisible(), false, "the print stylesheet hides the navigation");
  await page.emulateMedia({ media: "screen" });
  const href = await page.locator("a[href$='export.xlsx']").first().getAttribute("href");
  const res = await page.request.get(server.url + href);
  assert.equal(res.status(), 200);
  assert.match(res.headers()["content-type"], /spreadsheetml/);
  const parts = readZip(await res.body());
  const sheets = [...parts.keys()].filter((k) => /^xl\/worksheets\/sheet\d+\.xml$/.test(k));
  assert.ok(sheets.length >= 5, "figures, trend, rankings, intake and pillars: " + sheets.join(","));
  const sheet = sheetRows(await res.body());
  assert.match(sheet[0].join(" "), /月报/, "the title line names the report");
  assert.ok(sheet.some((r) => r[0] === "响应率" && r[2].includes("/")), "响应率 with its numerator and denominator");
});

test("no console errors on any cockpit page", () => {
  assert.deepEqual(errors, []);
});
