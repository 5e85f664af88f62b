/**
 * Hostile programs: each must be contained, and the host must be unharmed afterwards.
 *
 * Decision recorded here: system files under /usr are readable inside the sandbox (read-only), and /etc is a
 * synthetic one (hostname "sandbox", a passwd with the sandbox user). The host's /tmp, /root, /home, /var and the
 * project are not there at all, so secrets planted in them cannot be read.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requiredLayers, runProgram, sandboxCapabilities } from "../../tools/code/index.js";

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const token = `secret-${randomBytes(12).toString("hex")}`;
let plantDir: string;
let plantFile: string;

/** A number unique to this test run, usable as a `sleep` argument that marks the process. */
const mark = () => `4${Math.floor(Math.random() * 1e8)}`;

function strays(marker: string): string {
  try {
    return execFileSync("pgrep", ["-af", marker], { encoding: "utf8" }).trim();
  } catch {
    return ""; // pgrep exits 1 when nothing matches
  }
}

beforeAll(async () => {
  const caps = await sandboxCapabilities();
  for (const layer of requiredLayers("javascript")) expect(caps.available, `layer ${layer}`).toContain(layer);
  plantDir = await mkdtemp(join(tmpdir(), "so-hostile-"));
  plantFile = join(plantDir, "secret.txt");
  await writeFile(plantFile, token);
  process.env.SO_HOSTILE_SECRET = token;
});

afterAll(async () => {
  delete process.env.SO_HOSTILE_SECRET;
  await rm(plantDir, { recursive: true, force: true });
});

describe("runaway programs", () => {
  it("stops a python infinite loop at the wall limit and kills its children", async () => {
    const m = mark();
    const r = await runProgram({
      language: "python",
      source: `import subprocess\nsubprocess.Popen(["sleep", "${m}"])\nprint("looping", flush=True)\nwhile True:\n    pass\n`,
      // Long enough for python to start and print on a busy machine; the loop never ends whatever the speed.
      timeoutMs: 3_000,
      cpuSeconds: 30,
    });
    expect(r.timedOut).toBe(true);
    expect(r.limit).toBe("wall");
    expect(r.stdout).toContain("looping");
    expect(strays(m)).toBe("");
  });

  it("stops a javascript infinite loop at the wall limit", async () => {
    const r = await runProgram({ language: "javascript", source: "for (;;) {}", timeoutMs: 1_000, cpuSeconds: 30 });
    expect(r.timedOut).toBe(true);
    expect(r.limit).toBe("wall");
  });

  it("stops a busy loop at the CPU limit before the wall limit", async () => {
    const r = await runProgram({
      language: "python",
      source: "while True:\n    pass\n",
      timeoutMs: 8_000,
      cpuSeconds: 1,
    });
    expect(r.timedOut).toBe(false);
    expect(r.signal).toBe("SIGXCPU");
    expect(r.limit).toBe("cpu");
  });

  it("contains a python memory bomb", async () => {
    const r = await runProgram({
      language: "python",
      source: "chunks = []\nwhile True:\n    chunks.append(bytearray(10_000_000))\n",
      memoryMb: 128,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.limit).toBe("memory");
  });

  it("contains a javascript memory bomb outside the V8 heap (cgroup)", async () => {
    const r = await runProgram({
      language: "javascript",
      source: "const a = []; for (;;) a.push(Buffer.alloc(10_000_000, 1));",
      memoryMb: 128,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.limit).toBe("memory");
  });

  it("contains a javascript heap bomb", async () => {
    const r = await runProgram({
      language: "javascript",
      source: "const a = []; for (;;) a.push(new Array(1e6).fill(Math.random()));",
      memoryMb: 128,
    });
    expect(r.exitCode === 0 && r.signal === null).toBe(false);
    expect(r.limit).toBe("memory");
  });

  it("refuses forks past the process limit, and kills the forked children after the run", async () => {
    const m = mark();
    const source = [
      "import os",
      "n = 0",
      "try:",
      "    while True:",
      "        if os.fork() == 0:",
      `            os.execv("/bin/sleep", ["sleep", "${m}"])`,
      "        n += 1",
      "except OSError as e:",
      "    print('fork refused after', n, flush=True)",
    ].join("\n");
    const r = await runProgram({ language: "python", source, maxProcesses: 16, timeoutMs: 5_000 });
    expect(r.exitCode).toBe(0);
    const forked = Number(/fork refused after (\d+)/.exec(r.stdout)?.[1]);
    expect(forked).toBeGreaterThan(0);
    expect(forked).toBeLessThan(16);
    expect(r.limit).toBe("processes");
    expect(strays(m)).toBe("");
  });

  it("contains a runaway fork bomb and leaves the host able to fork", async () => {
    // The bomb must reach the processes limit before the wall limit: on a busy machine Python's start-up alone can
    // take seconds, so the wall limit is a multiple of what a trivial program takes here and now.
    const startup = (await runProgram({ language: "python", source: "import os\nos.fork()\n" })).durationMs;
    const r = await runProgram({
      language: "python",
      source: "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
      maxProcesses: 16,
      timeoutMs: Math.max(1_500, 5 * startup),
    });
    expect(r.timedOut).toBe(true);
    expect(r.limit).toBe("processes");
    expect(execFileSync("sh", ["-c", "echo alive"], { encoding: "utf8" }).trim()).toBe("alive");
  });

  it("kills a daemonised python child when its parent exits", async () => {
    const m = mark();
    const source = [
      "import os",
      "if os.fork() == 0:",
      "    os.setsid()",
      "    if os.fork() == 0:",
      `        os.execv("/bin/sleep", ["sleep", "${m}"])`,
      "    os._exit(0)",
      "print('parent done', flush=True)",
    ].join("\n");
    const r = await runProgram({ language: "python", source, timeoutMs: 5_000 });
    expect(r.exitCode).toBe(0);
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toContain("parent done");
    expect(strays(m)).toBe("");
  });

  it("leaves no daemonised javascript child either", async () => {
    const m = mark();
    const source = `
      let spawned = "no";
      try {
        const cp = require("child_process");
        cp.spawn("sleep", ["${m}"], { detached: true, stdio: "ignore" }).unref();
        spawned = "yes";
      } catch (e) { spawned = e.code; }
      console.log("spawned", spawned);`;
    const r = await runProgram({ language: "javascript", source, timeoutMs: 5_000 });
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toMatch(/spawned (yes|ERR_ACCESS_DENIED)/);
    expect(strays(m)).toBe("");
  });
});

describe("output floods", () => {
  it("kills a 100 MB python stdout flood at the hard cap and marks the truncation", async () => {
    const r = await runProgram({
      language: "python",
      source: "import sys\nblock = 'x' * 1_000_000\nfor _ in range(100):\n    sys.stdout.write(block)\n",
      maxOutputBytes: 4_096,
    });
    expect(r.limit).toBe("output");
    expect(r.truncated).toBe(true);
    expect(r.stdout).toMatch(/…\[truncated: \d+ bytes omitted; output limit reached, program killed\]/);
    expect(r.stdout.length).toBeLessThan(4_096 + 200);
  });

  it("kills a 100 MB javascript stdout flood", async () => {
    const r = await runProgram({
      language: "javascript",
      source: "const b = 'y'.repeat(1_000_000); for (let i = 0; i < 100; i++) process.stdout.write(b);",
      maxOutputBytes: 4_096,
    });
    expect(r.limit).toBe("output");
    expect(r.stdout).toContain("…[truncated:");
    expect(r.stdout.length).toBeLessThan(4_096 + 200);
  });

  it("truncates moderate output with a marker but lets the program finish", async () => {
    const r = await runProgram({
      language: "python",
      source: "print('A' * 10_000)\nprint('END')\n",
      maxOutputBytes: 1_000,
    });
    expect(r.exitCode).toBe(0);
    expect(r.limit).toBeUndefined();
    expect(r.truncated).toBe(true);
    // 10 000 A, a newline, END and a newline: 10 005 bytes, 1 000 kept.
    expect(r.stdout).toContain("…[truncated: 9005 bytes omitted]");
    expect(r.stdout.trimEnd().endsWith("END")).toBe(true);
  });
});

describe("the host's files", () => {
  it("blocks python writes to the host's /tmp and to the project", async () => {
    const target = join(plantDir, "pwned.txt");
    const projectTarget = join(projectRoot, "PWNED-by-sandbox.txt");
    const source = [
      "import os",
      `for path in [${JSON.stringify(plantFile)}, ${JSON.stringify(target)}, ${JSON.stringify(projectTarget)}, "/usr/pwned", "/pwned"]:`,
      "    try:",
      "        with open(path, 'w') as f: f.write('pwned')",
      "        print('wrote', path)",
      "    except OSError as e:",
      "        print('refused', path, e.errno)",
    ].join("\n");
    const r = await runProgram({ language: "python", source });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain("wrote");
    expect(await readFile(plantFile, "utf8")).toBe(token);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(projectTarget)).toBe(false);
  });

  it("blocks javascript writes to the host's /tmp and to the project", async () => {
    const projectTarget = join(projectRoot, "PWNED-by-sandbox-js.txt");
    const source = `
      const fs = require("fs");
      for (const p of [${JSON.stringify(plantFile)}, ${JSON.stringify(projectTarget)}]) {
        try { fs.writeFileSync(p, "pwned"); console.log("wrote", p); } catch (e) { console.log("refused", e.code); }
      }`;
    const r = await runProgram({ language: "javascript", source });
    expect(r.stdout).not.toContain("wrote");
    expect(await readFile(plantFile, "utf8")).toBe(token);
    expect(existsSync(projectTarget)).toBe(false);
  });

  it("hides planted files, the project and home from python; /etc is the sandbox's own", async () => {
    const source = [
      "import os",
      `for path in [${JSON.stringify(plantFile)}, ${JSON.stringify(join(projectRoot, "package.json"))}, "/proc/1/environ"]:`,
      "    try:",
      "        print(open(path).read())",
      "    except OSError as e:",
      "        print('refused', e.errno)",
      "for d in ['/', '/tmp', '/root', '/home']:",
      "    try: print(d, sorted(os.listdir(d)))",
      "    except OSError as e: print(d, 'refused', e.errno)",
      "print('hostname', open('/etc/hostname').read().strip())",
    ].join("\n");
    const r = await runProgram({ language: "python", source });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain(token);
    expect(r.stdout).not.toContain("skillorchestra");
    expect(r.stdout).toContain("hostname sandbox");
    expect(r.stdout).toMatch(/^\/tmp \[\]$/m);
    expect(r.stdout).toContain("/home refused");
  });

  it("hides planted files from javascript", async () => {
    const source = `
      const fs = require("fs");
      try { console.log(fs.readFileSync(${JSON.stringify(plantFile)}, "utf8")); } catch (e) { console.log("refused", e.code); }
      try { console.log(fs.readdirSync("/tmp")); } catch (e) { console.log("refused", e.code); }`;
    const r = await runProgram({ language: "javascript", source });
    expect(r.stdout).not.toContain(token);
    expect(r.stdout).toContain("refused");
  });

  it("defeats a symlink escape from the work directory", async () => {
    const source = [
      "import os",
      `os.symlink(${JSON.stringify(plantFile)}, "link")`,
      `os.symlink(${JSON.stringify(plantDir)}, "dirlink")`,
      `for p in ['link', 'dirlink/secret.txt', '/proc/1/root' + ${JSON.stringify(plantFile)}]:`,
      "    try: print(open(p).read())",
      "    except OSError as e: print('refused', p, e.errno)",
    ].join("\n");
    const r = await runProgram({ language: "python", source });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain(token);
    expect(r.stdout.match(/refused/g)?.length).toBe(3);
  });

  it("defeats a javascript symlink escape", async () => {
    const source = `
      const fs = require("fs");
      try { fs.symlinkSync(${JSON.stringify(plantFile)}, "link"); console.log(fs.readFileSync("link", "utf8")); }
      catch (e) { console.log("refused", e.code); }`;
    const r = await runProgram({ language: "javascript", source });
    expect(r.stdout).not.toContain(token);
    expect(r.stdout).toContain("refused");
  });
});

describe("secrets in the environment", () => {
  it("passes none of the host's variables to python", async () => {
    const source = "import os\nprint(dict(os.environ))\nprint(open('/proc/self/environ').read())\n";
    const r = await runProgram({ language: "python", source });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain(token);
    expect(r.stdout).not.toContain("SO_HOSTILE_SECRET");
  });

  it("passes none of the host's variables to javascript", async () => {
    const r = await runProgram({ language: "javascript", source: "console.log(JSON.stringify(process.env))" });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain(token);
    expect(JSON.parse(r.stdout)).not.toHaveProperty("SO_HOSTILE_SECRET");
  });

  it("passes an allow-listed variable", async () => {
    const r = await runProgram({
      language: "python",
      source: "import os\nprint(os.environ.get('SO_HOSTILE_SECRET'))\n",
      env: ["SO_HOSTILE_SECRET"],
    });
    expect(r.stdout.trim()).toBe(token);
  });
});

describe("the network", () => {
  let server: Server;
  let port = 0;
  let connections = 0;

  beforeAll(async () => {
    server = createServer((socket) => {
      connections++;
      socket.end("hello from the host\n");
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it("blocks python from a listening loopback port", async () => {
    const source = [
      "import socket",
      "for host in ['127.0.0.1', 'localhost', '::1']:",
      "    try:",
      `        s = socket.create_connection((host, ${port}), timeout=2)`,
      "        print('connected', host, s.recv(100))",
      "    except OSError as e:",
      "        print('refused', host, e.errno)",
    ].join("\n");
    const r = await runProgram({ language: "python", source });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain("connected");
    expect(r.stdout.match(/refused/g)?.length).toBe(3);
    expect(connections).toBe(0);
  });

  it("blocks javascript from a listening loopback port", async () => {
    const source = `
      const s = require("net").connect(${port}, "127.0.0.1");
      s.on("connect", () => { console.log("connected"); s.destroy(); });
      s.on("error", (e) => console.log("refused", e.code));`;
    const r = await runProgram({ language: "javascript", source });
    expect(r.stdout).not.toContain("connected");
    expect(r.stdout).toContain("refused");
    expect(connections).toBe(0);
  });

  it("fails a DNS lookup in python and in javascript", async () => {
    const py = await runProgram({
      language: "python",
      source:
        "import socket\ntry:\n    print('resolved', socket.getaddrinfo('example.com', 80))\nexcept OSError as e:\n    print('failed', e)\n",
    });
    expect(py.stdout).toContain("failed");
    const js = await runProgram({
      language: "javascript",
      source: "require('dns').lookup('example.com', (e, a) => console.log(e ? 'failed ' + e.code : 'resolved ' + a));",
    });
    expect(js.stdout).toContain("failed");
  });
});
