// The organisation browser: an administrator signs in and walks from 浦城县
// down to a village and one of its grids.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, adminPassword, screenshot } from "./harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("admin walks the organisation tree from the county to a grid", async () => {
  const page = await browser.newPage();
  await login(page, server.url, "admin", adminPassword);
  await page.goto(server.url + "/org");
  const main = page.locator("main");
  await assert.doesNotReject(main.getByRole("link", { name: "浦城县" }).first().waitFor());
  // The county lists its 19 township-level units.
  await main.getByRole("link", { name: "浦城县" }).first().click();
  await page.waitForURL(/\/org\/350722000000/);
  assert.equal(await main.locator("a[href^='/org/350722'][href$='000']").filter({ hasText: /街道|镇|乡/ }).count(), 19);
  await main.getByRole("link", { name: "南浦街道" }).first().click();
  await page.waitForURL(/\/org\/350722001000/);
  assert.match(await page.locator("main").innerText(), /南浦街道/);
  // A village under a township (仙阳镇 is a 镇 with villages).
  await page.goto(server.url + "/org/350722000000");
  await main.getByRole("link", { name: "仙阳镇" }).first().click();
  const village = page.locator("main a[href^='/org/350722']").filter({ hasText: /村/ }).first();
  const villageName = (await village.innerText()).trim();
  await village.click();
  assert.match(await page.locator("main h1").innerText(), new RegExp(villageName));
  // One of its grids.
  const grid = page.locator("main a[href*='G0']").first();
  await grid.click();
  await page.waitForURL(/G0\d/);
  assert.match(await page.locator("main").innerText(), /网格/);
  await screenshot(page, "org-grid");
});

test("the login page refuses a wrong password with a clear message", async () => {
  const page = await browser.newPage();
  await page.goto(server.url + "/login");
  await page.getByLabel(/用户名|Username/).fill("admin");
  await page.getByLabel(/密码|Password/).fill("wrong-password-123");
  await page.getByRole("button", { name: /登录|Sign in/ }).click();
  assert.match(await page.locator("main").innerText(), /用户名或密码|incorrect/);
});

test("admin adds a livelihood category, renames it, takes it out of use and back", async () => {
  const page = await browser.newPage();
  await login(page, server.url, "admin", adminPassword);
  await page.goto(server.url + "/admin/categories");
  const add = page.locator("#add");
  await add.getByLabel("编码").fill("L9001");
  await add.getByLabel("名称").fill("楼道照明");
  await add.getByRole("button", { name: "增加分类" }).click();
  await page.waitForURL(/saved=L9001/);
  const row = page.locator("tr#cat-L9001");
  assert.match(await row.innerText(), /楼道照明/);
  // The rename form opens for this row only.
  await row.getByRole("link", { name: "改名" }).click();
  await page.waitForURL(/edit=L9001/);
  assert.equal(await page.locator("form[action$='/name']").count(), 1);
  await page.locator("#name-L9001").fill("楼道公共照明");
  await page.locator("tr#cat-L9001").getByRole("button", { name: "改名" }).click();
  await page.waitForURL(/saved=L9001/);
  assert.match(await page.locator("tr#cat-L9001").innerText(), /楼道公共照明/);
  // Out of use and back, each row's button posting through the page's one toggle form.
  await page.locator("tr#cat-L9001").getByRole("button", { name: "停用" }).click();
  await page.waitForURL(/done=deactivated/);
  assert.match(await page.locator("main").innerText(), /已停用分类 L9001/);
  assert.match(await page.locator("tr#cat-L9001").innerText(), /已停用/);
  await page.locator("tr#cat-L9001").getByRole("button", { name: "启用" }).click();
  await page.waitForURL(/done=activated/);
  assert.doesNotMatch(await page.locator("tr#cat-L9001").innerText(), /已停用/);
  await screenshot(page, "categories-admin");
});
