// The page loads in headless Chromium (Debian's, driven by playwright-core), with no console
// errors, and its wasm is served as application/wasm. `cargo xtask test` serves www/ and passes
// its address in LAYERLAB_URL. This file is also the template for the page's own tests: the
// launch arguments are the ones that work on these machines (see TOOLCHAIN.md).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { serve } from "./server.mjs";

// Run on its own (`node --test e2e/`), it serves www/ itself, as the page's other tests do.
let url = process.env.LAYERLAB_URL;
let server;
let browser;

before(async () => {
  if (!url) {
    server = await serve();
    url = server.url;
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("the page loads, takes a command and logs no errors", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  const input = page.locator('[aria-label="command"]');
  await input.waitFor();
  await input.fill("rm /etc/hosts");
  await input.press("Enter");
  await page.waitForFunction(() => document.body.textContent.includes("whiteout"));
  assert.deepEqual(errors, []);
  await page.close();
});

test("the wasm module is served as application/wasm", async () => {
  const page = await browser.newPage();
  const response = await page.request.get(new URL("pkg/layerlab_bg.wasm", url).href);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()["content-type"], "application/wasm");
  await page.close();
});
