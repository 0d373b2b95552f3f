// The 12345 hotline in a real browser: an operator takes a call and
// dispatches it to 南浦街道; the township clerk signs it and answers; the
// operator revisits (resolved, satisfied) and the case closes. Then a
// misrouted case is returned with a reason and dispatched again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, adminPassword, demoPassword, screenshot } from "./harness.mjs";

let server, browser;
// collectedBefore is what 南浦街道 had collected today from the demo cases.
let collectedBefore;
before(async () => {
  server = await startServer();
  browser = await launch();
  const page = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await login(page, server.url, "admin", adminPassword);
  await page.goto(server.url + "/daily?unit=350722001000");
  collectedBefore = Number((await page.locator(".cards .card .n").first().innerText()).trim());
  await page.context().close();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// takeCall fills the call-taker form and returns the new case's number.
async function takeCall(page, title) {
  await page.goto(server.url + "/cases/new");
  // The first field has the focus: the operator types straight away.
  await page.waitForFunction(() => document.activeElement && document.activeElement.name === "reporter_name", null, { timeout: 10000 });
  await page.keyboard.type("张先生");
  await page.getByLabel(/联系电话/).fill("13812345678");
  await page.getByLabel("诉求类型").selectOption("complaint");
  await page.getByLabel(/问题分类/).fill("B01001");
  await page.getByLabel(/标题/).fill(title);
  await page.getByLabel("诉求内容").fill("仙楼路口的路灯连续三个晚上不亮，行人看不清路。");
  await page.getByLabel(/^地址/).fill("南浦街道仙楼路1号");
  await page.getByLabel(/发生地单位/).fill("350722001000");
  await page.getByLabel(/立即派单给/).fill("350722001000");
  await Promise.all([page.waitForURL(/\/cases\/350722-\d{8}-\d+\?created=1/), page.getByRole("button", { name: "受理" }).click()]);
  const no = (await page.locator(".cv-no").innerText()).trim();
  assert.match(await page.locator(".flash").innerText(), new RegExp("工单编号 " + no));
  return no;
}

// act opens an action's form on the case page (if closed) and submits it
// after fill(form).
async function act(page, name, fill = async () => {}) {
  const form = page.locator(`form[action$="/actions/${name}"]`);
  const details = page.locator(`details:has(form[action$="/actions/${name}"])`);
  if (!(await details.evaluate((d) => d.open))) await details.locator("summary").click();
  await fill(form);
  await Promise.all([page.waitForURL(/\?done=/), form.locator("button[type=submit]").click()]);
}

test("operator, township clerk and revisit carry a 12345 case to closed", async () => {
  const out = server.demoUsers();
  const clerkPassword = demoPassword(out, "demo_township");
  assert.ok(clerkPassword, "demo_township's password is in the demo users' file:\n" + out);

  const opCtx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  const op = await opCtx.newPage();
  await login(op, server.url, "admin", adminPassword);
  const no = await takeCall(op, "仙楼路口路灯不亮");
  assert.match(await op.locator(".case-top").innerText(), /已派单/);
  await screenshot(op, "hotline-1-received");

  // The township clerk finds it among the cases to sign.
  const clerkCtx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  const clerk = await clerkCtx.newPage();
  await login(clerk, server.url, "demo_township", clerkPassword);
  await clerk.goto(server.url + "/");
  await clerk.getByRole("link", { name: /待签收/ }).first().click();
  await clerk.getByRole("link", { name: no }).click();
  await clerk.waitForURL(new RegExp("/cases/" + no));
  // Only the clerk's actions: no revisit, no dispatch.
  assert.equal(await clerk.locator('form[action$="/actions/revisit"]').count(), 0);
  await act(clerk, "sign");
  assert.match(await clerk.locator(".flash").innerText(), /签收/);
  assert.match(await clerk.locator(".case-top").innerText(), /办理中/);
  // 先行联系: the clerk calls the requester (the 响应率).
  await act(clerk, "contact", async (f) => {
    await f.locator('input[name=resolved][value="1"]').check();
    await f.locator("textarea[name=note]").fill("已电话联系诉求人，约定今日上门。");
  });
  assert.match(await clerk.locator(".timeline").innerText(), /先行联系/);
  await act(clerk, "answer", (f) => f.locator("textarea[name=note]").fill("已更换灯泡，路灯恢复照明。"));
  assert.match(await clerk.locator(".case-top").innerText(), /已答复/);
  await screenshot(clerk, "hotline-2-answered");

  // The operator revisits: resolved and satisfied; the case closes.
  await op.goto(server.url + "/cases?bucket=to_revisit");
  await op.getByRole("link", { name: no }).click();
  await act(op, "revisit", async (f) => {
    await f.locator('input[name=resolved][value="1"]').check();
    await f.locator("select[name=satisfaction]").selectOption("satisfied");
  });
  assert.match(await op.locator(".case-top").innerText(), /已办结/);
  const timeline = await op.locator(".timeline").innerText();
  for (const step of ["受理", "派单", "签收", "先行联系", "答复", "回访"]) assert.match(timeline, new RegExp(step));
  await screenshot(op, "hotline-3-closed");
  await op.setViewportSize({ width: 390, height: 844 });
  await screenshot(op, "hotline-3-closed-phone");
  await op.setViewportSize({ width: 1366, height: 900 });

  // The inbox finds it by number, by phone and by keyword (the top search
  // box posts, so a phone number is in no URL), and exports it.
  for (const q of [no, "138 1234 5678", "路灯"]) {
    await op.goto(server.url + "/cases");
    await op.locator("#q").fill(q);
    await Promise.all([op.waitForNavigation(), op.locator("#q").press("Enter")]);
    assert.ok(await op.getByRole("link", { name: no }).count() >= 1, "search " + q);
    if (q.includes(" ")) assert.ok(!op.url().includes("5678"), "the number is in the URL " + op.url());
  }
  await op.goto(server.url + "/cases?q=" + encodeURIComponent("路灯"));
  const [download] = await Promise.all([op.waitForEvent("download"), op.getByRole("link", { name: "导出Excel" }).click()]);
  assert.match(download.suggestedFilename(), /\.xlsx$/);
  await screenshot(op, "hotline-4-inbox");
  await op.setViewportSize({ width: 390, height: 844 });
  await screenshot(op, "hotline-4-inbox-phone");
  await opCtx.close();
  await clerkCtx.close();
});

test("a misrouted case is returned with a reason and dispatched again", async () => {
  const clerkPassword = demoPassword(server.demoUsers(), "demo_township");
  const op = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await login(op, server.url, "admin", adminPassword);
  const no = await takeCall(op, "城区主干道占道经营");

  const clerk = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await login(clerk, server.url, "demo_township", clerkPassword);
  await clerk.goto(server.url + "/cases/" + no);
  // A return without a reason is refused with the engine's message, on the page.
  const details = clerk.locator('details:has(form[action$="/actions/return"])');
  await details.locator("summary").click();
  await details.locator("textarea[name=note]").evaluate((t) => t.removeAttribute("required"));
  await details.locator("button[type=submit]").click();
  assert.match(await clerk.locator(".error-flash").innerText(), /需要填写说明/);
  await act(clerk, "return", (f) => f.locator("textarea[name=note]").fill("属县城管局职责，不属于本街道。"));
  assert.match(await clerk.locator(".case-top").innerText(), /已退回/);

  await op.goto(server.url + "/cases/" + no);
  assert.match(await op.locator("main").innerText(), /属县城管局职责/);
  await act(op, "dispatch", (f) => f.locator("input[name=unit]").fill("350722D003"));
  assert.match(await op.locator(".case-top").innerText(), /已派单/);
  assert.match(await op.locator("main").innerText(), /城市管理/);
  await screenshot(op, "hotline-5-redispatched");
});

test("home, daily feedback and rates pages", async () => {
  const page = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await login(page, server.url, "admin", adminPassword);
  await page.goto(server.url + "/");
  assert.ok(await page.locator(".home-cards .card").count() >= 5);
  await page.goto(server.url + "/daily?unit=350722001000");
  assert.match(await page.locator("main").innerText(), /当日收集/);
  // The two calls of the day were collected in 南浦街道 (besides the demo cases).
  assert.equal(Number((await page.locator(".cards .card .n").first().innerText()).trim()), collectedBefore + 2);
  await screenshot(page, "hotline-6-daily");
  await page.goto(server.url + "/stats?unit=350722000000");
  await page.locator(".chart canvas").first().waitFor({ timeout: 10000 });
  assert.match(await page.locator("main").innerText(), /响应率/);
  assert.match(await page.locator("main").innerText(), /签收及时率/);
  assert.match(await page.locator("main").innerText(), /一次解决率/);
  assert.equal(await page.locator("select[name=flow]").inputValue(), "hotline");
  await screenshot(page, "hotline-7-stats");
});
