// The party registry in a real browser, each party doing its part: the
// county organisation department imports members from Excel (a bad row
// refuses the file, row by row), a community signs a co-building
// agreement, a serving member registers from the phone and the community
// accepts, the member claims a need, the activity planned for it is signed
// in and out on the phone and signed off by the community, which produces
// the volunteer record; the register filtered by skill exports what is
// filtered; a resolved whistle the member carried out is marked
// as a good deed from its page; a good deed is recorded with a photo;
// the unit's quarterly letter opens.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startServer, launch, login, demoPassword, screenshot } from "./harness.mjs";
import { fillTemplate, sheetRows } from "./xlsx.mjs";

let server, browser;
const pages = {};
const errors = [];
const member = "党员测试甲";
const committee = "350722001001P"; // 仙楼社区党委
let link;

before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  assert.deepEqual(errors, [], "console errors");
});

// watch collects console errors; the import refused for its bad row
// answers 400 on purpose.
function watch(page) {
  page.on("console", (m) => {
    if (m.type() === "error" && !(m.text().includes("status of 400") && m.location().url.endsWith("/import"))) errors.push(`${m.text()} @ ${m.location().url}`);
  });
  page.on("pageerror", (e) => errors.push("uncaught: " + e.message));
}

async function as(username) {
  if (pages[username]) return pages[username];
  const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  const page = await ctx.newPage();
  watch(page);
  const password = demoPassword(server.demoUsers(), username);
  assert.ok(password, username + "'s password is printed at start");
  await login(page, server.url, username, password);
  pages[username] = page;
  return page;
}

let phone;
async function onPhone() {
  if (phone) return phone;
  const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 }, isMobile: true });
  phone = await ctx.newPage();
  watch(phone);
  return phone;
}

// submit clicks a form's button and waits for the page after the redirect.
async function submit(page, form, url) {
  await Promise.all([page.waitForURL(url), form.locator("button[type=submit]").first().click()]);
}

// shanghai formats a time (ms) for a datetime-local field, in Asia/Shanghai.
const shanghai = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 16);

// num reads a figure as a number ("2,631" and "879件" alike).
const num = (s) => Number(s.replace(/[^0-9.]/g, ""));

// First, before the other tests add their own: the demo is at the seed's
// scale (internal/demo/party.go).
test("the county's figures page shows the seed's numbers", async () => {
  const page = await as("demo_orgdept");
  await page.goto(server.url + "/party?unit=350722000000");
  const fig = page.locator(".party-figures");
  assert.equal(num(await fig.locator(".fig-agreements").innerText()), 159, "co-building agreements");
  assert.equal(num(await fig.locator(".fig-registered").innerText()), 2631, "serving members registered");
  assert.equal(num(await fig.locator(".fig-person-times").innerText()), 8792, "person-times");
  assert.equal(num(await fig.locator(".fig-deeds").innerText()), 879, "good deeds");
  await screenshot(page, "party-county-figures");
});

test("the organisation department imports members from Excel; a bad row imports nothing", async () => {
  const page = await as("demo_orgdept");
  await page.goto(server.url + "/org/party/" + committee);
  const [d] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "导出党员名册（Excel）" }).click()]);
  const template = readFileSync(await d.path());
  const row = { 姓名: member, 性别: "男", 出生年份: "1985", 所在党组织代码: committee, 工作单位代码: "350722D003", 居住社区代码: "350722001001", 专业特长: "理发" };
  const upload = async (rows) => {
    await page.locator('#import input[type=file]').setInputFiles({ name: "党员.xlsx", mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buffer: fillTemplate(template, rows) });
    await Promise.all([page.waitForLoadState("load"), page.locator("#import").getByRole("button", { name: "导入" }).click()]);
    await page.waitForURL(/\/import$/);
  };
  await upload([row, { ...row, 姓名: "党员测试乙", 出生年份: "八五年" }]);
  assert.match(await page.locator(".import-errors").innerText(), /出生年份应为四位数字/);
  await upload([row, { ...row, 姓名: "党员测试丙", 专业特长: "电工" }]);
  assert.match(await page.locator("#import").innerText(), /已导入党组织0个、党员2名/);
  await page.goto(server.url + "/org/party/" + committee);
  assert.match(await page.locator("#register").innerText(), new RegExp(member));
  assert.doesNotMatch(await page.locator("#register").innerText(), /党员测试乙/);
  // Filtered by skill, the page lists the barber, not the electrician, and the export holds what is filtered.
  const filter = page.locator("#register-filter");
  await filter.locator('input[name=skill]').fill("理发");
  await Promise.all([page.waitForURL(/skill=/), filter.getByRole("button", { name: "筛选" }).click()]);
  assert.match(await page.locator("#register-filtered").innerText(), /筛选结果1名/);
  assert.doesNotMatch(await page.locator("#register").innerText(), /党员测试丙/);
  const [f] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "导出筛选结果（Excel）" }).click()]);
  assert.match(f.url(), /members\.xlsx\?.*skill=/);
  const rows = sheetRows(readFileSync(await f.path())).filter((r) => r.some((v) => v !== ""));
  assert.deepEqual(rows.slice(1).map((r) => r[0]), [member], "the export holds the one filtered member");
});

test("the community signs a co-building agreement on its desk", async () => {
  const page = await as("demo_community");
  await page.goto(server.url + "/party?unit=350722001001");
  const form = page.locator("#sign-agreement");
  await form.locator("summary").click();
  await form.getByLabel("共建单位").fill("350722D019");
  await form.getByLabel("截止日").fill("2028-12-31");
  await form.getByLabel("联络员", { exact: true }).fill("联络员周某某");
  await form.locator("input[name=c_what]").first().fill("每季度开展政策宣讲");
  await form.locator("input[name=c_target]").first().fill("4");
  await submit(page, form, /saved=1/);
  const agreements = await page.locator("#agreements").innerText();
  assert.match(agreements, /县委组织部/);
  assert.match(agreements, /每季度开展政策宣讲：0\/4/);
});

test("a serving member registers from the phone; the community accepts with a grid", async () => {
  const page = await as("demo_community");
  await page.goto(server.url + "/org/party/" + committee);
  const row = page.locator("#register tbody tr").filter({ hasText: member });
  await Promise.all([page.waitForURL(/\/link$/), row.getByRole("button", { name: "生成个人链接" }).click()]);
  link = (await page.locator("code.member-link").innerText()).trim();
  assert.match(link, /\/m\/member\/gm_/);

  const mp = await onPhone();
  await mp.goto(link);
  const reg = mp.locator("#registration");
  await submit(mp, reg, /done=party_register/);
  assert.match(await mp.locator("#registration").innerText(), /仙楼社区/);

  await page.goto(server.url + "/party?unit=350722001001");
  const pending = page.locator("#registrations tbody tr").filter({ hasText: member });
  await pending.locator("select[name=grid]").selectOption({ index: 1 });
  await Promise.all([page.waitForURL(/saved=1/), pending.getByRole("button", { name: "确认并分配网格" }).click()]);
  await mp.reload();
  assert.match(await mp.locator("#registration").innerText(), /已报到/);
  await screenshot(mp, "party-member-registered");
});

test("a need is claimed; the activity's sign-off produces the volunteer record", async () => {
  const page = await as("demo_community");
  await page.goto(server.url + "/party?unit=350722001001");
  const need = page.locator("#needs form");
  await need.getByLabel("需求").fill("e2e 为独居老人理发");
  await need.getByLabel("技能要求").fill("理发");
  await submit(page, need, /saved=1/);

  const mp = await onPhone();
  await mp.goto(link);
  const card = mp.locator("article.member-need").filter({ hasText: "e2e 为独居老人理发" });
  await submit(mp, card, /done=party_claim/);

  await page.goto(server.url + "/party?unit=350722001001");
  const plan = page.locator("#plan-activity");
  await plan.locator("summary").click();
  await plan.getByLabel("活动", { exact: true }).fill("e2e 上门理发");
  const opt = plan.locator("select[name=item] option", { hasText: "e2e 为独居老人理发" });
  await plan.getByLabel(/对应需求/).selectOption(await opt.getAttribute("value"));
  await plan.getByLabel("党群服务中心", { exact: true }).selectOption({ index: 1 });
  const now = Date.now();
  await plan.getByLabel("开始时间").fill(shanghai(now - 3600e3));
  await plan.getByLabel("结束时间").fill(shanghai(now + 3600e3));
  await submit(page, plan, /saved=1/);
  const row = page.locator("#activities tbody tr").filter({ hasText: "e2e 上门理发" });
  assert.match(await row.innerText(), /党群服务中心/);

  await mp.goto(link);
  const act = mp.locator("article.member-activity").filter({ hasText: "e2e 上门理发" });
  await Promise.all([mp.waitForURL(/done=party_sign_in/), act.getByRole("button", { name: "签到" }).click()]);
  await Promise.all([mp.waitForURL(/done=party_sign_out/), mp.locator("article.member-activity").filter({ hasText: "e2e 上门理发" }).getByRole("button", { name: "签退" }).click()]);

  // The organiser puts the times right (a minute's sign-in on the phone here): one hour, from the start.
  await page.goto(server.url + "/party?unit=350722001001");
  const att = page.locator("#activities tbody tr").filter({ hasText: "e2e 上门理发" }).locator("details.attendance");
  await att.locator("summary").click();
  assert.match(await att.locator("select[name=person]").innerText(), new RegExp(member + " · 已签到"));
  await att.getByLabel("签退时间").fill(shanghai(now));
  await Promise.all([page.waitForURL(/saved=1/), att.getByRole("button", { name: "登记" }).click()]);
  const off = page.locator("#activities tbody tr").filter({ hasText: "e2e 上门理发" });
  await Promise.all([page.waitForURL(/saved=1/), off.getByRole("button", { name: "社区签收" }).click()]);
  await page.goto(server.url + "/volunteers");
  await Promise.all([page.waitForURL(/\/volunteers\/\d+$/), page.locator("#volunteers tr").filter({ hasText: member }).locator("a").click()]);
  const entries = await page.locator("main").innerText();
  assert.match(entries, /e2e 上门理发/);
  assert.match(entries, /核验/);
  assert.equal((await page.locator("#verified-hours").innerText()).trim(), "1.0");
});

test("a resolved whistle the member carried out is marked as a good deed from its page", async () => {
  const page = await as("demo_community");
  await page.goto(server.url + "/whistles/new?kind=community&place=350722001001");
  await page.getByLabel(/^标题/).fill("e2e 帮独居老人修水管");
  await page.locator("fieldset.coord-summon label").filter({ hasText: member }).first().locator("input").check();
  await Promise.all([page.waitForURL(/\/cases\/350722-\d{8}-\d+\?created=1/), page.getByRole("button", { name: "吹哨", exact: true }).click()]);
  const no = page.url().match(/\/cases\/([^?]+)/)[1];

  const mp = await onPhone();
  await mp.goto(link);
  const act = async (p, name, fill = async () => {}) => {
    const form = p.locator(`main form[action$="/actions/${name}"]`).first();
    const details = p.locator(`main details:has(form[action$="/actions/${name}"])`).first();
    if (!(await details.evaluate((d) => d.open))) await details.locator("summary").click();
    await fill(form);
    await Promise.all([p.waitForURL(/[?&]done=/), form.locator("button[type=submit]").click()]);
  };
  await act(mp, "accept_summons");
  await act(mp, "report_in", (f) => f.getByLabel("经度").fill("118.5402").then(() => f.getByLabel("纬度").fill("27.9202")));
  await act(mp, "report_result", (f) => f.locator("textarea[name=note]").fill("已修好水管"));

  await page.goto(server.url + "/cases/" + no);
  assert.equal(await page.locator("#deed-panel").count(), 0, "no deed panel before the case is resolved");
  await act(page, "accept_result", (f) => f.getByLabel(/评分/).selectOption("5"));
  const panel = page.locator("#deed-panel");
  await panel.locator("summary").click();
  assert.match(await panel.innerText(), new RegExp(member));
  await panel.getByLabel(/服务对象/).fill("独居老人王奶奶");
  await Promise.all([page.waitForURL(/deed=1/), panel.getByRole("button", { name: "登记为办实事好事" }).click()]);
  assert.equal(await page.locator("#deed-panel").count(), 0, "marked once");

  await page.goto(server.url + "/deeds");
  const deeds = await page.locator("#deeds").innerText();
  assert.match(deeds, /独居老人王奶奶/);
  assert.match(deeds, new RegExp(no));
  await screenshot(page, "party-deeds");
});

// A 1×1 PNG: the evidence photo a community attaches to a good deed.
const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", "base64");

test("a good deed recorded with a photo shows it as a thumbnail", async () => {
  const page = await as("demo_community");
  await page.goto(server.url + "/deeds");
  await page.locator("#record-deed summary").click();
  await page.locator("#dd-unit").fill("350722D003");
  await page.locator("#dd-beneficiary").fill("e2e 7号楼居民");
  await page.locator("#dd-problem").fill("e2e 清理楼道堆物");
  await page.locator("#dd-photo").setInputFiles({ name: "楼道.png", mimeType: "image/png", buffer: png });
  await Promise.all([page.waitForURL(/done=recorded/), page.locator("#record-deed button[type=submit]").click()]);
  const row = page.locator("#deeds tr").filter({ hasText: "e2e 清理楼道堆物" });
  const img = row.locator("img");
  assert.equal(await img.count(), 1, "the deed's row has a thumbnail");
  await img.evaluate((el) => (el.complete ? null : new Promise((ok) => el.addEventListener("load", ok, { once: true }))));
  assert.ok((await img.evaluate((el) => el.naturalWidth)) > 0, "the thumbnail loads");
  const res = await page.request.get(server.url + (await img.getAttribute("src")));
  assert.equal(res.status(), 200);
  assert.equal(res.headers()["content-type"], "image/png");
  await screenshot(page, "party-deed-photo");
});

test("the unit's quarterly feedback letter lists its member", async () => {
  const page = await as("demo_department");
  await page.goto(server.url + "/party?unit=350722D003");
  await page.getByRole("link", { name: "报到反馈函" }).click();
  await page.waitForURL(/\/party\/letter\?/);
  const letter = await page.locator("main").innerText();
  assert.match(letter, new RegExp(member));
  assert.match(letter, /已报到/);
  await screenshot(page, "party-letter");
});
