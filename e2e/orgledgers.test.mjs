// The county's organisational ledgers in a real browser (issue 17): the demo
// shows the seed's figures; a department's cadre records a field visit that
// becomes a project with funds, the township enters the village's income and
// it appears on the pairing's chain; a township sets up a task force with
// members from two modules and one county department and gives it a case;
// the county moves 2 posts to a township and the ledger's 核定/实有/空编
// change with the document number in the history; each registry exports to
// Excel; the cadre imports visits, projects and funds from the export's
// sheets and a township imports a task force, all rows or none. No
// page logs a console error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, demoPassword, screenshot } from "./harness.mjs";
import { sheetRows, fillTemplate } from "./xlsx.mjs";

let server, browser;
const errors = [];
const pages = {};

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

const num = (s) => Number(String(s).replace(/[^\d-]/g, ""));

before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const village = "350722001001"; // 仙楼社区, under 南浦街道 (demo_township)
const year = new Date().getFullYear();
let pairingURL;

test("the demo shows the seed's pairing figures and they export to Excel", async () => {
  const page = await as("demo_admin");
  await page.goto(server.url + "/pairings");
  assert.equal(num(await page.locator("#fig-cadres").innerText()), 223);
  assert.equal(num(await page.locator("#fig-visits").innerText()), 468);
  assert.equal(num(await page.locator("#fig-projects").innerText()), 190);
  assert.ok(num(await page.locator("#fig-sought").innerText()) >= 5_000_000);
  const res = await page.request.get(server.url + "/pairings/export.xlsx");
  assert.equal(res.status(), 200);
  const rows = sheetRows(await res.body());
  assert.equal(rows[0][0], "结对单位代码");
  assert.equal(rows.length, 1 + 223);
});

test("the organisation department pairs the department with a village", async () => {
  const page = await as("demo_admin");
  await page.goto(server.url + "/pairings");
  await page.locator("summary", { hasText: "新建结对" }).click();
  await page.locator("#pair-org").selectOption("350722D003");
  const cadre = await page.locator("#pair-cadre option", { hasText: "县城市管理和综合执法局" }).first().getAttribute("value");
  await page.locator("#pair-cadre").selectOption(cadre);
  await page.locator("#pair-village").selectOption(village);
  await page.locator("#pair-start").fill(`${year}-01-01`);
  await page.locator("#pair-end").fill(`${year + 2}-12-31`);
  await Promise.all([page.waitForURL(/\/pairings\/\d+\?done=/), page.getByRole("button", { name: "新建结对" }).click()]);
  pairingURL = page.url().replace(/\?.*$/, "");
});

test("a cadre records a visit that becomes a project with funds; the income shows on the chain", async () => {
  const page = await as("demo_department");
  await page.goto(pairingURL);
  await page.locator("#v-day").fill(`${year}-03-02`);
  await page.locator("#v-who").fill("局机关党支部书记、驻村干部");
  await page.locator("#v-finding").fill("社区闲置厂房两处\n居民想办社区食堂\n缺少启动资金");
  await Promise.all([page.waitForURL(/done=visit/), page.getByRole("button", { name: "记录蹲点调研" }).click()]);
  assert.equal(num(await page.locator("#chain-visits").innerText()), 1);
  await page.locator("summary", { hasText: "新建产业项目" }).click();
  await page.locator("#p-visit").selectOption({ index: 1 });
  await page.locator("#p-name").fill("仙楼社区长者食堂");
  await page.locator("#p-kind").selectOption("其他");
  await page.locator("#p-partner").fill("仙楼社区服务合作社");
  await Promise.all([page.waitForURL(/done=project/), page.getByRole("button", { name: "新建产业项目" }).click()]);
  const project = page.locator("#projects tr[data-project]").first();
  await project.locator("input[name=source]").fill("省级乡村振兴专项资金");
  await project.locator("input[name=amount]").fill("300000");
  await Promise.all([page.waitForURL(/done=fund/), project.getByRole("button", { name: "添加资金" }).click()]);
  await Promise.all([page.waitForURL(/done=advance/), page.locator("#projects").getByRole("button", { name: "已到位" }).click()]);
  assert.equal(num(await page.locator("#chain-inplace").innerText()), 300000);
  assert.match(await page.locator("#chain").innerText(), /仙楼社区长者食堂/);
  // The finding can also become a case on the engine.
  await Promise.all([page.waitForURL(/done=case/), page.getByRole("button", { name: "转为工单" }).click()]);
  assert.ok(await page.locator("#chain a.case-link").count() === 1);

  const town = await as("demo_township");
  await town.goto(pairingURL);
  await town.locator("summary", { hasText: "填报村集体经营性收入" }).click();
  await town.locator("#i-year").fill(String(year));
  await town.locator("#i-amount").fill("186000");
  await Promise.all([town.waitForURL(/done=income/), town.getByRole("button", { name: "填报村集体经营性收入" }).click()]);
  assert.equal(num(await town.locator("#chain-income").innerText()), 186000);
  assert.match(await town.locator("#incomes").innerText(), new RegExp(String(year)));
  await screenshot(town, "orgledgers-pairing-chain");
});

test("the cadre imports visits, projects and funds from the export's sheets: a bad row imports nothing", async () => {
  const page = await as("demo_department");
  const res = await page.request.get(server.url + "/pairings/export.xlsx");
  assert.equal(res.status(), 200);
  const exported = await res.body();
  // The export's work sheets (after 结对共建 and 汇总) are the import's template.
  assert.equal(sheetRows(exported, 4)[0][5], "项目名称");
  const key = { 结对单位代码: "350722D003", "村(社区)代码": village, 结对开始日期: `${year}-01-01` };
  const fund = { ...key, 项目名称: "仙楼社区电商服务站", 资金来源: "市级电商扶持资金", "金额(元)": "80000", 状态: "到位", 争取日期: `${year}-04-01`, 到位日期: `${year}-05-01` };
  const file = (...funds) => fillTemplate(fillTemplate(fillTemplate(exported,
    [{ ...key, 调研日期: `${year}-03-05`, 调研人员: "局机关党支部书记", 调研发现: "社区网店缺少仓储\n快递点分散" }], 2),
    [{ ...key, 项目名称: "仙楼社区电商服务站", 项目类型: "电商" }], 3), funds, 4);
  const upload = async (buffer) => {
    await page.goto(server.url + "/pairings");
    await page.locator("summary", { hasText: "从 Excel 导入蹲点调研、产业项目和资金" }).click();
    await page.locator("#pw-file").setInputFiles({ name: "结对工作.xlsx", mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buffer });
    await Promise.all([page.waitForNavigation(), page.locator("#pairing-work-import").getByRole("button", { name: "从 Excel 导入蹲点调研、产业项目和资金" }).click()]);
  };
  await upload(file(fund, { ...fund, 项目名称: "没有这个项目" }));
  const expected = errors.filter((e) => /status of 400 .*\/pairings\/work\/import$/.test(e));
  assert.equal(expected.length, 1, errors.join("\n"));
  errors.splice(errors.indexOf(expected[0]), 1);
  assert.match(await page.locator(".error-message").innerText(), /^“资金”第3行：该结对没有项目“没有这个项目”$/);
  await page.goto(pairingURL);
  assert.equal(num(await page.locator("#chain-visits").innerText()), 1);
  await upload(file(fund));
  assert.match(page.url(), /done=import/);
  await page.goto(pairingURL);
  assert.equal(num(await page.locator("#chain-visits").innerText()), 2);
  assert.equal(num(await page.locator("#chain-inplace").innerText()), 380000);
  assert.match(await page.locator("#projects").innerText(), /仙楼社区电商服务站/);
});

test("a township sets up a task force across two modules and a county department and gives it a case", async () => {
  const page = await as("demo_township");
  await page.goto(server.url + "/taskforces");
  await page.locator("summary", { hasText: "设立专班" }).click().catch(() => {});
  await page.locator("#tf-name").fill("老旧小区改造专班");
  await page.locator("#tf-task").fill("推进老旧小区改造和加装电梯");
  await page.locator("#tf-start").fill(`${year}-01-10`);
  await page.locator("#tf-target").fill(`${year + 1}-06-30`);
  await page.locator("#tf-end").fill(`${year + 1}-12-31`);
  await Promise.all([page.waitForURL(/\/taskforces\/\d+\?done=/), page.getByRole("button", { name: "设立专班" }).click()]);
  const insts = await page.locator("#m-inst option").allInnerTexts();
  const modules = [...new Set(insts.filter((t) => t.includes("·")).map((t) => t.split(" · ")[0]))];
  assert.ok(modules.length >= 2, "two modules to draw on: " + insts);
  const townPeople = page.locator("#m-person option", { hasText: "南浦街道" });
  const add = async (person, inst, share) => {
    await page.locator("#m-person").selectOption(person);
    await page.locator("#m-inst").selectOption(inst ? { label: inst } : "0");
    await page.locator("#m-share").fill(String(share));
    await Promise.all([page.waitForURL(/done=member/), page.getByRole("button", { name: "增加成员" }).click()]);
  };
  const first = insts.find((t) => t.startsWith(modules[0]));
  const second = insts.find((t) => t.startsWith(modules[1]));
  await add(await townPeople.nth(0).getAttribute("value"), first, 50);
  await add(await townPeople.nth(1).getAttribute("value"), second, 30);
  const dept = await page.locator("#m-person option", { hasText: "县" }).first().getAttribute("value");
  await add(dept, "", 20);
  const members = await page.locator("#members tbody tr").allInnerTexts();
  assert.equal(members.length, 3);
  assert.ok(members.some((m) => m.includes(modules[0])) && members.some((m) => m.includes(modules[1])), members.join("\n"));
  assert.ok(members.some((m) => /县/.test(m.split("\t")[2] ?? m)), "a member from a county department");
  await page.locator("summary", { hasText: "交办工单" }).click();
  await page.locator("#c-title").fill("3号楼加装电梯协调");
  await Promise.all([page.waitForURL(/done=case/), page.locator("#case-form").getByRole("button", { name: "交办工单" }).click()]);
  const inbox = page.locator("#inbox tbody tr");
  assert.equal(await inbox.count(), 1);
  assert.match(await inbox.first().innerText(), /3号楼加装电梯协调/);
  // Like a unit's inbox: the case is open and counted; nothing is overdue yet.
  assert.equal(num(await page.locator("#inbox-open").innerText()), 1);
  assert.equal(num(await page.locator("#inbox-overdue").innerText()), 0);
  await screenshot(page, "orgledgers-taskforce");
});

test("a township imports a task force and its member from Excel: a bad row imports nothing", async () => {
  const page = await as("demo_township");
  await page.goto(server.url + "/taskforces");
  const before = await page.locator("#taskforces tbody tr").count();
  // Two of the township's own cadres whose names are unique in the list.
  const leads = (await page.locator("#tf-lead option").allTextContents()).filter((t) => t.endsWith("（南浦街道）")).map((t) => t.replace(/（.*$/, ""));
  const unique = leads.filter((n) => leads.indexOf(n) === leads.lastIndexOf(n));
  assert.ok(unique.length >= 2, "two cadres of the township: " + leads);
  const res = await page.request.get(server.url + "/taskforces/template.xlsx");
  assert.equal(res.status(), 200);
  const template = await res.body();
  assert.equal(sheetRows(template, 1)[0][2], "姓名");
  const file = (keeper, share = "30%") => {
    const tf = { 设立单位代码: keeper, 专班名称: "背街小巷整治专班", 任务: "整治背街小巷环境", 组长: unique[0], 组长单位代码: "350722001000",
      开始日期: `${year}-02-01`, 目标日期: `${year}-09-30`, 结束日期: `${year + 1}-03-31` };
    const member = { 专班名称: "背街小巷整治专班", 姓名: unique[1], 所在单位代码: "350722001000", "专职/兼职": "兼职", 投入比例: share };
    return fillTemplate(fillTemplate(template, [tf], 0), [member], 1);
  };
  const upload = async (buffer) => {
    await page.locator("summary", { hasText: "从 Excel 导入专班" }).click();
    await page.locator("#tfi-file").setInputFiles({ name: "专班.xlsx", mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buffer });
    await Promise.all([page.waitForNavigation(), page.locator("#taskforce-import").getByRole("button", { name: "从 Excel 导入专班" }).click()]);
  };
  // Another township's code: the row is refused, named, and nothing is recorded (its member neither).
  await upload(file("350722101000"));
  // The refused file's page is a 400 on purpose: the browser logs it, nothing else may.
  const expected = errors.filter((e) => /status of 400 .*\/taskforces\/import$/.test(e));
  assert.equal(expected.length, 1, errors.join("\n"));
  errors.splice(errors.indexOf(expected[0]), 1);
  const msg = await page.locator(".error-message").innerText();
  assert.match(msg, /“工作专班”第2行：无权为.+设立专班/);
  assert.match(msg, /“专班成员”第2行/);
  assert.equal(await page.locator("#taskforces tbody tr").count(), before);
  // A good task force with a bad member: the task force is not set up either.
  await upload(file("350722001000", "130%"));
  assert.match(await page.locator(".error-message").innerText(), /^“专班成员”第2行：投入时间比例应在1%到100%之间$/);
  assert.equal(await page.locator("#taskforces tbody tr").count(), before);
  for (const e of errors.filter((e) => /status of 400 .*\/taskforces\/import$/.test(e))) errors.splice(errors.indexOf(e), 1);
  await upload(file("350722001000"));
  assert.match(page.url(), /done=import/);
  assert.equal(await page.locator("#taskforces tbody tr").count(), before + 1);
  await page.locator("#taskforces a", { hasText: "背街小巷整治专班" }).click();
  const members = await page.locator("#members tbody tr").allInnerTexts();
  assert.equal(members.length, 1);
  assert.match(members[0], new RegExp(unique[1]));
  assert.match(members[0], /30%/);
});

test("the county moves 2 posts to a township: 核定 and 空编 change, the document is in the history", async () => {
  const page = await as("demo_admin");
  await page.goto(server.url + "/staffing");
  const row = page.locator("#staffing-units tr[data-unit='350722001000'] td.total");
  const before = { approved: num(await row.getAttribute("data-approved")), filled: num(await row.getAttribute("data-filled")), vacant: num(await row.getAttribute("data-vacant")) };
  await page.locator("#mv-kind").selectOption("transfer");
  await page.locator("#mv-from").selectOption("350722D008");
  await page.locator("#mv-to").selectOption("350722001000");
  await page.locator("#mv-type").selectOption("career1");
  await page.locator("#mv-count").fill("2");
  await page.locator("#mv-doc").fill("浦委编〔2026〕21号");
  await page.locator("#mv-day").fill(`${year}-11-30`);
  await Promise.all([page.waitForURL(/done=move/), page.locator("#move-form").getByRole("button", { name: "调整编制" }).click()]);
  const after = { approved: num(await row.getAttribute("data-approved")), filled: num(await row.getAttribute("data-filled")), vacant: num(await row.getAttribute("data-vacant")) };
  assert.deepEqual(after, { approved: before.approved + 2, filled: before.filled, vacant: before.vacant + 2 });
  assert.match(await page.locator("#staffing-history").innerText(), /浦委编〔2026〕21号/);
  await page.goto(server.url + "/staffing?unit=350722001000");
  assert.match(await page.locator("#staffing-history").innerText(), /浦委编〔2026〕21号/);
  assert.match(await page.locator("#staffing-history").innerText(), /浦委编〔2026〕6号/, "the demo's 减县补乡 transfer");
  await screenshot(page, "orgledgers-staffing");
  for (const path of ["/staffing/export.xlsx", "/taskforces/export.xlsx"]) {
    const res = await page.request.get(server.url + path);
    assert.equal(res.status(), 200, path);
    assert.ok(sheetRows(await res.body()).length > 1, path);
  }
});

test("no page logged a console error", () => {
  assert.deepEqual(errors, []);
});
