import { parentPort } from "node:worker_threads";
import type { AheadJob, AheadReply } from "./ahead.js";
import { textSkillSets } from "./skill-sets.js";

/**
 * The worker of src/learning/ahead.ts: computes one job's skill sets, sends them and stops listening. Never sent a
 * job within IDLE_MS (its run ended early), it stops listening too, and so ends.
 */

const IDLE_MS = 120_000;

const port = parentPort;
if (!port) throw new Error("src/learning/skill-sets-worker: runs as a worker thread (started by ahead.ts)");

const idle = setTimeout(() => port.close(), IDLE_MS);
port.once("message", (m: AheadJob) => {
  clearTimeout(idle);
  let reply: AheadReply;
  try {
    reply = { ok: true, sets: textSkillSets(m.text, m.train, m.settings) };
  } catch (err) {
    reply = { ok: false, message: (err as Error).message };
  }
  port.postMessage(reply);
  port.close();
});
