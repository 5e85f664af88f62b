import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CappedOutput } from "../../tools/code/output.js";
import { blockingLayers } from "../../tools/code/layers.js";
import { bindRoots } from "../../tools/code/capabilities.js";

describe("CappedOutput", () => {
  it("keeps everything under the cap, in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 10 }),
        fc.integer({ min: 400, max: 1000 }),
        (chunks, cap) => {
          const out = new CappedOutput(cap);
          for (const c of chunks) out.push(Buffer.from(c));
          const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
          expect(out.truncated).toBe(false);
          expect(out.text()).toBe(all.toString("utf8"));
        },
      ),
    );
  });

  it("keeps the head and the tail of a flood and counts what it dropped", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 200 }),
        (chunks, cap) => {
          const out = new CappedOutput(cap);
          for (const c of chunks) out.push(Buffer.from(c, "latin1"));
          const all = chunks.join("");
          if (all.length <= cap) {
            expect(out.text()).toBe(all);
            return;
          }
          const head = Math.ceil(cap / 2);
          const tail = cap - head;
          expect(out.omitted).toBe(all.length - cap);
          expect(out.text()).toBe(
            `${all.slice(0, head)}\n…[truncated: ${all.length - cap} bytes omitted]\n${tail ? all.slice(-tail) : ""}`,
          );
        },
      ),
    );
  });

  it("adds a note to the marker", () => {
    const out = new CappedOutput(4);
    out.push(Buffer.from("abcdefgh"));
    expect(out.text("program killed")).toBe("ab\n…[truncated: 4 bytes omitted; program killed]\ngh");
  });
});

describe("blockingLayers", () => {
  const all = ["pid-namespace", "net-namespace", "mount-namespace", "unprivileged-uid", "rlimits", "seccomp"] as const;
  it("blocks nothing when every required layer is there", () => {
    expect(blockingLayers("python", all)).toEqual([]);
  });
  it("names a missing layer, unless the caller accepts running without it", () => {
    const noNet = all.filter((l) => l !== "net-namespace");
    expect(blockingLayers("python", noNet)).toEqual(["net-namespace"]);
    expect(blockingLayers("python", noNet, ["net-namespace"])).toEqual([]);
  });
  it("requires a memory cgroup for javascript only", () => {
    expect(blockingLayers("javascript", all)).toEqual(["cgroup-memory"]);
    expect(blockingLayers("javascript", [...all, "cgroup-memory"])).toEqual([]);
  });
  it("requires the seccomp filter for both languages", () => {
    const noFilter = all.filter((l) => l !== "seccomp");
    expect(blockingLayers("python", noFilter)).toEqual(["seccomp"]);
    expect(blockingLayers("javascript", [...noFilter, "cgroup-memory"])).toEqual(["seccomp"]);
    expect(blockingLayers("python", noFilter, ["seccomp"])).toEqual([]);
  });
});

describe("bindRoots", () => {
  it("drops /usr paths and nested directories", () => {
    expect(bindRoots(["/usr", "/usr/local/lib", "/opt/py/3.11", "/opt/py", "/opt/node", "relative"])).toEqual([
      "/opt/node",
      "/opt/py",
    ]);
  });
});
