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
