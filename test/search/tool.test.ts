import { describe, expect, it } from "vitest";
import { LocalSearch } from "../../tools/search/local.js";
import { searchTool } from "../../tools/search/tool.js";
import { UNTRUSTED_OPEN } from "../../tools/search/format.js";

const local = LocalSearch.fromDocuments([
  { id: "oslo", title: "Oslo", text: "Oslo is the capital of Norway." },
  { id: "rome", title: "Rome", text: "Rome is the capital of Italy." },
]);

describe("searchTool", () => {
  it("searches the backend and returns delimited passages", async () => {
    const t = searchTool(local, { k: 1, maxChars: 1000 });
    expect(t.name).toBe("search");
    const out = await t.invoke({ query: "Norway capital" });
    expect(out.startsWith(UNTRUSTED_OPEN)).toBe(true);
    expect(out).toContain("oslo#0");
    expect(out).not.toContain("rome#0");
    expect(await t.invoke({ query: "capital", k: 2 })).toContain("rome#0");
  });

  it("rejects arguments outside its schema", async () => {
    const t = searchTool(local, { maxK: 3 });
    await expect(t.invoke({ query: "" })).rejects.toThrow();
    await expect(t.invoke({ query: "x", k: 4 })).rejects.toThrow();
  });

  it("tells the agent when the backend fails", async () => {
    const failing = {
      search(): never {
        throw new Error("index unavailable");
      },
    };
    const out = await searchTool(failing, { name: "other_search" }).invoke({ query: "anything" });
    expect(out).toBe("search failed: index unavailable");
  });
});
