import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { Client } from "@langchain/langgraph-sdk";
import { ROOT } from "./cli.js";

/** How long the server may take to answer after it is started. */
export const DEV_SERVER_STARTUP_MS = 90_000;

/** The project's `langgraphjs dev` server, started by a test file. */
export interface DevServer {
  url: string;
  client: Client;
  /** The last 20,000 characters it printed (for failure messages). */
  output(): string;
  /** Ends its process group: SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => ok(port));
    });
  });
}

/**
 * Start `langgraphjs dev` from the project root on a free port of 127.0.0.1, with `env` over the test's environment,
 * and wait until it answers `/ok`.
 */
export async function startDevServer(env: Record<string, string | undefined> = {}): Promise<DevServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // --no-reload: other files of the tree may change during the test; the server must not restart under it.
  const server = spawn(
    "npx",
    ["langgraphjs", "dev", "--port", String(port), "--host", "127.0.0.1", "--no-browser", "--no-reload"],
    {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      // The server's schema extraction (a TypeScript type-check of the graph module in a worker) stops at 30 s by
      // default, which a loaded 2-core machine can reach; its own setting gives it the test's time instead.
      env: {
        ...process.env,
        BROWSER: "none",
        LANGGRAPH_CLI_NO_ANALYTICS: "1",
        LANGSMITH_TRACING: "false",
        LANGCHAIN_TRACING_V2: "false",
        LANGGRAPH_SCHEMA_RESOLVE_TIMEOUT_MS: "80000",
        ...env,
      },
    },
  );
  let output = "";
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-20_000);
  };
  server.stdout?.on("data", keep);
  server.stderr?.on("data", keep);

  const stop = async () => {
    if (!server.pid || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise<void>((ok) => server.once("exit", () => ok()));
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-server.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + DEV_SERVER_STARTUP_MS;
  try {
    for (;;) {
      if (server.exitCode !== null) throw new Error(`dev server exited (${server.exitCode}):\n${output}`);
      if (Date.now() >= deadline)
        throw new Error(`dev server did not answer within ${DEV_SERVER_STARTUP_MS} ms:\n${output}`);
      try {
        const res = await fetch(`${url}/ok`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, client: new Client({ apiUrl: url }), output: () => output, stop };
}
