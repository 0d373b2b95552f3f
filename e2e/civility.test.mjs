// Civic behaviour records and civility points in a real browser (issue 16,
// "Done when"): a grid worker records an uncivil act with evidence; the
// same reviewer cannot approve it twice, two different reviewers do; it
// cannot take effect inside the appeal window; the resident reads the
// notice on the portal with the points card and PIN and appeals; a
// reviewer of the entry cannot decide the appeal, a third person revises
// it to a lesser item chosen on the case page; then a villager's verified
// volunteer hours are counted as points and redeemed at the village's
// points store (村级积分超市), and a redemption beyond the balance is
// refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, demoPassword, screenshot } from "./harness.mjs";

const card = "JF0000000001";
const pin = "123456";
const resident = "王某甲（演示居民）";
// The first villager of 解放村 (南浦街道), with the demo's village card.
const villageCard = "JF0000000002";
const villager = "黄某甲";

let server, browser;
const errors = [];
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// as opens a page signed in as a demo user, collecting console errors.
async function as(username) {
  const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  watch(page);
  if (username) await login(page, server.url, username, demoPassword(server.demoUsers(), username));
  return page;
}

// The refusals this test provokes answer 400, 403 or 409 with their page,
// which the browser logs as a failed resource; anything else is an error.
const refusal = /Failed to load resource: the server responded with a status of (400|403|409)/;

function watch(page) {
  page.on("console", (m) => { if (m.type() === "error" && !refusal.test(m.text())) errors.push(`${m.text()} @ ${m.location().url}`); });
  page.on("pageerror", (e) => errors.push("uncaught: " + e.message));
}

let entryURL, appealNo;

test("a grid worker records an uncivil act with evidence", async () => {
  const page = await as("demo_grid");
  await page.goto(server.url + "/civility?q=" + encodeURIComponent("王某甲"));
  const form = page.locator("#civility-record");
  const person = await form.locator("#person option", { hasText: resident }).first().getAttribute("value");
  await form.locator("#person").selectOption(person);
  await form.locator("#item").selectOption("N-PARK");
  await form.locator("#source").selectOption("patrol");
  await form.locator("#place").fill("仙楼社区3号楼消防通道");
  await form.locator("#evidence").fill("巡查照片两张，含车牌与位置：小型汽车停放在3号楼消防通道内");
  await Promise.all([page.waitForURL(/\/civility\/entries\/\d+/), form.getByRole("button", { name: "登记" }).click()]);
  entryURL = page.url().replace(/\?.*$/, "");
  assert.equal(await page.locator("#civility-entry").getAttribute("data-status"), "recorded");
  assert.match(await page.locator("main").innerText(), /《南平市文明行为促进条例》/);
  await page.context().close();
});

test("two different reviewers approve it; the same one twice is refused", async () => {
  const first = await as("demo_community");
  await first.goto(entryURL);
  await first.locator("#review-form #note").fill("照片清楚，属实");
  await Promise.all([first.waitForURL(/done=reviewed/), first.getByRole("button", { name: "审核通过" }).click()]);
  assert.equal(await first.locator("#civility-entry").getAttribute("data-status"), "reviewed");
  await first.getByRole("button", { name: "审核通过" }).click();
  assert.match(await first.locator("[role=alert]").innerText(), /同一人不能两次审核/);
  assert.equal(await first.locator("#civility-entry").getAttribute("data-status"), "reviewed");
  await first.context().close();

  const second = await as("demo_township");
  await second.goto(entryURL);
  await Promise.all([second.waitForURL(/done=reviewed/), second.getByRole("button", { name: "审核通过" }).click()]);
  assert.equal(await second.locator("#civility-entry").getAttribute("data-status"), "noticed");
  // Inside the appeal window it cannot take effect.
  await second.getByRole("button", { name: "申诉期满，记录生效" }).click();
  assert.match(await second.locator("[role=alert]").innerText(), /申诉期内记录不生效/);
  await second.goto(entryURL + "/notice");
  assert.match(await second.locator("#civility-notice").innerText(), /文明行为记录告知书[\s\S]*申诉/);
  await screenshot(second, "civility-notice");
  await second.context().close();
});

test("the resident reads the notice on the portal and appeals", async () => {
  const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await ctx.newPage();
  watch(page);
  await page.goto(server.url + "/portal/civility");
  await page.locator("#card").fill(card);
  await page.locator("#pin").fill(pin);
  await page.getByRole("button", { name: "查看我的积分" }).click();
  const entry = page.locator(".portal-entry[data-status=noticed]");
  await entry.waitFor();
  assert.match(await entry.innerText(), /告知书 WM\d{8}-\d+/);
  await entry.locator("textarea").fill("当时只是临时停车卸货约五分钟，人在车旁，随即驶离，可调取小区监控核实。");
  await entry.locator("input[type=password]").fill(pin);
  await entry.getByRole("button", { name: "提出申诉" }).click();
  await page.locator("#appeal-done").waitFor();
  const appealed = page.locator(".portal-entry[data-status=appealed]");
  appealNo = (await appealed.innerText()).match(/申诉 (\S+)/)[1];
  assert.ok(appealNo, "appeal case number shown");
  await screenshot(page, "civility-portal-appeal");
  await ctx.close();
});

async function decide(page, action, note, item) {
  await page.goto(server.url + "/cases/" + appealNo);
  const form = page.locator(`form[action$="/actions/${action}"]`);
  const panel = page.locator(`details:has(form[action$="/actions/${action}"])`);
  if (!(await panel.evaluate((d) => d.open))) await panel.locator("summary").click();
  if (item) await form.locator("select[name=field_item]").selectOption(item);
  await form.locator("textarea[name=note]").fill(note);
  await form.locator("button[type=submit]").click();
  await page.waitForLoadState("domcontentloaded");
}

test("a reviewer of the entry cannot decide the appeal; a third person revises it to a lesser item", async () => {
  const reviewer = await as("demo_township");
  await decide(reviewer, "uphold", "维持原记录");
  assert.match(await reviewer.locator("main").innerText(), /审核人不能复核/);
  await reviewer.context().close();

  const third = await as("demo_reviewer");
  // The revise form offers the lighter negative items, never the entry's own.
  await third.goto(server.url + "/cases/" + appealNo);
  const offered = await third.locator(`form[action$="/actions/revise"] select[name=field_item] option`).evaluateAll((os) => os.map((o) => o.value));
  assert.ok(offered.includes("N-PARK-MINOR") && !offered.includes("N-PARK"), "offered: " + offered);
  await decide(third, "revise", "监控显示为临时停车卸货，未堵塞通道，变更为一般乱停放", "N-PARK-MINOR");
  await third.goto(entryURL);
  assert.equal(await third.locator("#civility-entry").getAttribute("data-status"), "noticed");
  const text = await third.locator("main").innerText();
  assert.match(text, /N-PARK-MINOR/);
  assert.match(text, /由“N-PARK [^”]+”变更为“N-PARK-MINOR/);
  await screenshot(third, "civility-revised");
  await third.context().close();
});

test("a villager's verified volunteer hours become points, redeemed at the village store", async () => {
  const page = await as("demo_township");
  await page.goto(server.url + "/civility?q=" + encodeURIComponent(villager));
  await page.locator("ul.people a", { hasText: villager }).first().click();
  await page.waitForURL(/\/civility\/people\/\d+/);
  await Promise.all([page.waitForURL(/done=collected/), page.locator("#served").getByRole("button", { name: "计入积分" }).first().click()]);

  // At the counter of 解放村's 村级积分超市 (the village service point).
  await page.goto(server.url + "/civility/counter");
  const lookup = page.locator("#card-lookup");
  const village = await lookup.locator("#store option", { hasText: "解放村积分超市" }).getAttribute("value");
  await lookup.locator("#store").selectOption(village);
  await lookup.locator("#card").fill(villageCard);
  await Promise.all([page.waitForURL(/card=/), lookup.getByRole("button").click()]);
  assert.match(await page.locator("#account").innerText(), /黄某甲[\s\S]*解放村/);
  assert.equal(await page.locator("#store").inputValue(), village);
  const balance = Number(await page.locator("#balance").innerText());
  assert.ok(balance >= 40, "two verified activities of two hours at 10 points an hour: " + balance);
  // Beyond the balance: refused, nothing written.
  const rice = page.locator("#goods tr", { hasText: "大米" });
  await rice.locator("input[name=quantity]").fill("5");
  await rice.getByRole("button", { name: "兑换" }).click();
  assert.match(await page.locator("[role=alert]").innerText(), /积分余额不足/);
  assert.equal(Number(await page.locator("#balance").innerText()), balance);
  const soap = page.locator("#goods tr", { hasText: "肥皂" });
  await soap.getByRole("button", { name: "兑换" }).click();
  assert.match(await page.locator("#redeemed").innerText(), new RegExp(`扣除10分，余额${balance - 10}分`));
  assert.match(await page.locator("#monthly").innerText(), /解放村积分超市（村便民服务点）/);
  await screenshot(page, "civility-counter");
  await page.context().close();
});

test("no console errors", () => {
  assert.deepEqual(errors, []);
});
