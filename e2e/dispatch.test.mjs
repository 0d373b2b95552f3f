// Smart dispatch in a real browser: the demo trains its model from its own
// cases at start; the call-taker types the resident's words, the three
// likeliest categories appear with their confidence and unit, Alt+1 takes
// the first (category and unit filled), and the case is dispatched there.
// The administrator sees the model and retrains it from /admin/dispatch.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, adminPassword, screenshot } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

function watch(page) {
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${m.text()} @ ${m.location().url}`); });
  page.on("pageerror", (e) => errors.push("uncaught: " + e.message));
  return errors;
}

test("the call-taker takes a suggestion with Alt+1 and the case goes to its unit", async () => {
  const page = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  const errors = watch(page);
  await login(page, server.url, "admin", adminPassword);
  // The demo's model is trained in the background at start.
  for (let i = 0; ; i++) {
    await page.goto(server.url + "/admin/dispatch");
    if (await page.locator("td .tag.in-hand").count()) break;
    assert.ok(i < 60, "the demo's dispatch model was not trained within a minute");
    await page.waitForTimeout(1000);
  }
  assert.match(await page.locator("table").innerText(), /demo/);

  await page.goto(server.url + "/cases/new");
  await page.getByLabel(/联系电话/).fill("13812345678");
  await page.getByLabel("诉求类型").selectOption("complaint");
  await page.getByLabel(/标题/).fill("小区门口路灯不亮");
  await page.getByLabel("诉求内容").click();
  await page.keyboard.type("仙楼路口的路灯连续三个晚上不亮，行人看不清路，请尽快维修。");
  const first = page.locator('#suggest [data-suggest="1"]');
  await first.waitFor({ timeout: 15000 });
  assert.equal(await page.locator("#suggest [data-suggest]").count(), 3, "three suggestions");
  const category = await first.getAttribute("data-category");
  const unit = await first.getAttribute("data-unit");
  assert.ok(category, "the first suggestion names a category");
  assert.match(await first.innerText(), /\d+%/);
  // One key press, while still in the description field.
  await page.keyboard.press("Alt+1");
  assert.equal(await page.locator("#f-category").inputValue(), category);
  assert.equal(await first.getAttribute("aria-pressed"), "true");
  if (unit) assert.equal(await page.locator("#f-dispatch").inputValue(), unit);
  else await page.locator("#f-dispatch").fill("350722001000");
  await page.getByLabel(/发生地单位/).fill("350722001000");
  await screenshot(page, "dispatch-suggestions");
  await Promise.all([page.waitForURL(/\/cases\/350722-\d{8}-\d+\?created=1/), page.getByRole("button", { name: "受理" }).click()]);
  const facts = await page.locator(".case-view, main").first().innerText();
  assert.match(facts, /已派单|已转交|dispatched/);
  assert.deepEqual(errors, [], "no console error");
  await page.context().close();
});

test("the administrator retrains from the models page", async () => {
  const page = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  const errors = watch(page);
  await login(page, server.url, "admin", adminPassword);
  await page.goto(server.url + "/admin/dispatch");
  const before = await page.locator("tbody tr").count();
  await Promise.all([page.waitForURL(/done=retrain/), page.getByRole("button", { name: "立即重新训练" }).click()]);
  assert.match(await page.locator(".flash").innerText(), /重新训练/);
  for (let i = 0; ; i++) {
    await page.goto(server.url + "/admin/dispatch");
    if ((await page.locator("tbody tr").count()) > before) break;
    assert.ok(i < 60, "the retrained model did not appear within a minute");
    await page.waitForTimeout(1000);
  }
  assert.match(await page.locator("tbody tr").first().innerText(), /admin/);
  assert.ok(await page.getByRole("button", { name: "恢复使用" }).count() >= 1, "the older model can be restored");
  assert.deepEqual(errors, [], "no console error");
  await page.context().close();
});
