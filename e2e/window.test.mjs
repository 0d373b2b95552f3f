// The service window in a real browser (issue 21): the front desk accepts,
// the back office of the office the item names takes it from its own queue
// and approves it with a result document, the delivery window of the
// accepting centre hands it over (window and clerk recorded); and an
// application from a resident of another township is forwarded to that
// township and delivered back where it was accepted. No console errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, demoPassword, screenshot } from "./harness.mjs";

let server, browser;
const pages = {};
const errors = [];

async function as(user) {
  if (pages[user]) return pages[user];
  const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${user}: ${m.text()} @ ${m.location().url}`); });
  page.on("pageerror", (e) => errors.push(`${user}: uncaught ${e.message}`));
  await login(page, server.url, user, demoPassword(server.demoUsers(), user));
  pages[user] = page;
  return page;
}

before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const item = "JF00503000"; // 临时救助: 社会事务办公室, nearby and city-wide
const pdf = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");

// accept fills the desk form for the item and returns the receipt's number.
async function accept(page, name, phone, residence) {
  await page.goto(server.url + "/service/items/" + item);
  await page.getByLabel("申请人姓名").fill(name);
  await page.getByLabel("联系电话").fill(phone);
  if (residence) await page.locator("#residence").selectOption(residence);
  for (const box of await page.locator("input[name=material]").all()) await box.check();
  await Promise.all([page.waitForURL(/\/receipt$/), page.getByRole("button", { name: "材料齐全，受理" }).click()]);
  return (await page.locator(".svc-receipt-no").innerText()).trim();
}

async function handle(page, no, answer) {
  await page.goto(server.url + "/service/queue");
  await page.getByRole("link", { name: no }).click();
  await page.waitForURL(new RegExp("/service/applications/" + no));
  await Promise.all([page.waitForURL(/done=sign/), page.getByRole("button", { name: "签收办理" }).click()]);
  await page.locator("#approve-note").fill(answer);
  await page.locator("#approve-files").setInputFiles({ name: "决定书.pdf", mimeType: "application/pdf", buffer: pdf });
  await Promise.all([page.waitForURL(/done=approve/), page.getByRole("button", { name: "准予办理" }).click()]);
}

async function deliver(page, no) {
  await page.goto(server.url + "/service/applications/" + no);
  await page.locator("#deliver-method").selectOption("window");
  await Promise.all([page.waitForURL(/done=deliver/), page.getByRole("button", { name: "出件", exact: true }).click()]);
  return (await page.locator(".svc-delivered-by").innerText()).trim();
}

test("front desk → back office → delivery window", async () => {
  const front = await as("demo_front");
  await front.goto(server.url + "/service/items/" + item);
  // 核对材料 is readable: not white text on a transparent button.
  const colour = await front.getByRole("button", { name: "核对材料" }).evaluate((b) => getComputedStyle(b).color);
  assert.notEqual(colour, "rgb(255, 255, 255)");
  const no = await accept(front, "王大妈", "13900001111");
  assert.match(await front.locator(".svc-handling").innerText(), /南浦街道 社会事务办公室/);

  // The front desk does not handle it.
  await front.goto(server.url + "/service/applications/" + no);
  assert.equal(await front.getByRole("button", { name: "签收办理" }).count(), 0, "the front desk does not sign");

  const back = await as("demo_back");
  await handle(back, no, "准予临时救助800元");
  assert.equal(await back.getByRole("button", { name: "出件", exact: true }).count(), 0, "the back office does not deliver");

  const out = await as("demo_delivery");
  const by = await deliver(out, no);
  assert.match(by, /统一出件窗口/);
  assert.match(by, /演示出件员/);
  await screenshot(out, "window-delivered");

  // The resident downloads the result document on the tracking page.
  const anon = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await anon.goto(server.url + "/portal/service/track?no=" + no);
  await anon.locator("#last4").fill("1111");
  await anon.getByRole("button", { name: /查询/ }).click();
  const [download] = await Promise.all([anon.waitForEvent("download"), anon.getByRole("button", { name: /下载办理结果/ }).click()]);
  assert.equal(download.suggestedFilename(), "决定书.pdf");
});

test("forwarded to the responsible township and delivered back", async () => {
  const front = await as("demo_front");
  const no = await accept(front, "李大姐", "13900002222", "350722101201");
  assert.match(await front.locator(".svc-handling").innerText(), /富岭镇/);

  const fuling = await as("demo_fuling");
  await handle(fuling, no, "准予临时救助500元");
  await fuling.goto(server.url + "/service/applications/" + no);
  assert.match(await fuling.locator(".svc-reach").innerText(), /同城通办/);
  assert.match(await fuling.locator(".svc-reach").innerText(), /已转责任乡镇/);
  assert.match(await fuling.locator(".svc-pickup").innerText(), /南浦街道/);

  const out = await as("demo_delivery");
  assert.match(await deliver(out, no), /演示出件员/);
  assert.match(await out.locator(".svc-status").innerText(), /已出件/);
  await screenshot(out, "window-forwarded-delivered");
});

test("no console errors", () => {
  assert.deepEqual(errors, []);
});
