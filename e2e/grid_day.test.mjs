// A grid worker's day on a 360×740 phone (issue 18): the home page shows
// what waits now with counts that are right, the grid's cases, the report
// form and the grid page (leaders, party members, contact groups) all fit
// the screen with no horizontal scroll; a contact group is recorded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, screenshot } from "./harness.mjs";

let server, browser;
const accounts = {};

before(async () => {
  server = await startServer();
  browser = await launch();
  for (const line of server.demoUsers().split("\n")) {
    const m = line.match(/^\s+(demo_\w+)\s+(\w+)\s+(\S+)\s+(\S+)\s+(.+?)\s*$/);
    if (m && m[1] !== "username") accounts[m[1]] = { role: m[2], password: m[3], unitCode: m[4], unitName: m[5] };
  }
  assert.ok(accounts.demo_grid, `demo_grid is in the demo users' file:\n${server.demoUsers()}`);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function phone() {
  return browser.newContext({
    viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    locale: "zh-CN", permissions: ["geolocation"], geolocation: { longitude: 118.54, latitude: 27.92 },
  });
}

// fits asserts the page scrolls only vertically at 360 px.
async function fits(page, what) {
  const { sw, cw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  assert.ok(sw <= cw, `${what}: scrollWidth ${sw} > clientWidth ${cw} at 360 px`);
}

test("grid worker's day at 360×740", async () => {
  const ctx = await phone();
  const page = await ctx.newPage();
  await login(page, server.url, "demo_grid", accounts.demo_grid.password);
  const grid = accounts.demo_grid.unitCode;

  await page.goto(server.url + "/m");
  await fits(page, "/m");
  for (const k of ["in_grid", "to_check", "summons", "owed"]) {
    assert.ok(await page.locator(`[data-count="${k}"]`).isVisible(), `home shows the ${k} count`);
  }
  // Each count is the length of its list (never a card of zeros over work).
  for (const [k, id] of [["in_grid", "ingrid"], ["to_check", "tocheck"], ["summons", "summons"], ["owed", "owed"]]) {
    const n = Number(await page.locator(`[data-count="${k}"] .n`).innerText());
    const rows = await page.locator(`#${id} + ul.m-list > li`).count();
    assert.equal(n, rows, `${k}: the count ${n} matches the ${rows} rows listed`);
  }
  await screenshot(page, "grid-day-home-360");

  await page.getByRole("link", { name: "我网格的工单" }).click();
  await page.waitForURL(/\/m\/cases/);
  await fits(page, "/m/cases");
  assert.ok(await page.locator("#m-cases > li").count() > 0, "the grid's cases are listed");
  await page.locator("#mc-bucket").selectOption("closed");
  await Promise.all([page.waitForURL(/bucket=closed/), page.getByRole("button", { name: "筛选" }).click()]);
  await fits(page, "/m/cases?bucket=closed");

  // A new event reported from patrol enters today's ledger.
  await page.goto(server.url + "/m/report");
  await fits(page, "/m/report");
  await page.getByLabel("占道经营").check();
  await page.getByLabel("情况说明").fill("网格日巡查：路口流动摊贩占道");
  await Promise.all([page.waitForURL(/\/m\?done=report/), page.getByRole("button", { name: "上报", exact: true }).click()]);
  const no = (await page.locator(".flash").innerText()).match(/\d{6}-\d{8}-\d{3,}/)[0];
  await page.getByRole("link", { name: "今日工作台账" }).click();
  await page.waitForURL(/\/ledger/);
  await fits(page, "the day's ledger");
  assert.match(await page.locator(".ledger-table").innerText(), new RegExp(no), "the day's ledger lists the event just reported");
  assert.ok(Number(await page.locator('[data-count="collected"]').innerText()) >= 1);
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("form.filters").isVisible(), false, "the printed ledger hides its filters");
  await page.pdf?.({ format: "A4" }).catch(() => {});
  await page.emulateMedia({ media: "screen" });
  const xlsx = await page.request.get(page.url().replace("/ledger?", "/ledger.xlsx?").replace(/\/ledger$/, "/ledger.xlsx"));
  assert.equal(xlsx.status(), 200);
  assert.match(xlsx.headers()["content-type"], /spreadsheetml/);
  await screenshot(page, "grid-day-ledger-360");

  await page.goto(server.url + "/grids/" + grid);
  await fits(page, "/grids/" + grid);
  await page.locator(".case-map.map-drawn").waitFor();
  assert.ok(Number(await page.locator('[data-count="leaders"]').innerText()) > 0, "the grid page counts its leaders");
  assert.match(await page.locator("#buildings").innerText(), /楼栋长|街巷长/);
  assert.match(await page.locator("#party").innerText(), /党支部/);
  await page.locator("#cg-kind").selectOption("owners");
  await page.locator("#cg-name").fill("1号楼业主群");
  await page.locator("#cg-platform").fill("微信群");
  await page.locator("#cg-runby").fill("王某某");
  await page.locator("#cg-members").fill("86");
  await Promise.all([page.waitForURL(/saved=1/), page.locator("#groups form button[type=submit]").last().click()]);
  assert.match(await page.locator("#groups").innerText(), /1号楼业主群/);
  assert.equal(await page.locator('[data-count="groups"]').innerText(), "1");
  await fits(page, "/grids/" + grid + " after recording a group");
  await screenshot(page, "grid-day-grid-360");
  await ctx.close();
});
