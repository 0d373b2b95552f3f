// Shared helpers for the browser tests: start a grassroots server on a fresh
// SQLite database with the demo data, and drive Debian's Chromium through
// playwright-core (never a downloaded browser).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const adminPassword = "e2e-admin-password-1";
export const artifacts = join(root, "e2e", "artifacts");

// startServer runs bin/grassroots serve on a free port and resolves when it
// prints its address. extraEnv adds environment variables.
export async function startServer({ demo = true, extraEnv = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "grassroots-e2e-"));
  const args = ["serve", "--db", join(dir, "e2e.db"), "--addr", "127.0.0.1:0", "--log-format", "json"];
  if (demo) args.push("--demo");
  const proc = spawn(join(root, "bin", "grassroots"), args, {
    env: { ...process.env, GRASSROOTS_ADMIN_PASSWORD: adminPassword, GRASSROOTS_SWEEP_INTERVAL: "1s", ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let errOut = "";
  proc.stderr.on("data", (d) => { errOut += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start in 60 s:\n" + out + errOut)), 60000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${out}${errOut}`)); });
  });
  return {
    url,
    // db is the server's SQLite file, for a command run beside it
    // (grassroots import grids --db ...).
    db: join(dir, "e2e.db"),
    output: () => out,
    // With its output not a terminal, serve writes the demo users' passwords
    // to a private file of its data folder, never to the log.
    demoUsers: () => {
      const f = join(dir, "demo-users.txt");
      return existsSync(f) ? readFileSync(f, "utf8") : "";
    },
    stop: async () => {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// demoPassword reads a demo user's password from the table of server.demoUsers().
export function demoPassword(output, username) {
  const m = output.match(new RegExp(username + "\\s+\\S*\\s*(?:\\S+\\s+)*?([A-Za-z0-9_-]{10,})"));
  return m ? m[1] : null;
}

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return browser;
}

// login signs in through the login page.
export async function login(page, base, username, password) {
  await page.goto(base + "/login");
  await page.getByLabel(/用户名|Username/).fill(username);
  await page.getByLabel(/密码|Password/).fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login")), page.getByRole("button", { name: /登录|Sign in/ }).click()]);
}

export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, name + ".png"), fullPage: true });
}
