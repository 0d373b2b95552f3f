// Coordination in a real browser, on the one case page (/cases/{no}): one whistle of each kind from blowing to
// the last rating (a party member answering on the personal-link page), a
// township call that escalates to the supervision office and is reassigned
// and answered, an enforcement transfer that is returned and transferred
// again until accepted, and the department report card showing what these
// produced.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launch, login, demoPassword, screenshot } from "./harness.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000" + "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082", "hex");

let server, browser, dbPath;
const pages = {};
// The report card as the demo cases left it, before these tests add to it.
let cardBefore;
before(async () => {
  server = await startServer();
  browser = await launch();
  dbPath = server.output().match(/\(database ([^)]+)\)/)[1];
  // A user for 县住房和城乡建设局, to whom the supervision office reassigns the call.
  cli("user", "add", "--db", dbPath, "--username", "e2e_zhujian", "--password", "e2e-zhujian-password", "--name", "住建局干部", "--unit", "350722D002", "--role", "department");
  cardBefore = await reportCard();
});

// reportCard reads 城管局's and 住建局's rows and 南浦街道's whistle total.
async function reportCard() {
  const sup = await as("demo_supervisor");
  await sup.goto(server.url + "/reportcard");
  const row = async (code) => (await sup.locator(`tr[data-dept='${code}']`).locator("td").allInnerTexts()).map((s) => s.trim());
  const [cg, zj] = [await row("350722D003"), await row("350722D002")];
  const nanpu = Number((await sup.locator("tr[data-township='350722001000'] td.total").innerText()).trim());
  return { cg, zj, nanpu };
}

// plus returns how much a report card cell grew since cardBefore.
const plus = (now, before, i) => Number(now[i] || 0) - Number(before[i] || 0);

// avgWith is the average rating after adding ratings to a row of cardBefore
// (avg in cell 3, rated in cell 4), to one decimal.
function avgWith(before, ...ratings) {
  const n = Number(before[4] || 0);
  const sum = (n ? Number(before[3]) * n : 0) + ratings.reduce((a, b) => a + b, 0);
  return sum / (n + ratings.length);
}
after(async () => {
  await browser?.close();
  await server?.stop();
});

function cli(...args) {
  return execFileSync(join(root, "bin", "grassroots"), args, { encoding: "utf8" });
}

// as returns a signed-in page for a demo user (one browser context each).
async function as(username) {
  if (pages[username]) return pages[username];
  const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  const page = await ctx.newPage();
  const password = username === "e2e_zhujian" ? "e2e-zhujian-password" : demoPassword(server.demoUsers(), username);
  assert.ok(password, username + "'s password is printed at start");
  await login(page, server.url, username, password);
  pages[username] = page;
  return page;
}

// act submits an action's form on the case page or a member's page; party
// picks the part (a unit code, or code-personid: the parts table's
// data-party) a party's action is taken on, when the form offers several.
async function act(page, name, fill = async () => {}, party = "") {
  const scope = page.locator("main");
  const form = scope.locator(`form[action$="/actions/${name}"]`).first();
  const details = scope.locator(`details:has(form[action$="/actions/${name}"])`).first();
  if (!(await details.evaluate((d) => d.open))) await details.locator("summary").click();
  const part = form.locator("select[name=assignment_id]");
  if (party && (await part.count())) {
    await part.selectOption(await part.locator(`option[data-party="${party}"]`).getAttribute("value"));
  }
  await fill(form);
  await Promise.all([page.waitForURL(/[?&]done=/), form.locator("button[type=submit]").click()]);
  assert.match(await page.locator(".flash").innerText(), /已完成/);
}

// board opens the one case page (/cases/{no}), where every flow's case is.
async function board(page, no) {
  await page.goto(server.url + "/cases/" + no);
  return page;
}

// blow fills the whistle form for a kind and returns the case number.
async function blow(page, kind, place, title, pick) {
  await page.goto(server.url + `/whistles/new?kind=${kind}&place=${place}`);
  await page.getByLabel(/^标题/).fill(title);
  await page.getByLabel("紧急程度").selectOption("urgent");
  for (const p of pick) await page.locator("fieldset.coord-summon label").filter({ hasText: p }).first().locator("input").check();
  await Promise.all([page.waitForURL(/\/cases\/350722-\d{8}-\d+\?created=1/), page.getByRole("button", { name: "吹哨", exact: true }).click()]);
  return page.url().match(/\/cases\/([^?]+)/)[1];
}

async function status(page) {
  return (await page.locator(".case-top").innerText()).trim();
}

test("street whistle: the department reports in, reports back and is rated; a refusal is recorded", async () => {
  const town = await as("demo_township");
  const no = await blow(town, "street", "350722001000", "仙楼路燃气管道泄漏", ["县城市管理和综合执法局"]);
  assert.match(await status(town), /已吹哨/);
  // The old parties board's address leads to the one case page.
  await town.goto(server.url + "/coord/" + no);
  assert.equal(new URL(town.url()).pathname, "/cases/" + no);
  const dept = await as("demo_department");
  await dept.goto(server.url + "/whistles");
  await dept.getByRole("link", { name: no }).click();
  await act(dept, "report_in", (f) => f.getByLabel("经度").fill("118.5401").then(() => f.getByLabel("纬度").fill("27.9201")), "350722D003");
  assert.match(await status(dept), /处置中/);
  await act(dept, "report_result", (f) => f.locator("textarea[name=note]").fill("已关阀并完成抢修"), "350722D003");
  await board(town, no);
  await act(town, "accept_result", (f) => f.getByLabel(/评分/).selectOption("4"), "350722D003");
  assert.match(await status(town), /已办结/);
  assert.match(await town.locator("tr[data-party='350722D003']").innerText(), /★4/);
  await screenshot(town, "coord-whistle-street");

  // A second street whistle, refused with a reason and then called off.
  const no2 = await blow(town, "street", "350722001000", "夜间施工噪音", ["县城市管理和综合执法局"]);
  await board(dept, no2);
  await act(dept, "refuse_summons", (f) => f.locator("textarea[name=note]").fill("不属本部门职责"), "350722D003");
  await board(town, no2);
  assert.match(await town.locator("tr[data-party='350722D003']").innerText(), /已拒绝[\s\S]*不属本部门职责/);
  await act(town, "cancel", (f) => f.locator("textarea[name=note]").fill("改由街道自行处置"));
  assert.match(await status(town), /已撤哨/);
});

test("community whistle: a registered party member answers on the personal-link page", async () => {
  const comm = await as("demo_community");
  await comm.goto(server.url + "/whistles/members");
  const row = comm.locator("main table tbody tr").first();
  const member = (await row.locator("td").first().innerText()).trim();
  await Promise.all([comm.waitForURL(/\/link$/), row.getByRole("button", { name: "生成个人链接" }).click()]);
  const link = (await comm.locator("code.member-link").innerText()).trim();
  assert.match(link, /\/m\/member\/gm_/);
  const no = await blow(comm, "community", "350722001001", "清理3栋楼道堆积物", [member]);

  // The member, on the phone, without an account.
  const phone = await browser.newContext({ locale: "zh-CN", viewport: { width: 390, height: 844 }, isMobile: true });
  const mp = await phone.newPage();
  await mp.goto(link);
  // The member may have volunteered in the demo cases already.
  const hoursBefore = (await mp.locator(".member-hours").count()) ? parseFloat(await mp.locator(".member-hours").innerText()) : 0;
  assert.match(await mp.locator("main").innerText(), new RegExp(member));
  assert.match(await mp.locator("main").innerText(), /清理3栋楼道堆积物/);
  await act(mp, "accept_summons");
  await act(mp, "report_in", (f) => f.getByLabel("经度").fill("118.5402").then(() => f.getByLabel("纬度").fill("27.9202")));
  await act(mp, "report_result", (f) => f.locator("textarea[name=note]").fill("已和居民一起清理完毕"));
  await screenshot(mp, "coord-member-phone");
  // The member cannot accept their own result.
  assert.equal(await mp.locator('form[action$="/actions/accept_result"]').count(), 0);

  await board(comm, no);
  const party = await comm.locator("tr[data-party]").first().getAttribute("data-party");
  await act(comm, "accept_result", (f) => f.getByLabel(/评分/).selectOption("5"), party);
  assert.match(await status(comm), /已办结/);
  await mp.reload();
  assert.equal(parseFloat(await mp.locator(".member-hours").innerText()), hoursBefore + 0.5);
});

test("resident and organisation whistles: services and the front line report in", async () => {
  const town = await as("demo_township");
  const res = await blow(town, "resident", "350722001000", "群众吹哨：仙楼路路灯全坏", ["县城市管理和综合执法局"]);
  const dept = await as("demo_department");
  await board(dept, res);
  await act(dept, "accept_summons", async () => {}, "350722D003");
  await act(dept, "report_in", async () => {}, "350722D003");
  await act(dept, "report_result", (f) => f.locator("textarea[name=note]").fill("已更换灯具"), "350722D003");
  await board(town, res);
  await act(town, "accept_result", (f) => f.getByLabel(/评分/).selectOption("3"), "350722D003");
  assert.match(await status(town), /已办结/);

  const org = await blow(town, "organisation", "350722001000", "防汛巡查：仙楼社区低洼地带", ["演示网格员001"]);
  const grid = await as("demo_grid");
  await grid.goto(server.url + "/whistles");
  await grid.getByRole("link", { name: org }).click();
  const party = await grid.locator("tr[data-party]").first().getAttribute("data-party");
  await act(grid, "report_in", async () => {}, party);
  await act(grid, "report_result", (f) => f.locator("textarea[name=note]").fill("巡查完毕，无积水"), party);
  await board(town, org);
  await act(town, "accept_result", (f) => f.getByLabel(/评分/).selectOption("5"), party);
  assert.match(await status(town), /已办结/);
  await town.goto(server.url + "/whistles?status=closed");
  for (const n of [res, org]) assert.ok(await town.getByRole("link", { name: n }).count(), n + " in the closed list");
  const download = town.waitForEvent("download");
  await town.getByRole("link", { name: "导出Excel" }).click();
  assert.match((await download).suggestedFilename(), /\.xlsx$/);
});

test("township call: proposed from the lists, escalated when unsigned, reassigned and answered", async () => {
  // A tiny signing limit, so the sweeper escalates within seconds.
  cli("setting", "set", "--db", dbPath, "casework.limit.sign.township_call", "3s");
  const town = await as("demo_township");
  await town.goto(server.url + "/township-calls/new");
  await town.getByLabel("问题分类").fill("S06010");
  await town.getByRole("button", { name: "按分类推荐部门" }).click();
  await town.waitForURL(/category=S06010/);
  assert.match(await town.locator(".coord-proposal").innerText(), /县城市管理和综合执法局/);
  await town.locator("form.coord-form").getByLabel(/^标题/).fill("河道垃圾长期无人清理");
  await Promise.all([town.waitForURL(/\/cases\/.*created=1/), town.getByRole("button", { name: "呼叫县直部门" }).click()]);
  const no = town.url().match(/\/cases\/([^?]+)/)[1];
  assert.match(await status(town), /等待|已派单|dispatched|已呼叫|待/);
  cli("setting", "set", "--db", dbPath, "casework.limit.sign.township_call", "1d");

  // Another township does not see it.
  const sup = await as("demo_supervisor");
  let escalated = false;
  for (let i = 0; i < 30 && !escalated; i++) {
    await sup.goto(server.url + "/township-calls?status=open");
    escalated = (await sup.locator("tr").filter({ hasText: no }).innerText()).includes("已升级督办");
    if (!escalated) await sup.waitForTimeout(1000);
  }
  assert.ok(escalated, "the unsigned call escalated to the supervision office");
  await sup.getByRole("link", { name: no }).click();
  await act(sup, "supervise", (f) => f.locator("textarea[name=note]").fill("请城管局立即签收"));
  await act(sup, "reassign", (f) => f.locator("input[name=unit]").fill("350722D002").then(() => f.locator("textarea[name=note]").fill("超期未签收，改派住建局")), "350722D003");
  const zj = await as("e2e_zhujian");
  await board(zj, no);
  await act(zj, "sign", async () => {}, "350722D002");
  await act(zj, "answer", (f) => f.locator("textarea[name=note]").fill("已组织清理河道垃圾并建立巡查制度"), "350722D002");
  await board(town, no);
  await act(town, "rate", (f) => f.locator("input[name=resolved][value='1']").check().then(() => f.getByLabel(/评分/).selectOption("5")), "350722D002");
  assert.match(await status(town), /已办结/);
  const timeline = await town.locator("ol.timeline").innerText();
  for (const step of ["升级督办", "督办", "改派", "签收", "答复", "评价"]) assert.match(timeline, new RegExp(step));
  await screenshot(town, "coord-township-call");
  await sup.goto(server.url + "/township-calls");
  assert.ok(await sup.getByRole("link", { name: no }).count());
});

test("enforcement: transferred, returned, transferred again and accepted", async () => {
  const town = await as("demo_township");
  await town.goto(server.url + "/enforcement/new");
  // An enforcement case names its matter (issue 21): 户外广告, which the
  // street may not decide and transfers to 城管局.
  await town.locator("#f-matter").selectOption("CF00209000");
  await town.getByLabel(/^标题/).fill("沿街店铺违规设置户外广告牌");
  await town.getByLabel(/吹哨\/发生地点/).selectOption("350722001001");
  await Promise.all([town.waitForURL(/\/cases\/.*created=1/), town.getByRole("button", { name: "立案" }).click()]);
  const no = town.url().match(/\/cases\/([^?]+)/)[1];
  const transfer = (note) => async (f) => {
    await f.locator("input[name=unit]").fill("350722D003");
    await f.getByLabel("法律依据").fill("《城市市容和环境卫生管理条例》第十四条");
    await f.locator("input[name=file_evidence]").setInputFiles({ name: "现场照片.png", mimeType: "image/png", buffer: png });
    await f.locator("textarea[name=note]").fill(note);
  };
  await act(town, "transfer", transfer("超出街道执法权限，移送城管局"));
  assert.match(await status(town), /移送中/);
  const dept = await as("demo_department");
  await board(dept, no);
  await act(dept, "return_transfer", (f) => f.locator("textarea[name=note]").fill("证据不足：缺少现场测量记录"), "350722D003");
  assert.match(await status(dept), /已退回/);
  await board(town, no);
  await act(town, "transfer", transfer("补充现场测量记录后再次移送"));
  await board(dept, no);
  await act(dept, "accept_transfer", async () => {}, "350722D003");
  assert.match(await status(dept), /已接收/);
  await dept.goto(server.url + "/enforcement/zones");
  assert.match(await dept.locator("main").innerText(), new RegExp(no));
  await screenshot(dept, "coord-enforcement-zones");
});

test("the report card shows what these produced", async () => {
  // The demo cases are on the card too: count what these tests added.
  const now = await reportCard();
  const sup = await as("demo_supervisor");
  const [cells, was] = [now.cg, cardBefore.cg];
  // whistles, calls, transfers, avg rating, rated, report-ins, median, avg, refusals, returns
  assert.equal(plus(cells, was, 0), 3, "城管局 was summoned by three whistles");
  assert.equal(plus(cells, was, 1), 1, "城管局 had the township call before it was reassigned");
  assert.equal(plus(cells, was, 2), 2, "two transfers to 城管局");
  assert.ok(Math.abs(Number(cells[3]) - avgWith(was, 4, 3)) <= 0.1, `ratings 4 and 3: average ${cells[3]}`);
  assert.equal(plus(cells, was, 5), 2, "two report-ins");
  assert.equal(plus(cells, was, 8), 1, "one refusal");
  assert.equal(plus(cells, was, 9), 2, "the reassigned call and the returned transfer");
  assert.equal(plus(now.zj, cardBefore.zj, 1), 1);
  assert.ok(Math.abs(Number(now.zj[3]) - avgWith(cardBefore.zj, 5)) <= 0.1, `住建局 rated 5: average ${now.zj[3]}`);
  assert.equal(now.nanpu - cardBefore.nanpu, 5, "five whistles blown in 南浦街道");
  assert.match(await sup.locator("main").innerText(), /吹哨过多[\s\S]*吹哨过少/);
  await screenshot(sup, "coord-reportcard");
  const download = sup.waitForEvent("download");
  await sup.getByRole("link", { name: "导出Excel" }).click();
  assert.match((await download).suggestedFilename(), /\.xlsx$/);
});
