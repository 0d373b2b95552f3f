// Enforcement and the lists in a real browser (issue 21): a street's team
// files an enforcement case naming its matter, is refused the penalty
// decision because the empowerment list does not grant that matter to its
// township type, sees the refusal in the interception log and transfers
// the case to the county department; a county department hands a township
// work through the hand-down form (matter, place, time limit, basis) — a
// matter the access list admits goes to the township, one it does not is
// refused and logged; and the register of responsibility letters shows
// what is left per department.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, demoPassword, screenshot } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// signedIn opens a page as a demo user, collecting console errors. A
// refused form answers 403 or 400 by design; the browser logs that status
// as a failed resource, which alone is not an error of the page.
async function signedIn(user) {
  const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of (403|400)/.test(m.text())) errors.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on("pageerror", (e) => errors.push("uncaught: " + e.message));
  await login(page, server.url, user, demoPassword(server.demoUsers(), user));
  return { ctx, page, errors };
}

async function act(page, name) {
  const panel = page.locator(`details.action:has(form[action$="/actions/${name}"])`);
  if ((await panel.getAttribute("open")) === null) await panel.locator("summary").click();
  return panel.locator("form");
}

test("a street refused a penalty decision it is not empowered for transfers the case", async () => {
  const { ctx, page, errors } = await signedIn("demo_township");
  await page.goto(server.url + "/enforcement/new");
  await page.locator("#f-matter").selectOption("CF00209000");
  await page.locator("#f-title").fill("沿街商铺擅自设置户外广告牌");
  await page.locator("#f-place").selectOption("350722001000");
  await Promise.all([page.waitForURL(/\/cases\/350722-\d{8}-\d{5}/), page.locator("form.case-new button[type=submit]").click()]);
  const no = page.url().match(/\/cases\/([0-9-]+)/)[1];
  assert.match(await page.locator(".case-matter").innerText(), /户外广告/);

  let form = await act(page, "decide");
  await form.locator("[name=field_decision_no]").fill("南浦执罚〔2026〕1号");
  await form.locator("[name=note]").fill("罚款五千元");
  await form.locator("button[type=submit]").click();
  await page.waitForLoadState();
  const alert = await page.locator("[role=alert]").first().innerText();
  assert.match(alert, /赋权清单/);
  assert.match(alert, /南浦街道/);
  assert.match(alert, /移送县城市管理和综合执法局/);
  await screenshot(page, "enforcement-decision-refused");

  // The refusal is in the interception log, by kind.
  const log = await ctx.newPage();
  await log.goto(server.url + "/lists/attempts");
  const row = log.locator("tr", { hasText: no }).first();
  assert.match(await row.innerText(), /作出决定/);
  assert.match(await row.innerText(), /拦截/);
  await log.close();

  await page.goto(server.url + "/cases/" + no);
  form = await act(page, "transfer");
  await form.locator("[name=unit]").fill("350722D003");
  await form.locator("[name=field_basis]").fill("《城市市容和环境卫生管理条例》第三十六条");
  await form.locator("[name=note]").fill("未获该事项处罚决定权，依法移送");
  await form.locator("input[type=file]").setInputFiles({ name: "现场照片.png", mimeType: "image/png",
    buffer: Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64") });
  await Promise.all([page.waitForURL(/done=transfer/), form.locator("button[type=submit]").click()]);
  assert.match(await page.locator("main").innerText(), /移送中/);
  assert.deepEqual(errors, []);
  await ctx.close();
});

test("a county department hands a township work through the hand-down form", async () => {
  const { ctx, page, errors } = await signedIn("demo_department");
  await page.goto(server.url + "/cases/new?flow=county_task");
  assert.match(await page.locator("h1").innerText(), /交办/);
  assert.equal(await page.locator("[name=reporter_name]").count(), 0, "no requester on a hand-down");
  const fill = async (matter, title) => {
    await page.locator("#f-matter").selectOption(matter);
    await page.locator("#f-place").selectOption("350722001000");
    await page.locator("#f-limit").fill("5");
    await page.locator("#f-basis").fill("《城市市容和环境卫生管理条例》");
    await page.locator("#f-title").fill(title);
  };
  // Not on the department's access list: refused and logged.
  await fill("CF00209000", "代为拆除违规广告牌");
  await page.locator("form.case-new button[type=submit]").click();
  await page.waitForLoadState();
  assert.match(await page.locator("[role=alert]").first().innerText(), /职责准入清单/);

  await fill("CF00202000", "沿街乱堆乱放集中整治");
  await Promise.all([page.waitForURL(/\/cases\/350722-\d{8}-\d{5}/), page.locator("form.case-new button[type=submit]").click()]);
  const main = await page.locator("main").innerText();
  assert.match(main, /南浦街道/);
  assert.match(main, /等待|已派|签收/);
  assert.match(await page.locator(".case-matter").innerText(), /CF00202000/);
  await screenshot(page, "county-task-handed-down");

  await page.goto(server.url + "/lists/attempts");
  const refused = page.locator("tr", { hasText: "代为拆除违规广告牌" }).first();
  assert.match(await refused.innerText(), /未编号/);
  assert.doesNotMatch(await refused.innerText(), /350722-\d{8}/);

  await page.goto(server.url + "/lists/duties");
  assert.match(await page.locator("main").innerText(), /各部门剩余情况/);
  assert.deepEqual(errors, []);
  await ctx.close();
});
