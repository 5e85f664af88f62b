import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { skillIdentifier } from "../../handbook/identify.js";
import type { Handbook } from "../../handbook/schema.js";
import { centroidOf, embed, fitTextModel } from "../../handbook/text.js";
import { skeletonHandbook } from "../../src/learning/profile.js";

const WORDS = ["red", "blue", "green", "apple", "ocean", "sky", "cherry", "stone", "river", "code"];
const text = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 4 }).map((ws) => ws.join(" "));

/** Leaves whose centroids are those of a few texts each (equal texts give equal centroids: ties between leaves). */
function handbookOf(groups: readonly (readonly string[])[]): Handbook {
  const model = fitTextModel(groups.flat(), { minDf: 1 });
  const h = skeletonHandbook(
    groups.map((g, i) => ({
      id: `answer.c${String(i).padStart(2, "0")}`,
      name: `c${i}`,
      description: "",
      indicators: [],
      examples: [],
      mode: "answer" as const,
      centroid: centroidOf(
        model,
        g.map((t) => embed(model, t)),
      ),
      provenance: { discoveredFrom: [], history: [] },
    })),
    [{ id: "a", modes: ["answer"] }],
  );
  return { ...h, text: { answer: model } };
}

describe("centroid identification", () => {
  it("takes the first k of a sort by similarity (ties to the smaller id), as the sort itself does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(text, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }),
        fc.array(text, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        (groups, queries, k) => {
          const h = handbookOf(groups);
          // A k that is not a whole number takes the full sort (slice(0, k + 0.5) keeps k).
          const fast = skillIdentifier(h, { k });
          const sorted = skillIdentifier(h, { k: k + 0.5 });
          for (const q of queries) expect(fast.identify(q, "answer")).toEqual(sorted.identify(q, "answer"));
        },
      ),
      { numRuns: 200 },
    );
  });
});
