import { describe, expect, it } from "vitest";
import { rejectionOf } from "../../graphs/orchestrator/accept.js";
import { EVASIONS } from "../../src/sim/act.js";

describe("rejectionOf", () => {
  it("rejects empty answers and every evasion the simulated agents give", () => {
    expect(rejectionOf("  ")).toBe("empty answer");
    for (const e of EVASIONS) expect(rejectionOf(e)).toBe("evasive answer");
    for (const e of ["I can't tell.", "We cannot say from these documents.", "It could not be determined."])
      expect(rejectionOf(e)).toBe("evasive answer");
  });

  it("accepts committed answers, including ones that mention knowing or telling", () => {
    for (const a of ["Paris", "42", "The founder was Ada Lovelace.", "Tell City", "I know: it is Paris."])
      expect(rejectionOf(a)).toBeNull();
  });
});
