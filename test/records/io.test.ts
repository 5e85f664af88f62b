import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { DuplicateRecordError, loadRecords, readRecords, RecordWriter } from "../../src/records/io.js";
import { ExecutionRecordSchema, recordKey } from "../../src/records/schema.js";
import { rec } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "so-io-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content?: string): string => {
  const p = join(dir, `r${n++}.jsonl`);
  if (content !== undefined) writeFileSync(p, content);
  return p;
};
const line = (over: Parameters<typeof rec>[0] = {}): string => JSON.stringify(rec(over));

describe("readRecords / loadRecords", () => {
  it("streams valid records, applying schema defaults, skipping blank lines and CRLF endings", async () => {
    const p = file(`${line({ queryId: "q1" })}\r\n\n${line({ queryId: "q2", score: 0.25, success: false })}\n`);
    const got = [];
    for await (const r of readRecords(p)) got.push(r);
    expect(got.map((r) => r.queryId)).toEqual(["q1", "q2"]);
    expect(got[1]).toMatchObject({ score: 0.25, references: [], response: "", costEstimated: false, acted: true });
    expect(await loadRecords(p)).toEqual(got);
  });

  it("reads lines across its read chunks: multi-byte text cut by a chunk edge, lines longer than a chunk", async () => {
    // Records of ~300 KiB each put chunk edges (1 MiB) inside lines, and inside multi-byte characters.
    const texts = Array.from({ length: 12 }, (_, i) => `${"é€😀".repeat(30_000 + i * 7)} q${i} ${"a".repeat(i * 13)}`);
    const long = `${"x".repeat(2_500_000)}ü`; // a line longer than two chunks
    const lines = [...texts, long].map((query, i) => line({ queryId: `q${i}`, query }));
    const p = file(`${lines.join("\n")}\n\r\n${line({ queryId: "last" })}`);
    const got = await loadRecords(p);
    expect(got.map((r) => r.query)).toEqual([...texts, long, rec({ queryId: "last" }).query]);
    expect(got.at(-1)!.queryId).toBe("last");
    const bad = file(`${lines.join("\n")}\n${line({ score: 2 })}\n`);
    await expect(loadRecords(bad)).rejects.toThrow(new RegExp(`^${bad}:14: \\$\\.score: `));
  });

  it("accepts a complete final line without a trailing newline", async () => {
    const p = file(`${line({ queryId: "q1" })}\n${line({ queryId: "q2" })}`);
    expect((await loadRecords(p)).map((r) => r.queryId)).toEqual(["q1", "q2"]);
  });

  it("names file, line and JSON path of an invalid field", async () => {
    const p = file(`${line()}\n\n${line({ score: 1.5 })}\n`);
    const err = await loadRecords(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(new RegExp(`^${p}:3: \\$\\.score: .*`));
    expect((err as Error).message).not.toContain("\n");
  });

  it("names a missing field", async () => {
    const { agent: _drop, ...noAgent } = rec();
    const p = file(`${JSON.stringify(noAgent)}\n`);
    await expect(loadRecords(p)).rejects.toThrow(new RegExp(`^${p}:1: \\$\\.agent: `));
  });

  it("reports unparsable JSON in the middle and a torn final line", async () => {
    const mid = file(`${line()}\n{"queryId": \n${line()}\n`);
    await expect(loadRecords(mid)).rejects.toThrow(new RegExp(`^${mid}:2: invalid JSON: `));
    const torn = file(`${line()}\n{"queryId":"q2","que`);
    const err = (await loadRecords(torn).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(new RegExp(`^${torn}:2: invalid JSON: .*\\(torn final line: no trailing newline\\)$`));
  });

  it("reports a missing file as an InputError naming it", async () => {
    const p = join(dir, "absent.jsonl");
    await expect(loadRecords(p)).rejects.toThrow(new RegExp(`^${p}: cannot read records file \\(ENOENT\\)`));
  });
});

describe("RecordWriter", () => {
  it("appends validated full lines, tracks keys and size, and refuses duplicates", async () => {
    const p = file();
    const w = await RecordWriter.open(p);
    expect(w.size).toBe(0);
    await w.append(rec({ queryId: "q1" }));
    await w.append(rec({ queryId: "q1", agent: "b" }));
    await w.append(rec({ queryId: "q1", step: 0 }));
    expect(w.size).toBe(3);
    expect(w.has(recordKey({ queryId: "q1", agent: "b", mode: "answer" }))).toBe(true);
    expect(w.has(recordKey({ queryId: "q1", agent: "c", mode: "answer" }))).toBe(false);
    await expect(w.append(rec({ queryId: "q1", agent: "b", score: 0 }))).rejects.toBeInstanceOf(DuplicateRecordError);
    await expect(w.append(rec({ queryId: "q2", score: 2 }))).rejects.toThrow(/\$\.score/);
    expect(w.size).toBe(3);
    await w.close();
    await w.close();
    const text = readFileSync(p, "utf8");
    expect(text.split("\n")).toHaveLength(4);
    expect(text.endsWith("\n")).toBe(true);
    const back = await loadRecords(p);
    expect(back.map((r) => [r.agent, r.step])).toEqual([
      ["a", undefined],
      ["b", undefined],
      ["a", 0],
    ]);
    expect(back[0]).toEqual(ExecutionRecordSchema.parse(rec({ queryId: "q1" })));
    await expect(w.append(rec({ queryId: "q9" }))).rejects.toThrow(/closed/);
  });

  it("serialises concurrent appends in call order and rejects a concurrent duplicate at once", async () => {
    const p = file();
    const w = await RecordWriter.open(p, { syncEvery: 4 });
    const ids = Array.from({ length: 50 }, (_, i) => `q${i}`);
    const dup = w.append(rec({ queryId: "q0" }));
    const all = Promise.all(ids.slice(1).map((queryId) => w.append(rec({ queryId }))));
    const again = w.append(rec({ queryId: "q0" }));
    await expect(again).rejects.toBeInstanceOf(DuplicateRecordError);
    await dup;
    await all;
    await w.close();
    expect((await loadRecords(p)).map((r) => r.queryId)).toEqual(ids);
  });

  it("resumes an existing file: loads keys and appends after them", async () => {
    const p = file(`${line({ queryId: "q1" })}\n${line({ queryId: "q2" })}\n`);
    const w = await RecordWriter.open(p);
    expect(w.size).toBe(2);
    expect(w.has(recordKey({ queryId: "q2", agent: "a", mode: "answer" }))).toBe(true);
    await expect(w.append(rec({ queryId: "q2" }))).rejects.toBeInstanceOf(DuplicateRecordError);
    await w.append(rec({ queryId: "q3" }));
    await w.close();
    expect((await loadRecords(p)).map((r) => r.queryId)).toEqual(["q1", "q2", "q3"]);
  });

  it("truncates a torn final line on open", async () => {
    const p = file(`${line({ queryId: "q1" })}\n`);
    appendFileSync(p, `{"queryId":"q2","query":"cut off he`);
    const w = await RecordWriter.open(p);
    expect(w.size).toBe(1);
    await w.append(rec({ queryId: "q2" }));
    await w.close();
    const q2 = JSON.stringify(ExecutionRecordSchema.parse(rec({ queryId: "q2" })));
    expect(readFileSync(p, "utf8")).toBe(`${line({ queryId: "q1" })}\n${q2}\n`);
  });

  it("truncates a file holding only a torn line to empty", async () => {
    const p = file(`{"queryId":"q`);
    const w = await RecordWriter.open(p);
    expect(w.size).toBe(0);
    await w.close();
    expect(readFileSync(p, "utf8")).toBe("");
  });

  it("keeps a complete valid final record that lacks its newline, terminating it", async () => {
    const p = file(`${line({ queryId: "q1" })}\n${line({ queryId: "q2" })}`);
    const w = await RecordWriter.open(p);
    expect(w.size).toBe(2);
    await w.append(rec({ queryId: "q3" }));
    await w.close();
    expect((await loadRecords(p)).map((r) => r.queryId)).toEqual(["q1", "q2", "q3"]);
  });

  it("refuses a file with a bad complete line or a duplicated key, naming the line", async () => {
    const bad = file(`${line()}\n{"nope": 1}\n${line({ queryId: "q3" })}\n`);
    await expect(RecordWriter.open(bad)).rejects.toThrow(new RegExp(`^${bad}:2: \\$\\.queryId: `));
    const dup = file(`${line()}\n${line()}\n`);
    await expect(RecordWriter.open(dup)).rejects.toThrow(
      new RegExp(`^${dup}: record 2: duplicate key \\(queryId q1, agent a`),
    );
  });

  it("rejects a bad syncEvery", async () => {
    await expect(RecordWriter.open(file(), { syncEvery: 0 })).rejects.toThrow(RangeError);
  });
});
