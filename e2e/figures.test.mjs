// The figures in a real browser (issue 14): the 12345 rates with 未联系上
// beside 满意率, each other flow with its own figures, a figure's cases
// listed page by page, and the list's Excel export holding them all.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, adminPassword, screenshot } from "./harness.mjs";
import { sheetRows } from "./xlsx.mjs";

let server, browser, page;
const errors = [];
before(async () => {
  server = await startServer();
  browser = await launch();
  page = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await login(page, server.url, "admin", adminPassword);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// cards reads the figure cards: id → [numerator, denominator].
async function cards() {
  return page.locator(".rate-cards .card").evaluateAll((els) =>
    Object.fromEntries(els.map((e) => [e.dataset.figure, [e.dataset.num, e.dataset.den]])));
}

test("the 12345 rates show 未联系上 beside 满意率, not inside it", async () => {
  await page.goto(server.url + "/stats?unit=350722000000");
  const c = await cards();
  assert.deepEqual(Object.keys(c), ["response", "signing", "resolution", "first_resolved", "satisfaction",
    "on_time", "overdue", "extension", "reopen", "on_spot"]);
  const sat = page.locator('.rate-cards .card[data-figure="satisfaction"]');
  assert.match(await sat.getAttribute("title"), /未联系上的回访不计入，另列/);
  assert.match(await sat.innerText(), /回访未联系上/);
  assert.equal(await page.locator("table.rates thead th", { hasText: "回访未联系上" }).count(), 1);
  await screenshot(page, "figures-1-hotline");
});

test("each flow shows its own figures, each linked to its cases", async () => {
  await page.goto(server.url + "/stats?unit=350722000000");
  await page.locator("select[name=flow]").selectOption("whistle");
  await Promise.all([page.waitForURL(/flow=whistle/), page.getByRole("button", { name: "查询" }).click()]);
  let c = await cards();
  assert.deepEqual(Object.keys(c), ["report_in", "accepted"]);
  assert.match(await page.locator("main").innerText(), /报到及时率/);
  assert.doesNotMatch(await page.locator(".rate-cards").innerText(), /响应率|回访未联系上/);
  await screenshot(page, "figures-2-whistle");
  // The denominator of 报到及时率 lists the summoned parties, one row each
  // with its unit, as many as the card says.
  const den = Number(c.report_in[1]);
  await Promise.all([page.waitForURL(/count=parts_summoned/),
    page.locator('.rate-cards .card[data-figure="report_in"] a[title="查看分母的工单"]').click()]);
  assert.equal(Number(await page.locator("[data-total]").getAttribute("data-total")), den);
  assert.equal(await page.locator("table.dense tbody tr td a[href^='/cases/']").count(), den);
  assert.equal(await page.locator("table.dense thead th", { hasText: "单位" }).count(), 1);

  for (const [flow, want] of [["grid_event", ["checked", "on_time", "overdue", "on_spot"]],
    ["township_call", ["signing", "answered_on_time", "overdue", "rated", "rated_resolved"]]]) {
    await page.goto(server.url + "/stats?unit=350722000000&flow=" + flow);
    c = await cards();
    assert.deepEqual(Object.keys(c), want, flow);
  }
});

test("a figure's cases are paged, and the export holds every one", async () => {
  // The whole demo year of 12345 cases: more than one page.
  await page.goto(server.url + "/stats/cases?unit=350722000000&flow=hotline&from=2025-12-01&to=2026-12-31&count=cases");
  const total = Number(await page.locator("[data-total]").getAttribute("data-total"));
  assert.ok(total > 200, `the demo has ${total} 12345 cases: one page would do`);
  const rows = page.locator("table.dense tbody tr td a[href^='/cases/']");
  assert.equal(await rows.count(), 200);
  const first = await rows.evaluateAll((as) => as.map((a) => a.textContent.trim()));
  await Promise.all([page.waitForURL(/after=/), page.locator("a[rel=next]").click()]);
  const second = await rows.evaluateAll((as) => as.map((a) => a.textContent.trim()));
  assert.equal(first.length + second.length, total);
  assert.equal(new Set([...first, ...second]).size, total, "no case on two pages");
  assert.equal(await page.locator("a[rel=next]").count(), 0);
  await screenshot(page, "figures-3-cases-page-2");
  const href = await page.locator("a[href^='/stats/cases/export.xlsx']").getAttribute("href");
  const res = await page.request.get(server.url + href);
  assert.equal(res.status(), 200);
  assert.match(res.headers()["content-type"], /spreadsheetml/);
  const sheet = sheetRows(await res.body());
  const nos = sheet.filter((r) => /^350722-\d{8}-\d+$/.test(r[0])).map((r) => r[0]);
  assert.equal(nos.length, total, "the export holds every case, not one page");
  assert.deepEqual(new Set(nos), new Set([...first, ...second]));
});

test("no console errors on the figures pages", () => {
  assert.deepEqual(errors, []);
});
