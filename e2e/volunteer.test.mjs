// Volunteer service records in a real browser: the community's list of
// volunteers, a volunteer's record with verified and back-filled hours
// shown apart, a certificate printed from the ledger whose QR payload
// verifies at the public check (API and /verify page, no login), and the
// same payload with a changed hour figure that does not.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, login, demoPassword, screenshot } from "./harness.mjs";

let server, browser, page;
before(async () => {
  server = await startServer();
  browser = await launch();
  const ctx = await browser.newContext({ locale: "zh-CN", viewport: { width: 1366, height: 900 } });
  page = await ctx.newPage();
  await login(page, server.url, "demo_admin", demoPassword(server.demoUsers(), "demo_admin"));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// tamper changes the stated minutes of a payload and keeps its signature.
function tamper(payload, minutes) {
  const prefix = "GRV1.";
  const [body, sig] = payload.slice(prefix.length).split(".");
  const stated = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  stated.minutes = minutes;
  return prefix + Buffer.from(JSON.stringify(stated), "utf8").toString("base64url") + "." + sig;
}

let payload, hours;

test("a printed certificate carries a QR code and its signed payload", async () => {
  await page.goto(server.url + "/volunteers");
  const row = page.locator("#volunteers tr[data-certificates='1']").first();
  await row.locator("a").click();
  await page.waitForURL(/\/volunteers\/\d+$/);
  assert.match(await page.locator("#verified-hours").innerText(), /^\d+\.\d$/);
  assert.match(await page.locator("main").innerText(), /核验时长/);
  assert.match(await page.locator("main").innerText(), /补录时长/);
  await page.getByRole("link", { name: "打印证明" }).first().click();
  await page.waitForURL(/\/certificates\/ZYZM\d+$/);
  const cert = page.locator("#certificate");
  payload = await cert.getAttribute("data-payload");
  assert.ok(payload && payload.startsWith("GRV1."), "payload " + payload);
  const qr = page.locator("#cert-qr");
  assert.ok(await qr.isVisible());
  assert.ok((await qr.evaluate((i) => i.naturalWidth)) > 100, "the QR image decodes");
  assert.ok((await qr.getAttribute("src")).startsWith("data:image/png;base64,"));
  hours = (await page.locator("#cert-hours").innerText()).trim();
  assert.match(hours, /^\d+\.\d$/);
  await screenshot(page, "volunteer-certificate");
});

test("the payload verifies without login; a changed hour figure does not", async () => {
  const anon = await browser.newContext({ locale: "zh-CN" });
  const p = await anon.newPage();
  let res = await p.request.get(server.url + "/api/v1/certificates/verify?payload=" + encodeURIComponent(payload));
  assert.equal(res.status(), 200);
  const body = await res.json();
  assert.equal(body.valid, true);
  assert.equal((body.stated.minutes / 60).toFixed(1), hours);
  // Only what the certificate states: no ids, no ledger internals.
  assert.deepEqual(Object.keys(body).sort(), ["stated", "valid"]);
  assert.equal(body.stated.person_id, undefined);
  assert.equal(body.stated.payload, undefined);

  const bad = tamper(payload, body.stated.minutes + 6000);
  res = await p.request.get(server.url + "/api/v1/certificates/verify?payload=" + encodeURIComponent(bad));
  assert.equal(res.status(), 400);
  assert.match((await res.json()).error.message, /签名不符/);

  await p.goto(server.url + "/verify/" + payload);
  assert.match(await p.locator("#verify-result").innerText(), /核验通过/);
  assert.equal((await p.locator("#verify-hours").innerText()).trim(), hours);
  await p.goto(server.url + "/verify/" + bad);
  assert.match(await p.locator("#verify-result").innerText(), /核验未通过/);
  await anon.close();
});

test("a new certificate is registered and publicised before issue", async () => {
  await page.goto(server.url + "/volunteers");
  await page.locator("#volunteers tr[data-certificates='1'] a").first().click();
  await page.locator("summary", { hasText: "登记出具证明" }).click();
  await page.locator("#cert-from").fill("2025-01-01");
  await page.locator("#cert-to").fill("2026-12-31");
  await page.locator("#cert-responsible").fill("社区书记");
  await Promise.all([page.waitForURL(/done=certificate/), page.getByRole("button", { name: "登记出具证明" }).click()]);
  assert.match(await page.locator("main").innerText(), /公示中/);
});
