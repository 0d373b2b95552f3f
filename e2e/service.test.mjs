// The universal service window in a real browser: a window application with
// a missing material (one-time notice), back with the full set (accepted,
// receipt), through the back office (supplement asked, given, approved) to
// delivery and review; one application fully online from a phone; one by
// proxy at a village service point; and the figures reflect all three.
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

const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
  "1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082", "hex");

async function checkMaterials(page, names) {
  for (const n of names) {
    await page.locator("label.choice", { hasText: n }).locator("input").check();
  }
}

// step submits the application page's form for action after fill(form).
async function step(page, action, fill = async () => {}) {
  const form = page.locator(`form[action$="/${action}"]`);
  const details = page.locator(`details:has(form[action$="/${action}"])`);
  if ((await details.count()) > 0 && !(await details.evaluate((d) => d.open))) await details.locator("summary").click();
  await fill(form);
  await Promise.all([page.waitForURL(new RegExp(`done=${action}`)), form.locator("button[type=submit]").click()]);
}

test("window, back office, delivery and review; online; proxy; figures", async () => {
  const out = server.demoUsers();
  const clerkPw = demoPassword(out, "demo_township");
  const pointPw = demoPassword(out, "demo_community");
  assert.ok(clerkPw && pointPw, "demo passwords in the demo users' file:\n" + out);

  // 1. The window clerk of 南浦街道 finds the item by name.
  const page = await browser.newPage();
  await login(page, server.url, "demo_township", clerkPw);
  await page.goto(server.url + "/service");
  await page.getByLabel(/查找事项/).fill("临时救助");
  await page.getByRole("button", { name: "查找" }).click();
  await page.getByRole("link", { name: "临时救助" }).first().click();
  await page.waitForURL(/\/service\/items\/JF00503000/);

  // 2. Only the ID card: a one-time notice names both missing materials.
  await page.getByLabel("申请人姓名").fill("王大妈");
  await page.getByLabel("联系电话").fill("13900001111");
  await checkMaterials(page, ["申请人居民身份证"]);
  await Promise.all([page.waitForURL(/\/service\/notices\/GZ\d+/), page.getByRole("button", { name: "出具一次性告知书" }).click()]);
  const notice = await page.locator(".svc-missing").innerText();
  assert.match(notice, /临时救助申请书/);
  assert.match(notice, /遭遇困难的相关证明/);
  await screenshot(page, "service-notice");

  // 3. Back with the full set: accepted, with a printable receipt.
  await page.goto(server.url + "/service/items/JF00503000");
  await page.getByLabel("申请人姓名").fill("王大妈");
  await page.getByLabel("联系电话").fill("13900001111");
  await checkMaterials(page, ["临时救助申请书", "申请人居民身份证", "遭遇困难的相关证明"]);
  await Promise.all([page.waitForURL(/\/receipt$/), page.getByRole("button", { name: "材料齐全，受理" }).click()]);
  const no = (await page.locator(".svc-receipt-no").innerText()).trim();
  assert.match(no, /^350722-\d{8}-\d{5}$/);
  await screenshot(page, "service-receipt");

  // 4. The back office of the office the item names (社会事务办, issue 21)
  // signs and asks for supplements; the resident brings them to the front
  // desk; the back office approves.
  const back = await browser.newPage();
  await login(back, server.url, "demo_back", demoPassword(out, "demo_back"));
  const front = await browser.newPage();
  await login(front, server.url, "demo_front", demoPassword(out, "demo_front"));
  await back.goto(server.url + "/service/applications/" + no);
  await step(back, "sign");
  await step(back, "ask_supplement", (f) => f.locator("textarea").fill("请补充村委会出具的困难情况说明"));
  assert.match(await back.locator(".svc-status").innerText(), /待补正/);
  await front.goto(server.url + "/service/applications/" + no);
  await step(front, "give_supplement", (f) => f.locator("select").selectOption("window"));
  await back.goto(server.url + "/service/applications/" + no);
  await step(back, "approve", (f) => f.locator("textarea").fill("准予临时救助800元"));
  // 5. Delivered at the unified window, then reviewed.
  const desk = await browser.newPage();
  await login(desk, server.url, "demo_delivery", demoPassword(out, "demo_delivery"));
  await desk.goto(server.url + "/service/applications/" + no);
  await step(desk, "deliver", (f) => f.locator("select").first().selectOption("window"));
  assert.match(await desk.locator(".svc-status").innerText(), /已出件/);
  await step(desk, "review", (f) => f.locator('input[name=rating][value="5"]').check());
  assert.match(await desk.locator("main").innerText(), /非常满意/);
  assert.equal((await desk.locator(".svc-visits").innerText()).trim(), "4"); // notice, acceptance, supplement, pick-up

  // 6. Fully online from a phone: no visit.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await phone.goto(server.url + "/portal/service");
  await phone.getByRole("link", { name: "高龄老人津贴申领" }).click();
  await phone.getByLabel("申请人姓名").fill("赵奶奶");
  await phone.getByLabel("联系电话").fill("13900003333");
  await phone.getByLabel("所在乡镇（街道）").selectOption({ label: "南浦街道" });
  for (const input of await phone.locator("input[type=file]").all()) {
    await input.setInputFiles({ name: "scan.png", mimeType: "image/png", buffer: png });
  }
  await Promise.all([phone.waitForURL(/\/portal\/service\/done/), phone.getByRole("button", { name: "提交申请" }).click()]);
  const onlineNo = (await phone.locator(".svc-app-no").innerText()).trim();
  await phone.goto(server.url + "/portal/service/track?no=" + onlineNo);
  await phone.getByLabel("手机号后四位").fill("3333");
  await phone.getByRole("button", { name: "查询" }).click();
  assert.match(await phone.locator(".svc-status").innerText(), /待后台签收/);
  await screenshot(phone, "service-online");

  // 7. By proxy at a village service point, with consent and the fee paid on
  // the resident's behalf (an immediate item: done on the spot).
  const point = await browser.newPage();
  await login(point, server.url, "demo_community", pointPw);
  await point.goto(server.url + "/service/items/ZS00401000");
  await point.getByLabel("申请人姓名").fill("孙大叔");
  await point.getByLabel("联系电话").fill("13900004444");
  await checkMaterials(point, ["申请人居民身份证", "房屋产权或租赁证明"]);
  await point.getByLabel(/群众本人已同意代办/).check();
  await point.getByLabel(/代缴费用/).check();
  await point.getByLabel("缴费凭证号").fill("FS2026000001");
  await Promise.all([point.waitForURL(/\/receipt$/), point.getByRole("button", { name: "材料齐全，受理" }).click()]);
  const proxyNo = (await point.locator(".svc-receipt-no").innerText()).trim();
  await point.goto(server.url + "/service/applications/" + proxyNo);
  const proxyText = await point.locator("main").innerText();
  assert.match(proxyText, /村级代办/);
  assert.match(proxyText, /FS2026000001/);

  // 8. The figures reflect the three.
  await page.goto(server.url + "/service/figures");
  const all = page.locator('table[data-figures="service.figures.all"] tbody tr').first();
  const cells = await all.locator("td").allInnerTexts();
  // name, total, window, online, proxy, nearby, elsewhere in the county, across counties,
  // immediate, promised, on-time, hours, visits, township share, good, bad
  assert.equal(cells[1], "3");
  assert.deepEqual(cells.slice(2, 5), ["1", "1", "1"]);
  assert.deepEqual(cells.slice(5, 8), ["3", "0", "0"], "all three handled nearby");
  assert.deepEqual(cells.slice(8, 10), ["1", "2"]);
  assert.equal(cells[10], "100.0%");
  assert.equal(cells[14], "1");
  await screenshot(page, "service-figures");
});
