// Maps that draw and pages without console errors: the case page's map shows
// the case's point and its grid's outline on a desk and on a 390px phone, and
// the main pages of each kind of user log no error (no Content-Security-Policy
// violation, no script error, no missing file).
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
    if (m && m[1] !== "username") accounts[m[1]] = { password: m[3] };
  }
  assert.ok(accounts.demo_admin && accounts.demo_grid, "demo users are listed:\n" + server.demoUsers());
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// watch collects the console errors and uncaught exceptions of a page.
function watch(page) {
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${m.text()} @ ${m.location().url}`); });
  page.on("pageerror", (e) => errors.push("uncaught: " + e.message));
  return errors;
}

async function signedIn(user, viewport) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const errors = watch(page);
  await login(page, server.url, user, accounts[user].password);
  return { ctx, page, errors };
}

// aCaseWithPoint is a demo case whose page has a map.
async function aCaseWithPoint(page) {
  await page.goto(server.url + "/cases?flow=grid_event");
  const hrefs = await page.locator("a[href^='/cases/350722-']").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  for (const href of hrefs.slice(0, 10)) {
    await page.goto(server.url + href);
    if (await page.locator("[data-map]").count()) return href;
  }
  throw new Error("no demo case with a map among " + hrefs.slice(0, 10).join(", "));
}

for (const [name, viewport] of [["desk", { width: 1280, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
  test(`the case page draws its point and grid outline (${name})`, async () => {
    const { ctx, page, errors } = await signedIn("demo_admin", viewport);
    const href = await aCaseWithPoint(page);
    const map = page.locator("[data-map]").first();
    await map.scrollIntoViewIfNeeded();
    await page.waitForSelector("[data-map].map-drawn");
    // Leaflet draws the outlines and the point as SVG paths of the overlay
    // pane: the grid's outline, the point and, fetched, the county beneath.
    await page.waitForFunction((el) => el.querySelectorAll(".leaflet-overlay-pane path").length >= 3, await map.elementHandle());
    const paths = await map.locator(".leaflet-overlay-pane path").count();
    assert.ok(paths >= 3, `the map of ${href} draws the grid, the point and the county (${paths} paths)`);
    const box = await map.boundingBox();
    assert.ok(box.width > 200 && box.height > 150, `the map has a size on the ${name} (${JSON.stringify(box)})`);
    await screenshot(page, `map-case-${name}`);
    assert.deepEqual(errors, [], `no console error on ${href}`);
    await ctx.close();
  });
}

test("a click on the call-taker form's map fills the point", async () => {
  const { ctx, page, errors } = await signedIn("demo_admin", { width: 1280, height: 900 });
  await page.goto(server.url + "/cases/new");
  const map = page.locator(".pick-map");
  await map.scrollIntoViewIfNeeded();
  // The county's outline arrives and the map fits it.
  await page.waitForFunction(() => document.querySelectorAll(".pick-map .leaflet-overlay-pane path").length >= 1);
  const box = await map.boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const lng = parseFloat(await page.locator("#f-lng").inputValue());
  const lat = parseFloat(await page.locator("#f-lat").inputValue());
  // Pucheng lies around 118.2–118.9 E, 27.5–28.4 N.
  assert.ok(lng > 118 && lng < 119.2 && lat > 27.3 && lat < 28.6, `the click picked a point in the county: ${lng}, ${lat}`);
  await page.waitForSelector("#nearby");
  assert.deepEqual(errors, [], "no console error on the call-taker form");
  await ctx.close();
});

test("main pages log no console error", async () => {
  const pages = {
    demo_admin: ["/", "/cases", "/cases/new", "/stats", "/whistles", "/township-calls", "/enforcement", "/service", "/org"],
    demo_grid: ["/m", "/m/report"],
  };
  for (const [user, paths] of Object.entries(pages)) {
    const { ctx, page, errors } = await signedIn(user, user === "demo_grid" ? { width: 390, height: 844 } : { width: 1280, height: 900 });
    for (const p of paths) {
      const before = errors.length;
      const resp = await page.goto(server.url + p);
      assert.ok(resp.ok(), `${user} opens ${p}: ${resp.status()}`);
      await page.waitForLoadState("load");
      assert.deepEqual(errors.slice(before), [], `${user} on ${p} logs no console error`);
    }
    await ctx.close();
  }
  const anon = await browser.newContext();
  const page = await anon.newPage();
  const errors = watch(page);
  for (const p of ["/portal", "/portal/report", "/login"]) {
    const resp = await page.goto(server.url + p);
    assert.ok(resp.ok(), `a resident opens ${p}: ${resp.status()}`);
    await page.waitForLoadState("load");
  }
  assert.deepEqual(errors, [], "the portal logs no console error");
  await anon.close();
});
