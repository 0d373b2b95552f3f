// The grid event loop and the residents' portal, on a phone: a grid worker
// (demo_grid) fixes one matter on the spot and reports another with a photo
// and their location on a 390px-wide phone; the community (demo_community)
// sets it up, dispatches it to itself, signs and reports the handling with a
// photo after on the staff case page; the grid worker checks it on site and
// passes it (closed). A resident reports on /portal/report, follows the case
// by number and the last four digits of the phone, and rates the answer the
// street (demo_township) gave after the administrator dispatched it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { startServer, launch, login, adminPassword, demoPassword, screenshot } from "./harness.mjs";

let server, browser;
const accounts = {};

before(async () => {
  server = await startServer();
  browser = await launch();
  // The first start prints the demo users: username, role, password, unit code, unit name.
  for (const line of server.demoUsers().split("\n")) {
    const m = line.match(/^\s+(demo_\w+)\s+(\w+)\s+(\S+)\s+(\S+)\s+(.+?)\s*$/);
    if (m && m[1] !== "username") accounts[m[1]] = { role: m[2], password: m[3], unitCode: m[4], unitName: m[5] };
  }
  for (const u of ["demo_grid", "demo_community", "demo_township"]) {
    assert.ok(accounts[u], `${u} is in the demo users' file:\n${server.demoUsers()}\n${server.output()}`);
    assert.equal(demoPassword(server.demoUsers(), u), accounts[u].password, `harness demoPassword reads ${u}'s password from the table`);
  }
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// png makes a w×h PNG of one colour, so the photo is real and visible.
function png(w, h, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}
const photo = (name, colour) => ({ name, mimeType: "image/png", buffer: png(96, 72, colour) });

async function phone() {
  return browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    locale: "zh-CN", permissions: ["geolocation"], geolocation: { longitude: 118.54, latitude: 27.92 },
  });
}

async function desktop() {
  return browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
}

// submitAndWait clicks a submit button and waits for the page that answers.
async function submitAndWait(page, button) {
  await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), button.click()]);
  await page.waitForLoadState("domcontentloaded");
}

// act takes an action on the staff case page through its form.
async function act(page, name, fill = async () => {}) {
  const form = page.locator(`form[action$="/actions/${name}"]`);
  await form.waitFor({ state: "attached" });
  await form.evaluate((f) => { const d = f.closest("details"); if (d) d.open = true; });
  await fill(form);
  await submitAndWait(page, form.locator('button[type="submit"]'));
  const err = await page.locator("main .error").allInnerTexts();
  assert.deepEqual(err, [], `action ${name} left an error`);
}

const caseNo = (text) => {
  const m = text.match(/\d{6}-\d{8}-\d{5}/);
  assert.ok(m, `no case number in ${text}`);
  return m[0];
};

test("a grid worker reports, the community handles, the worker checks on site; an on-the-spot fix counts", async () => {
  const ctx = await phone();
  const page = await ctx.newPage();
  await login(page, server.url, "demo_grid", accounts.demo_grid.password);
  await page.goto(server.url + "/m");
  await screenshot(page, "grid-home-empty");

  // Fixed on the spot (即办件): a note and a photo after, closed at once.
  await page.getByRole("link", { name: "即办件" }).click();
  await page.getByLabel("暴露垃圾").check();
  await page.getByLabel("情况说明").fill("仙楼路口垃圾散落");
  await page.locator("#photos").setInputFiles(photo("before.png", [150, 110, 60]));
  await page.getByLabel("处置情况").fill("已现场清扫干净");
  await page.locator("#after").setInputFiles(photo("after.png", [60, 160, 90]));
  assert.equal(await page.locator("#after-preview img").count(), 1, "the photo after is previewed");
  await submitAndWait(page, page.getByRole("button", { name: "即办件：已现场处置" }));
  await page.waitForURL(/\/m\?done=onspot/);
  const flash = await page.locator(".flash").innerText();
  const spot = caseNo(flash);
  assert.match(flash, /即办件已办结/);
  assert.equal(await page.locator(".m-counts .card").nth(1).locator(".n").innerText(), "1", "today's on-the-spot fixes count it");

  // The grid's boundary (from the case map of the fix, routed to the worker's
  // own grid): the worker stands at its centre for the next report.
  const map = await (await page.request.get(server.url + `/cases/${spot}/map.json`)).json();
  const boundary = map.outlines && map.outlines[0] && map.outlines[0].geojson;
  assert.ok(boundary, "the on-the-spot case lies in the worker's grid");
  const ring = boundary.type === "Polygon" ? boundary.coordinates[0] : boundary.coordinates[0][0];
  const lng = ring.reduce((s, p) => s + p[0], 0) / ring.length;
  const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
  await ctx.setGeolocation({ longitude: lng, latitude: lat });

  // Report what patrol found: photo, category, text, location.
  await page.goto(server.url + "/m/report");
  await page.getByLabel("占道经营").check();
  await page.getByLabel("情况说明").fill("仙楼路口有流动摊贩占道经营，影响通行");
  await page.locator("#photos").setInputFiles(photo("stall.png", [200, 80, 40]));
  await page.getByRole("button", { name: "使用我的位置" }).click();
  await assert.doesNotReject(page.locator("[data-locate-status]", { hasText: "已定位" }).waitFor({ timeout: 10000 }));
  await screenshot(page, "grid-report");
  await submitAndWait(page, page.getByRole("button", { name: "上报", exact: true }));
  await page.waitForURL(/\/m\?done=report/);
  const no = caseNo(await page.locator(".flash").innerText());
  await screenshot(page, "grid-home");

  // The community sets it up and handles it on the staff case page.
  const staffCtx = await desktop();
  const staff = await staffCtx.newPage();
  await login(staff, server.url, "demo_community", accounts.demo_community.password);
  await staff.goto(server.url + "/cases/" + no);
  assert.match(await staff.locator("main").innerText(), /占道经营/);
  await act(staff, "register");
  await act(staff, "dispatch", (f) => f.locator('input[name="unit"]').fill(accounts.demo_community.unitName));
  await act(staff, "sign");
  await act(staff, "report_handled", async (f) => {
    await f.locator('textarea[name="note"]').fill("已劝离摊贩，路口恢复通行");
    await f.locator('input[type="file"]').setInputFiles(photo("handled.png", [40, 140, 200]));
  });
  assert.match(await staff.locator("main").innerText(), /已处置/);
  await screenshot(staff, "grid-staff-handled");
  await staffCtx.close();

  // The worker checks on site: sees the handling and the photo after, passes it.
  await page.goto(server.url + "/m");
  await page.locator(`a[href="/m/check/${no}"]`).click();
  await page.waitForURL(/\/m\/check\//);
  assert.match(await page.locator("main").innerText(), /已劝离摊贩/);
  const img = page.locator(".thumbs img").last();
  await img.waitFor();
  assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), "the photo after loads");
  await page.getByLabel("通过，结案").check();
  await page.getByLabel("核查说明").fill("现场已无摊贩");
  await page.getByRole("button", { name: "使用我的位置" }).click();
  await page.locator("[data-locate-status]", { hasText: "已定位" }).waitFor({ timeout: 10000 });
  await screenshot(page, "grid-check");
  await submitAndWait(page, page.getByRole("button", { name: "提交核查结果" }));
  await page.waitForURL(/\/m\?done=pass/);
  assert.match(await page.locator(".flash").innerText(), new RegExp("核查通过，" + no + " 已结案"));
  assert.equal(await page.locator(`a[href="/m/check/${no}"]`).count(), 0, "nothing left to check");
  assert.match(await page.locator("#today ~ .m-list").innerText(), /已办结|已结案/);
  await screenshot(page, "grid-home-done");
  await ctx.close();
});

test("a resident reports on the portal, follows the case by number and last four digits, and rates the answer", async () => {
  const ctx = await phone();
  const page = await ctx.newPage();
  await page.goto(server.url + "/portal");
  await screenshot(page, "portal-home");
  await page.getByRole("link", { name: /我要反映问题/ }).click();
  await page.getByLabel("路灯异常").check();
  await page.getByLabel("求助").check();
  await page.getByLabel("问题描述").fill("仙楼路12号门口路灯连续三晚不亮，晚上出行不安全");
  await page.getByLabel("地点", { exact: true }).fill("仙楼路12号");
  await page.getByLabel(/所在乡镇/).selectOption({ label: "南浦街道" });
  await page.locator("#photos").setInputFiles([photo("lamp1.png", [30, 30, 30]), photo("lamp2.png", [90, 90, 90])]);
  assert.equal(await page.locator("#photo-preview img").count(), 2);
  await page.getByLabel("您的称呼").fill("王女士");
  await page.getByLabel("联系电话").fill("13800138000");
  await screenshot(page, "portal-report");
  await submitAndWait(page, page.getByRole("button", { name: "提交" }));
  await page.waitForURL(/\/portal\/report\/done/);
  const no = (await page.locator("#case-no").innerText()).trim();
  caseNo(no);
  await screenshot(page, "portal-done");

  // A wrong last four: refused without saying which part is wrong.
  await page.getByRole("link", { name: "查询办理进度" }).click();
  await page.getByLabel("手机号后四位").fill("1234");
  await submitAndWait(page, page.getByRole("button", { name: "查询" }));
  assert.match(await page.locator("main").innerText(), /工单编号或电话后四位不正确/);
  await page.getByLabel("工单编号").fill(no);
  await page.getByLabel("手机号后四位").fill("8000");
  await submitAndWait(page, page.getByRole("button", { name: "查询" }));
  assert.match(await page.locator("main").innerText(), /您的诉求已受理/);
  assert.equal(await page.locator('form[action="/portal/track/rate"]').count(), 0, "no rating before an answer");

  // The administrator dispatches it to the street; the street signs and answers.
  const staffCtx = await desktop();
  const staff = await staffCtx.newPage();
  await login(staff, server.url, "admin", adminPassword);
  await staff.goto(server.url + "/cases/" + no);
  assert.match(await staff.locator("main").innerText(), /portal|群众|网上/);
  await act(staff, "dispatch", (f) => f.locator('input[name="unit"]').fill("南浦街道"));
  await staffCtx.close();
  const streetCtx = await desktop();
  const street = await streetCtx.newPage();
  await login(street, server.url, "demo_township", accounts.demo_township.password);
  await street.goto(server.url + "/cases/" + no);
  await act(street, "sign");
  await act(street, "answer", (f) => f.locator('textarea[name="note"]').fill("已安排维修人员更换路灯，今晚恢复照明"));
  await streetCtx.close();

  // The resident reads the answer and rates it.
  await page.goto(server.url + "/portal/track?no=" + encodeURIComponent(no));
  await page.getByLabel("手机号后四位").fill("8000");
  await submitAndWait(page, page.getByRole("button", { name: "查询" }));
  assert.match(await page.locator("main").innerText(), /今晚恢复照明/);
  await page.getByLabel("满意", { exact: true }).check();
  await page.getByLabel(/意见或建议/).fill("修得很快，谢谢");
  await submitAndWait(page, page.getByRole("button", { name: "提交评价" }));
  assert.match(await page.locator("main").innerText(), /感谢您的评价/);
  assert.match(await page.locator("main").innerText(), /您的评价：满意/);
  assert.equal(await page.locator('form[action="/portal/track/rate"]').count(), 0, "rated once");
  await screenshot(page, "portal-track-rated");

  // The street's feedback of the day: the case, its number masked, no name or phone.
  await page.goto(server.url + "/portal/feedback?unit=350722001000");
  const text = await page.locator("main").innerText();
  assert.match(text, new RegExp(no.slice(0, 16) + "\\*\\*\\*" + no.slice(-2)));
  assert.doesNotMatch(text, /王女士|13800138000/);
  assert.ok(!text.includes(no), "the full number is not shown");
  await screenshot(page, "portal-feedback");
  await ctx.close();
});
