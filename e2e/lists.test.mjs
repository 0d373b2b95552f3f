// The executable lists in a real browser: a clerk of the county's approval
// office (县委编办) registers matters, maintains each of the four lists with a
// reason for every change, reads a list's history, shows it as of a date and
// compares versions, downloads the template and an export and imports a
// filled-in file (refused whole for a bad row, then accepted with progress);
// a township asks for a power and the clerk grants it in a batch; and a
// county department's dispatch to a township is refused while the matter is
// not on the access list, then allowed once the clerk adds it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launch, login, screenshot } from "./harness.mjs";
import { readZip, sheetRows, fillTemplate } from "./xlsx.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// The users this test adds: the approval-office clerk (who may edit the
// lists because of the unit, not an administrator role), a street's clerk
// and a county department's clerk.
const users = {
  bianban: { password: "e2e-bianban-password", name: "编办干部", unit: "350722D001", role: "department" },
  nanpu: { password: "e2e-nanpu-password", name: "南浦街道干部", unit: "350722001000", role: "township" },
  zhujian: { password: "e2e-zhujian-password", name: "住建局干部", unit: "350722D002", role: "department" },
  // A 12345 call-taker: the call centre is the county unit by default.
  jiexian: { password: "e2e-jiexian-password", name: "12345话务员", unit: "350722000000", role: "department" },
};

// The matter the clerk registers, then puts on every list.
const matter = { code: "CF00210000", name: "对在城市道路两侧违规设置摊点的处罚", law: "城市市容和环境卫生管理条例", article: "第十四条" };

let server, browser;
const pages = {};
before(async () => {
  server = await startServer();
  browser = await launch();
  const db = server.output().match(/\(database ([^)]+)\)/)[1];
  for (const [username, u] of Object.entries(users)) {
    execFileSync(join(root, "bin", "grassroots"), ["user", "add", "--db", db, "--username", "e2e_" + username, "--password", u.password,
      "--name", u.name, "--unit", u.unit, "--role", u.role], { encoding: "utf8" });
  }
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// as returns a signed-in page for one of the users (a context each).
async function as(username) {
  if (pages[username]) return pages[username];
  const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  const page = await ctx.newPage();
  await login(page, server.url, "e2e_" + username, users[username].password);
  pages[username] = page;
  return page;
}

// day is a date in Asia/Shanghai as yyyy-mm-dd, offset by days from today.
function day(offset = 0) {
  return new Date(Date.now() + offset * 86400000).toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
}

// item is the form that adds or changes a list item.
const item = (page) => page.locator("form[action$='/items']");
const flash = async (page) => (await page.locator(".flash").first().innerText()).trim();
// row is the list table's row holding text (a matter code, a name).
const row = (page, ...texts) => texts.reduce((l, t) => l.filter({ hasText: t }), page.locator("main table.dense tbody tr"));
const count = async (page) => Number((await page.locator("main p.muted").filter({ hasText: /^共 \d+ 项$/ }).innerText()).match(/\d+/)[0]);

// save submits an item form and waits for the list it belongs to.
async function save(page, list) {
  await Promise.all([page.waitForURL(new RegExp(`/lists/${list}\\?ok=saved`)), page.getByRole("button", { name: "保存", exact: true }).click()]);
  assert.equal(await flash(page), "已保存，清单已生成新版本。");
}

// edit opens the item whose row holds texts on a list's page (filtered by q).
async function edit(page, list, q, ...texts) {
  await page.goto(server.url + `/lists/${list}?q=${encodeURIComponent(q)}`);
  await Promise.all([page.waitForURL(/\/item\?key=/), row(page, q, ...texts).getByRole("link", { name: "修改" }).click()]);
  assert.match(await page.locator("main h1").innerText(), /修改事项/);
}

// download clicks a link and returns the download's file name and bytes.
async function download(page, link) {
  const [d] = await Promise.all([page.waitForEvent("download"), link.click()]);
  return { name: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
}

test("the clerk registers a matter, and an invalid code is refused with the coding rule", async () => {
  const page = await as("bianban");
  await page.goto(server.url + "/lists/matters");
  const form = page.locator("#matter-form");
  await form.getByLabel("事项编码").fill("AB00210000");
  await form.getByLabel("事项名称").fill(matter.name);
  await form.getByLabel(/设定依据（法律法规名称/).fill(matter.law);
  await form.getByLabel("设定依据（条款）").fill(matter.article);
  await form.getByLabel("修改原因").fill("根据浦委编〔2026〕3号文件登记");
  await form.getByRole("button", { name: "保存" }).click();
  await page.waitForLoadState();
  const refusal = page.locator("#matter-form .error");
  assert.match(await refusal.innerText(), /事项编码“AB00210000”的类型代码“AB”不存在/);
  // The message is in view beside the focused code; what was typed is kept;
  // the matter is not in the catalogue.
  assert.ok(await refusal.evaluate((e) => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }), "the refusal is in view");
  assert.ok(await form.getByLabel("事项编码").evaluate((e) => e === document.activeElement));
  assert.equal(await form.getByLabel("事项名称").inputValue(), matter.name);
  assert.equal(await form.getByLabel("修改原因").inputValue(), "根据浦委编〔2026〕3号文件登记");
  assert.equal(await row(page, "AB00210000").count(), 0);
  await screenshot(page, "lists-matter-refused");

  await form.getByLabel("事项编码").fill(matter.code);
  await Promise.all([page.waitForURL(/\/lists\/matters\?ok=saved/), form.getByRole("button", { name: "保存" }).click()]);
  await page.goto(server.url + "/lists/matters?q=" + matter.code);
  const r = row(page, matter.code);
  assert.match(await r.innerText(), new RegExp(`${matter.name}\\s+行政处罚\\s+《${matter.law}》${matter.article}`));
});

test("the clerk adds and edits an item on each of the four lists, each with a reason", async () => {
  const page = await as("bianban");

  // The power list, for a township type.
  await page.goto(server.url + "/lists/power");
  await page.getByRole("link", { name: "新增事项" }).click();
  await item(page).getByLabel("乡镇类型").selectOption("城区街道");
  await item(page).getByLabel("事项", { exact: true }).selectOption(matter.code);
  await item(page).getByLabel("实施主体").fill("综合执法队");
  await item(page).getByLabel("责任事项").fill("1.立案责任：对巡查发现的违规摊点及时立案；2.调查责任：调查取证；3.决定责任：依法作出处罚决定。");
  await item(page).getByLabel("追责情形").fill("1.对违法行为不及时制止、处理，造成严重后果的；2.滥用职权、玩忽职守的。");
  await item(page).getByLabel("修改原因").fill("赋予城区街道违规摊点处罚权");
  await save(page, "power");
  await edit(page, "power", matter.code, "城区街道");
  await item(page).getByLabel("责任事项").fill("1.立案责任：对巡查发现的违规摊点及时立案；2.调查责任：调查取证，执法人员不少于两人；3.决定责任：依法作出处罚决定；4.送达责任：依法送达处罚决定书。");
  await item(page).getByLabel("修改原因").fill("补充送达责任");
  await save(page, "power");
  await page.goto(server.url + "/lists/power?q=" + matter.code);
  assert.match(await row(page, matter.code).innerText(), /城区街道[\s\S]*综合执法队[\s\S]*送达责任/);
  await screenshot(page, "lists-power");

  // The territorial list: a department's primary responsibility and the
  // township's supporting responsibility.
  await page.goto(server.url + "/lists/territorial/item");
  await item(page).getByLabel("主体责任部门", { exact: true }).selectOption("350722D003");
  await item(page).getByLabel("事项", { exact: true }).selectOption(matter.code);
  await item(page).getByLabel("部门主体责任").fill("负责违规摊点的查处和集中整治");
  await item(page).getByLabel("配合部门").fill("县市场监督管理局");
  await item(page).getByLabel("乡镇（街道）配合责任").fill("日常巡查发现、劝导，及时报告城管部门");
  await item(page).getByLabel("修改原因").fill("明确违规摊点的属地责任");
  await save(page, "territorial");
  await edit(page, "territorial", matter.code, "县城市管理和综合执法局");
  assert.equal(await item(page).getByLabel("配合部门").inputValue(), "350722D010");
  await item(page).getByLabel("乡镇（街道）配合责任").fill("日常巡查发现、劝导，及时报告城管部门，配合开展集中整治");
  await item(page).getByLabel("修改原因").fill("街道配合集中整治");
  await save(page, "territorial");
  await page.goto(server.url + "/lists/territorial?q=" + matter.code);
  assert.match(await row(page, matter.code).innerText(), /县城市管理和综合执法局[\s\S]*负责违规摊点的查处和集中整治[\s\S]*350722D010[\s\S]*配合开展集中整治/);

  // The access list: what a department may hand to the townships.
  await page.goto(server.url + "/lists/access/item");
  await item(page).getByLabel("县直部门", { exact: true }).selectOption("350722D003");
  await item(page).getByLabel("事项", { exact: true }).selectOption(matter.code);
  await item(page).getByLabel("准入工作内容").fill("巡查发现违规摊点并劝导");
  await item(page).getByLabel("修改原因").fill("城管局可交由街道的巡查劝导工作");
  await save(page, "access");
  await edit(page, "access", matter.code, "县城市管理和综合执法局");
  await item(page).getByLabel("准入工作内容").fill("巡查发现违规摊点，劝导并报告");
  await item(page).getByLabel("备注").fill("不含处罚决定");
  await item(page).getByLabel("修改原因").fill("明确只交办巡查劝导");
  await save(page, "access");
  await page.goto(server.url + "/lists/access?q=" + matter.code);
  assert.match(await row(page, matter.code).innerText(), /劝导并报告[\s\S]*不含处罚决定/);

  // The empowerment list, in a new batch.
  await page.goto(server.url + "/lists/requests");
  const batch = page.locator("form[action='/lists/batches']");
  await batch.getByLabel("批次").fill("第二批");
  await batch.getByLabel("赋权文号").fill("浦委编〔2026〕3号");
  await batch.getByLabel("生效日期").fill(day());
  await Promise.all([page.waitForURL(/ok=batch/), batch.getByRole("button", { name: "登记批次" }).click()]);
  assert.match(await page.locator("main section").filter({ hasText: "赋权批次" }).innerText(), /第二批\s+浦委编〔2026〕3号/);
  await page.goto(server.url + "/lists/empowerment/item");
  await item(page).getByLabel("乡镇类型").selectOption("城区街道");
  await item(page).getByLabel("事项", { exact: true }).selectOption(matter.code);
  await item(page).getByLabel("批次").selectOption("第二批");
  await item(page).getByLabel("修改原因").fill("第二批赋权：违规摊点处罚");
  await save(page, "empowerment");
  await edit(page, "empowerment", matter.code, "城区街道");
  await item(page).getByLabel("备注").fill("限城区主干道以外区域");
  await item(page).getByLabel("修改原因").fill("明确赋权范围");
  await save(page, "empowerment");
  await page.goto(server.url + "/lists/empowerment?q=" + matter.code);
  assert.match(await row(page, matter.code).innerText(), /城区街道[\s\S]*第二批\s+浦委编〔2026〕3号[\s\S]*限城区主干道以外区域/);
});

test("the clerk reads a list's history, shows it as of a date and compares two versions", async () => {
  const page = await as("bianban");
  await page.goto(server.url + "/lists/power");
  await page.getByRole("link", { name: "修改记录" }).click();
  await page.waitForURL(/\/lists\/power\/history/);
  const versions = page.locator("main table.dense tbody tr");
  assert.equal(await versions.count(), 3);
  assert.match(await versions.nth(0).innerText(), /第3版[\s\S]*e2e_bianban\s+补充送达责任\s+0\s+1\s+0/);
  assert.match(await versions.nth(1).innerText(), /第2版[\s\S]*e2e_bianban\s+赋予城区街道违规摊点处罚权\s+1\s+0\s+0/);
  assert.match(await versions.nth(2).innerText(), /第1版[\s\S]*演示数据/);
  await screenshot(page, "lists-history");

  // Compare the addition with the edit, item by item.
  // The form proposes the latest change: version 2 to version 3.
  const compare = page.locator("form[action='/lists/power/compare']");
  assert.equal(await compare.getByLabel("从").inputValue(), "2");
  assert.equal(await compare.getByLabel("到").inputValue(), "3");
  await Promise.all([page.waitForURL(/compare\?a=2&b=3/), compare.getByRole("button", { name: "比较版本" }).click()]);
  const diffs = page.locator("main table.dense tbody tr");
  assert.equal(await diffs.count(), 1);
  assert.match(await diffs.innerText(), new RegExp(`修改\\s+${matter.code}\\s+${matter.name}\\s+城区街道\\s+责任事项`));
  assert.match(await diffs.locator("del").innerText(), /调查取证；3\.决定责任/);
  assert.match(await diffs.locator("ins").innerText(), /4\.送达责任/);
  await screenshot(page, "lists-compare");

  // Version 2 as it was: the item without the later duty, no edit links.
  await page.goto(server.url + "/lists/power/history");
  await versions.nth(1).getByRole("link", { name: "查看该版" }).click();
  await page.waitForURL(/version=2/);
  assert.match(await page.locator("main h1").innerText(), /第2版 · 历史版本/);
  await page.getByLabel("名称或编码").fill(matter.code);
  await page.getByRole("button", { name: "筛选" }).click();
  await page.waitForURL(/q=CF00210000/);
  const old = row(page, matter.code);
  assert.match(await old.innerText(), /调查取证；3\.决定责任/);
  assert.doesNotMatch(await old.innerText(), /送达责任/);
  assert.equal(await page.getByRole("link", { name: "修改", exact: true }).count(), 0);
  const exported = await download(page, page.getByRole("link", { name: "导出Excel" }));
  assert.match(exported.name, /^权责清单-第2版-CF00210000-\d{8}\.xlsx$/); // the list, its version, the filter and the day
  assert.ok(sheetRows(exported.bytes).some((r) => r.includes(matter.code) && !r.join("").includes("送达责任")));

  // As of a date: yesterday, before the demo lists were loaded, the list
  // was empty; today it is the current version.
  await page.goto(server.url + "/lists/power/history");
  await page.getByLabel("查看某日清单").fill(day(-1));
  await Promise.all([page.waitForURL(/\/lists\/power\?at=/), page.getByRole("button", { name: "查看", exact: true }).click()]);
  assert.match(await page.locator("main h1").innerText(), /第0版 · 历史版本/);
  assert.equal(await count(page), 0);
  await page.getByLabel("查看某日清单").fill(day());
  await page.getByRole("button", { name: "筛选" }).click();
  await page.waitForURL(new RegExp("at=" + day()));
  assert.match(await page.locator("main h1").innerText(), /第3版$/);
  assert.ok((await count(page)) > 50);
});

test("the clerk downloads the template and an export, and imports a file: a bad row refuses it whole, then a good file goes in", async () => {
  const page = await as("bianban");
  await page.goto(server.url + "/lists/access");
  const before = await count(page);
  const template = await download(page, page.getByRole("link", { name: "下载导入模板" }));
  assert.equal(template.name, "职责准入清单模板.xlsx");
  assert.equal(template.bytes.subarray(0, 2).toString(), "PK");
  assert.ok(readZip(template.bytes).has("xl/workbook.xml"));
  assert.deepEqual(sheetRows(template.bytes)[0], ["县直部门", "事项名称", "事项类型", "事项编码", "设定依据", "准入工作内容", "备注"]);
  const exported = await download(page, page.getByRole("link", { name: "导出Excel" }));
  assert.match(exported.name, /^职责准入清单-\d{8}\.xlsx$/);
  const rows = sheetRows(exported.bytes);
  assert.equal(rows.length, before + 1);
  assert.ok(rows.some((r) => r[0] === "县住房和城乡建设局" && r[3] === "JC00603000" && r[5] === "配合开展燃气安全宣传和入户排查"));

  const good = [
    { 县直部门: "县城市管理和综合执法局", 事项名称: "对擅自设置户外广告设施的处罚", 事项类型: "行政处罚", 事项编码: "CF00209000", 准入工作内容: "巡查发现违规设置的户外广告设施，及时报告并配合拆除" },
    { 县直部门: "县应急管理局", 事项名称: "对小型水库安全运行的监督检查", 事项类型: "行政检查", 事项编码: "JC00605000", 设定依据: "《水库大坝安全管理条例》第二十二条", 准入工作内容: "汛期开展小型水库巡查，发现险情及时报告" },
  ];
  const bad = [
    good[0],
    { ...good[1], 事项编码: "XX00605000" },
    { ...good[0], 县直部门: "县不存在局" },
  ];
  const upload = async (rows, reason) => {
    await page.goto(server.url + "/lists/access");
    await page.locator("#import-file").setInputFiles({ name: "职责准入清单.xlsx", mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buffer: fillTemplate(template.bytes, rows) });
    await page.getByLabel("修改原因").fill(reason);
    await page.getByRole("button", { name: "检查并导入" }).click();
    await page.waitForLoadState();
  };

  await upload(bad, "2026年第二季度准入清单调整");
  const errors = page.locator("section.import-errors");
  assert.match(await errors.locator("h2").innerText(), /2/);
  const errRows = errors.locator("tbody tr");
  assert.equal(await errRows.count(), 2);
  assert.match(await errRows.nth(0).innerText(), /^3\s+.*类型代码“XX”不存在/);
  assert.match(await errRows.nth(1).innerText(), /^4\s+.*县不存在局/);
  await screenshot(page, "lists-import-errors");
  // Nothing was written: not even the good first row.
  await page.goto(server.url + "/lists/access?q=CF00209000");
  assert.equal(await count(page), 0);
  await page.goto(server.url + "/lists/access");
  assert.equal(await count(page), before);

  await upload(good, "2026年第二季度准入清单调整");
  await page.waitForURL(/\/lists\/access\/imports\//);
  const status = page.locator("#import-status");
  assert.equal(await status.locator("progress").count(), 1);
  await status.getByText("导入完成").waitFor();
  assert.equal(await status.locator("progress").getAttribute("value"), "100");
  assert.match(await status.locator(".flash").innerText(), /新增2项，修改0项，移出0项，新登记事项1个/);
  await screenshot(page, "lists-import-done");
  await status.getByRole("link", { name: "返回清单" }).click();
  await page.waitForURL(/\/lists\/access$/);
  assert.equal(await count(page), before + 2);
  assert.match(await row(page, "CF00209000").innerText(), /县城市管理和综合执法局[\s\S]*及时报告并配合拆除/);
  assert.match(await row(page, "JC00605000").innerText(), /县应急管理局[\s\S]*对小型水库安全运行的监督检查[\s\S]*《水库大坝安全管理条例》第二十二条/);
  await page.goto(server.url + "/lists/access/history");
  assert.match(await page.locator("main table.dense tbody tr").first().innerText(), /2026年第二季度准入清单调整\s+2\s+0\s+0/);
});

test("empowerment: the township asks for a power (基层点单) and the clerk grants it in a batch (赋权下单)", async () => {
  const town = await as("nanpu");
  // The township reads the lists but may not change them.
  await town.goto(server.url + "/lists/power");
  assert.equal(await town.getByRole("link", { name: "新增事项" }).count(), 0);
  await town.goto(server.url + "/lists/requests");
  await town.getByLabel("事项", { exact: true }).selectOption("CF00209000");
  await town.getByLabel("申请理由").fill("主城区违规户外广告多，报县城管局处理周期长，申请由街道综合执法队直接处罚");
  await Promise.all([town.waitForURL(/ok=requested/), town.getByRole("button", { name: "提交申请" }).click()]);
  assert.equal(await flash(town), "申请已提交，等待县委编办审核。");
  assert.match(await row(town, "CF00209000").innerText(), /南浦街道\s+城区街道[\s\S]*待审核/);

  const clerk = await as("bianban");
  await clerk.goto(server.url + "/lists/requests?status=pending");
  await clerk.getByLabel("南浦街道 对擅自设置户外广告设施的处罚").check();
  const grant = clerk.locator("#grant-form");
  await grant.locator("select[name=batch]").selectOption("第二批");
  await grant.locator("input[name=note]").fill("同意，纳入第二批赋权");
  await screenshot(clerk, "lists-requests");
  await Promise.all([clerk.waitForURL(/ok=granted/), grant.getByRole("button", { name: "赋权下单（勾选的申请）" }).click()]);
  assert.equal(await flash(clerk), "已赋权，赋权清单已更新。");
  await clerk.goto(server.url + "/lists/empowerment?township_type=城区街道&q=CF00209000");
  assert.match(await row(clerk, "CF00209000").innerText(), /城区街道[\s\S]*对擅自设置户外广告设施的处罚[\s\S]*第二批\s+浦委编〔2026〕3号/);

  await town.goto(server.url + "/lists/requests");
  assert.match(await row(town, "CF00209000").innerText(), /已赋权 第二批[\s\S]*同意，纳入第二批赋权/);
});

test("a department's hand-over to a township is refused while the matter is off the access list, and allowed once it is on", async () => {
  // The 12345 call centre gives 县住房和城乡建设局 a complaint about dust from
  // a building site (工地扬尘, the matter 对施工工地未采取扬尘污染防治措施的处罚);
  // 住建局 asks 南浦街道 to take part (增加协办单位): its access list holds
  // only the gas-safety checks.
  const clerk = await as("bianban");
  const byDept = clerk.locator("main section").filter({ hasText: "按部门统计" }).locator("tbody tr").filter({ hasText: "县住房和城乡建设局" });
  // attempts reads 住建局's row of the report: total, allowed, refused, by exception.
  const attempts = async () => {
    await clerk.goto(server.url + "/lists/attempts");
    if (!(await byDept.count())) return [0, 0, 0, 0];
    return (await byDept.locator("td").allInnerTexts()).slice(1).map(Number);
  };
  const [total, allowed, refused, excepted] = await attempts();
  const op = await as("jiexian");
  await op.goto(server.url + "/cases/new");
  await op.getByLabel("诉求类型").selectOption("complaint");
  await op.locator("#f-category").fill("S08004");
  await op.getByLabel(/^标题/).fill("仙楼路工地夜间扬尘严重");
  await op.locator("#f-place").fill("350722001000");
  await op.getByLabel(/立即派单给/).fill("350722D002");
  await Promise.all([op.waitForURL(/\/cases\/350722-\d{8}-\d+\?created=1/), op.getByRole("button", { name: "受理" }).click()]);
  const no = op.url().match(/\/cases\/([^?]+)/)[1];
  const dept = await as("zhujian");
  const dispatch = async () => {
    await dept.goto(server.url + "/cases/" + no);
    const form = dept.locator("form[action$='/actions/add_supporting']");
    const details = dept.locator("details:has(form[action$='/actions/add_supporting'])");
    if ((await details.count()) && !(await details.evaluate((d) => d.open))) await details.locator("summary").click();
    await form.locator("input[name=unit]").fill("350722001000");
    await form.locator("button[type=submit]").click();
    await dept.waitForLoadState();
  };
  await dispatch();
  assert.match(await dept.locator("main .flash").innerText(),
    /根据职责准入清单，县住房和城乡建设局不得将“对施工工地未采取扬尘污染防治措施的处罚”事项交由南浦街道办理（清单第\d+版）/);
  assert.match(await dept.locator(".case-top").innerText(), /已派单/);
  await screenshot(dept, "lists-dispatch-refused");

  // The attempts report shows the refusal by department.
  assert.deepEqual(await attempts(), [total + 1, allowed, refused + 1, excepted]);
  const attempt = clerk.locator("main section").filter({ hasText: "最近的交办记录" }).locator("tbody tr").filter({ hasText: no });
  assert.match(await attempt.innerText(), /县住房和城乡建设局\s+南浦街道[\s\S]*CF00206000 \(S08004\)[\s\S]*拦截/);
  await screenshot(clerk, "lists-attempts");

  // The clerk puts the matter on 住建局's access list.
  await clerk.goto(server.url + "/lists/access/item");
  await item(clerk).getByLabel("县直部门", { exact: true }).selectOption("350722D002");
  await item(clerk).getByLabel("事项", { exact: true }).selectOption("CF00206000");
  await item(clerk).getByLabel("准入工作内容").fill("发现工地扬尘问题及时劝导、报告，配合开展联合检查");
  await item(clerk).getByLabel("修改原因").fill("工地扬尘巡查纳入街道准入事项");
  await save(clerk, "access");

  // The same hand-over now goes through.
  await dispatch();
  await dept.waitForURL(/\?done=add_supporting/);
  assert.match(await dept.locator("ol.timeline").innerText(), /增加协办单位[\s\S]*南浦街道/);
  assert.deepEqual(await attempts(), [total + 2, allowed + 1, refused + 1, excepted]);
  assert.deepEqual((await attempt.locator("td:last-child .tag").allInnerTexts()).map((t) => t.trim()), ["准入", "拦截"]);
});
