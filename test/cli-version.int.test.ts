import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, startCli } from "./support/cli.js";

describe("skillorchestra --version", () => {
  it("prints the package's version and exits 0", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const r = await startCli(["--version"]).done;
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
});
