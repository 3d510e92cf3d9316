// Playwright drives Debian's Chromium (/usr/bin/chromium): browser downloads
// do not work on this machine. The web server is the demo's own static
// server, which sends COOP/COEP everywhere except under /noiso/.
import { defineConfig } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 8797);
const baseURL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: "./tests",
  testMatch: "**/*.spec.mjs",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: process.env.E2E_JSON ? [["list"], ["json", { outputFile: process.env.E2E_JSON }]] : "list",
  use: {
    baseURL,
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    },
    trace: "off",
  },
  webServer: {
    command: "node ../web-demo/server.mjs",
    env: { PORT: String(PORT) },
    url: `${baseURL}/web-demo/`,
    reuseExistingServer: false,
    timeout: 20_000,
    stdout: "ignore",
    stderr: "pipe",
  },
});
