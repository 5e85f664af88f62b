import type { Language } from "./run.js";

/**
 * Test harnesses for `runWithTests`. Each reads a one-line nonce from stdin before the answer's code runs (so the
 * code cannot read it from a file, the environment or stdin), runs the answer, then each test in the answer's
 * namespace, and prints `<nonce> <passed> <total>` last.
 */
export const HARNESS: Record<Language, { file: string; solution: string; source: string }> = {
  python: {
    file: "main.py",
    solution: "solution.py",
    source: String.raw`import json, sys, traceback

def _run():
    nonce = sys.stdin.readline().strip()
    with open("tests.json", encoding="utf-8") as f:
        tests = json.load(f)
    with open("solution.py", encoding="utf-8") as f:
        code = f.read()
    ns = {"__name__": "solution", "__builtins__": __builtins__}
    passed = 0
    try:
        exec(compile(code, "solution.py", "exec"), ns)
        loaded = True
    except BaseException:
        traceback.print_exc()
        loaded = False
    if loaded:
        for i, test in enumerate(tests):
            try:
                exec(compile(test, f"test_{i + 1}", "exec"), ns)
                passed += 1
            except BaseException:
                print(f"test {i + 1} failed:", file=sys.stderr)
                traceback.print_exc()
    sys.stderr.flush()
    sys.stdout.write(f"\n{nonce} {passed} {len(tests)}\n")
    sys.stdout.flush()

_run()
`,
  },
  javascript: {
    file: "main.js",
    solution: "solution.js",
    source: String.raw`"use strict";
const fs = require("fs");
const vm = require("vm");
(() => {
  const nonce = fs.readFileSync(0, "utf8").split("\n")[0].trim();
  const tests = JSON.parse(fs.readFileSync("tests.json", "utf8"));
  const code = fs.readFileSync("solution.js", "utf8");
  globalThis.require = require;
  globalThis.assert = require("assert");
  globalThis.module = { exports: {} };
  globalThis.exports = globalThis.module.exports;
  let passed = 0;
  let loaded = true;
  try {
    vm.runInThisContext(code, { filename: "solution.js" });
  } catch (error) {
    console.error(error && error.stack ? error.stack : String(error));
    loaded = false;
  }
  if (loaded) {
    tests.forEach((test, i) => {
      try {
        vm.runInThisContext(test, { filename: "test_" + (i + 1) });
        passed += 1;
      } catch (error) {
        console.error("test " + (i + 1) + " failed:");
        console.error(error && error.stack ? error.stack : String(error));
      }
    });
  }
  process.stdout.write("\n" + nonce + " " + passed + " " + tests.length + "\n");
})();
`,
  },
};
