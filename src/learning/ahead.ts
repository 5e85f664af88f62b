import type { Worker } from "node:worker_threads";
import type { Handbook } from "../../handbook/schema.js";
import type { QueryItem } from "./queries.js";
import type { SkillSet, SkillSetSettings } from "./skill-sets.js";
import { entryBeside, startWorker } from "./worker-start.js";

/**
 * Select's text clusterings computed ahead, on another core: they depend only on discover's text models, the
 * training queries and three settings, not on profile or refine, so a worker thread computes them while those two
 * run. A run's split phase starts the worker (it boots meanwhile) when the run is large enough to gain from it,
 * discover sends it its job, and select takes the result when it asks for the same job (the same text models,
 * queries and settings, compared by content). Otherwise (another job, a worker that failed or was never sent one,
 * a resumed run) select computes the sets itself: the result is the same either way (textSkillSets is pure and
 * seeded). The worker never keeps the process alive on its own.
 */

/** Training queries from which the clusterings run ahead: below this they take less than the worker's start. */
export const AHEAD_MIN_QUERIES = 1_000;

const ENTRY = entryBeside(import.meta.url, "skill-sets-worker");

/** What the worker is sent: one job. */
export interface AheadJob {
  text: NonNullable<Handbook["text"]>;
  train: readonly QueryItem[];
  settings: SkillSetSettings;
}

/** What it sends back. */
export type AheadReply = { ok: true; sets: SkillSet[] } | { ok: false; message: string };

function jobKey(text: Handbook["text"], train: readonly QueryItem[], s: SkillSetSettings): string {
  return JSON.stringify([text ?? null, train.map((i) => i.key), s.seed, s.minCount, s.examples ?? null]);
}

export class SkillSetsAhead {
  readonly #worker: Worker;
  readonly #reply: Promise<SkillSet[] | undefined>;
  #key: string | undefined;
  #closed = false;

  private constructor() {
    this.#worker = startWorker(ENTRY);
    this.#worker.unref();
    this.#reply = new Promise((resolve) => {
      this.#worker.once("message", (m: AheadReply) => resolve(m.ok ? m.sets : undefined));
      this.#worker.once("error", () => resolve(undefined));
      this.#worker.once("exit", () => resolve(undefined));
    });
  }

  /** Start the worker (it boots while the run goes on). */
  static start(): SkillSetsAhead {
    return new SkillSetsAhead();
  }

  /** Give it its job (once). */
  send(text: NonNullable<Handbook["text"]>, train: readonly QueryItem[], settings: SkillSetSettings): void {
    if (this.#closed || this.#key !== undefined) return;
    this.#key = jobKey(text, train, settings);
    this.#worker.postMessage({ text, train, settings } satisfies AheadJob);
  }

  /**
   * The sets for this job, when it is the one sent and the worker computed it; else undefined. The worker is ended
   * either way.
   */
  async take(
    text: Handbook["text"],
    train: readonly QueryItem[],
    settings: SkillSetSettings,
  ): Promise<SkillSet[] | undefined> {
    if (this.#closed || this.#key === undefined || this.#key !== jobKey(text, train, settings)) {
      this.close();
      return undefined;
    }
    // Select waits for it now: it keeps the process alive until it answers.
    this.#worker.ref();
    try {
      return await this.#reply;
    } finally {
      this.close();
    }
  }

  /** End the worker. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#worker.terminate();
  }
}
