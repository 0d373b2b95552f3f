// No signal, no loss (issue 18): on a 360×740 phone the grid worker opens
// the report form, the signal goes, the report is kept on the phone (the
// page says so, and the form opens again from the phone's copy), the
// signal returns and the report is sent; sent twice (the same kept entry
// again), it still makes exactly one case.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, screenshot } from "./harness.mjs";

let server, browser;
const accounts = {};

before(async () => {
  server = await startServer();
  browser = await launch();
  for (const line of server.demoUsers().split("\n")) {
    const m = line.match(/^\s+(demo_\w+)\s+(\w+)\s+(\S+)\s+(\S+)\s+(.+?)\s*$/);
    if (m && m[1] !== "username") accounts[m[1]] = { role: m[2], password: m[3], unitCode: m[4], unitName: m[5] };
  }
  assert.ok(accounts.demo_grid, `demo_grid is in the demo users' file:\n${server.demoUsers()}`);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// kept reads the phone's outbox.
function kept(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open("grassroots-outbox", 1);
    r.onupgradeneeded = () => r.result.createObjectStore("posts", { keyPath: "id" });
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const q = r.result.transaction("posts").objectStore("posts").getAll();
      q.onsuccess = () => { r.result.close(); resolve(q.result); };
      q.onerror = () => reject(q.error);
    };
  }));
}

test("a report made without a signal is kept, then sent once", async () => {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: "zh-CN" });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push("uncaught: " + e.message));
  await login(page, server.url, "demo_grid", accounts.demo_grid.password);
  await page.goto(server.url + "/m/report");
  // The service worker is installed and keeps the page.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 15000 });

  const title = "离线上报 " + Date.now();
  await ctx.setOffline(true);
  await page.getByLabel("占道经营").check();
  await page.getByLabel("情况说明").fill(title + "：路口流动摊贩占道，山里没有信号");
  await page.getByRole("button", { name: "上报", exact: true }).click();
  const status = page.locator("[data-outbox-status]");
  await page.waitForFunction(() => document.querySelector("[data-outbox-status]")?.dataset.waiting === "1");
  assert.match(await status.innerText(), /没有信号：已保存在手机上/);
  assert.equal(await page.getByLabel("情况说明").inputValue(), "", "the form is cleared for the next report");
  const entries = await kept(page);
  assert.equal(entries.length, 1, "one report kept on the phone");
  await screenshot(page, "outbox-kept-360");

  // Without a signal the form opens from the phone's copy and says what waits.
  await page.reload();
  await page.waitForFunction(() => document.querySelector("[data-outbox-status]")?.dataset.waiting === "1");
  assert.ok(await page.getByRole("button", { name: "上报", exact: true }).isVisible(), "the report form opens without a signal");

  // The signal returns: the report is sent, and the phone keeps nothing.
  await ctx.setOffline(false);
  await page.evaluate(() => window.dispatchEvent(new Event("online")));
  await page.waitForFunction(() => document.querySelector("[data-outbox-status]")?.dataset.waiting === "0", null, { timeout: 15000 });
  assert.match(await status.innerText(), /已发送 1 条/);
  assert.equal((await kept(page)).length, 0);

  // The same kept entry sent again (a resend after a lost answer) makes no
  // second case.
  await page.evaluate((e) => new Promise((resolve, reject) => {
    const r = indexedDB.open("grassroots-outbox", 1);
    r.onsuccess = () => {
      const t = r.result.transaction("posts", "readwrite");
      t.objectStore("posts").put(e);
      t.oncomplete = () => { r.result.close(); resolve(); };
      t.onerror = () => reject(t.error);
    };
  }), entries[0]);
  await page.evaluate(() => window.dispatchEvent(new Event("online")));
  await page.waitForFunction(() => document.querySelector("[data-outbox-status]")?.dataset.waiting === "0" &&
    /已发送 1 条/.test(document.querySelector("[data-outbox-status]").textContent), null, { timeout: 15000 });

  await page.goto(server.url + "/m/cases?bucket=all&q=" + encodeURIComponent(title));
  const body = await page.locator("main").innerText();
  const times = body.split(title).length - 1;
  assert.equal(times, 1, `exactly one case titled ${title} in the grid's cases:\n${body}`);
  assert.deepEqual(errors, []);
  await ctx.close();
});
