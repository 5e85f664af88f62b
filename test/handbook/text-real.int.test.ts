import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { skillIdentifier } from "../../handbook/identify.js";
import type { Handbook } from "../../handbook/schema.js";
import { embed, findBoilerplate, fitTextModel, focus } from "../../handbook/text.js";
import { taskSkills } from "../../src/learning/discover.js";
import { importRouterBench } from "../../src/records/import-routerbench.js";
import type { QueryItem } from "../../src/learning/queries.js";

/** The real RouterBench prompts: ARC carries the same few-shot examples before every question. */
const DATA = resolve(__dirname, "../../../shared/data/routerbench");

let items: QueryItem[] = [];
beforeAll(async () => {
  const seen = new Set<string>();
  for (const f of ["arc_challenge_train.csv", "winograde_train.csv", "mbpp_train.csv"]) {
    const r = await importRouterBench({ csv: resolve(DATA, f) });
    for (const rec of r.records) {
      if (seen.has(rec.queryId)) continue;
      seen.add(rec.queryId);
      items.push({
        key: rec.queryId,
        queryId: rec.queryId,
        mode: "answer",
        task: rec.task,
        text: rec.query,
        outcomes: [],
      });
    }
  }
  items = items.sort((a, b) => (a.queryId < b.queryId ? -1 : 1));
}, 60_000);

describe("text model on the real RouterBench prompts", () => {
  it("sets the shared few-shot lines of ARC apart: the body is the question and its options", () => {
    const arc = items.filter((i) => i.task === "arc-challenge");
    const bp = new Set(findBoilerplate(items.map((i) => i.text)));
    expect(bp.size).toBeGreaterThan(10);
    const bodies = arc.slice(0, 50).map((i) => focus(i.text, bp));
    for (const b of bodies) {
      // The shared examples are gone from the body (a tenth of the prompt or less is left), and they are template tokens.
      expect(b.body.length).toBeLessThan(arc[0]!.text.length / 3);
      expect(b.template.length).toBeGreaterThan(5);
    }
    // The bodies differ from one another: what is left is what varies.
    expect(new Set(bodies.map((b) => b.body)).size).toBe(bodies.length);
  });

  it("identifies the task of held-out prompts from the text alone by the nearest task centroid", () => {
    const train = items.filter((_, i) => i % 4 === 0);
    const held = items.filter((_, i) => i % 4 !== 0);
    const model = fitTextModel(train.map((i) => i.text));
    const skills = taskSkills("answer", train, model);
    const h = {
      metadata: {
        version: 1,
        handbookVersion: 0,
        createdAt: "2026-12-01T00:00:00Z",
        updatedAt: "2026-12-01T00:00:00Z",
        learning: {},
        prior: { alpha: 1, beta: 1 },
      },
      modes: { answer: { description: "", insights: [] } },
      skills: Object.fromEntries(skills.map((s) => [s.id, s])),
      agents: {},
      text: { answer: model },
    } as Handbook;
    const id = skillIdentifier(h);
    expect(id.method("answer")).toBe("centroid");
    const nameOf = new Map(skills.map((s) => [s.id, s.name]));
    let right = 0;
    for (const q of held) if (nameOf.get(id.identify(q.text, "answer")[0]?.id ?? "") === q.task) right++;
    expect(right / held.length).toBeGreaterThan(0.98);
    // Two ARC questions are closer to each other than an ARC question is to a Winogrande one.
    const a = held.filter((q) => q.task === "arc-challenge");
    const w = held.find((q) => q.task === "winogrande")!;
    const dot = (x: string, y: string) => {
      const u = embed(model, x);
      const v = embed(model, y);
      let s = 0;
      for (let i = 0, j = 0; i < u.idx.length && j < v.idx.length; ) {
        if (u.idx[i] === v.idx[j]) s += u.val[i++]! * v.val[j++]!;
        else if (u.idx[i]! < v.idx[j]!) i++;
        else j++;
      }
      return s;
    };
    expect(dot(a[0]!.text, a[1]!.text)).toBeGreaterThan(dot(a[0]!.text, w.text));
  });
});
