/**
 * Benchmark of the local search index (tools/search) on a seeded synthetic corpus.
 *
 *   npx tsx bench/search.ts [--passages 100000] [--queries 1000] [--seed 7]
 *
 * Writes a JSONL corpus to a temporary directory (documents of 420 words → 5 passages each at the default
 * 100-word windows with 20 words of overlap), then measures: buildIndex from the file (read + index + persist),
 * index size on disk, reuse check when the corpus is unchanged, openIndex (load from disk), query latency p50/p99
 * (content-word queries, and queries with a very common term),
 * memory after build, and — as an in-process baseline — a linear scan that counts query-term hits in every passage.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import seedrandom from "seedrandom";
import { DEFAULT_SEED } from "../src/core/random.js";
import { buildIndex, openIndex } from "../tools/search/persist.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const PASSAGES = arg("passages", 100_000);
const QUERIES = arg("queries", 1000);
const SEED = arg("seed", DEFAULT_SEED);
const WORDS_PER_DOC = 420; // 5 passages at passageWords=100, overlapWords=20
const PASSAGES_PER_DOC = 5;
const VOCAB = 50_000;

const rng = seedrandom(String(SEED));
const SYLLABLES = "ka ri to ne su ma lo vi de pa zu ho gre tan mir sol ven dra qui bel".split(" ");
const vocab: string[] = [];
const seenWords = new Set<string>();
while (vocab.length < VOCAB) {
  const n = 2 + Math.floor(rng() * 3);
  let w = "";
  for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rng() * SYLLABLES.length)];
  if (!seenWords.has(w)) {
    seenWords.add(w);
    vocab.push(w);
  }
}
// Zipf(1.07) over the vocabulary, sampled by binary search on the cumulative weights.
const cumulative = new Float64Array(VOCAB);
let total = 0;
for (let r = 0; r < VOCAB; r++) cumulative[r] = total += 1 / (r + 1) ** 1.07;
function zipfRank(): number {
  const x = rng() * total;
  let lo = 0;
  let hi = VOCAB - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
const zipfWord = () => vocab[zipfRank()]!;

const docs = Math.ceil(PASSAGES / PASSAGES_PER_DOC);
const dir = mkdtempSync(join(tmpdir(), "so-bench-search-"));
const corpusPath = join(dir, "corpus.jsonl");
const indexPath = join(dir, "index.json");
const docRanks: Int32Array[] = [];
const lines: string[] = [];
for (let d = 0; d < docs; d++) {
  const ranks = new Int32Array(WORDS_PER_DOC);
  for (let i = 0; i < WORDS_PER_DOC; i++) ranks[i] = zipfRank();
  docRanks.push(ranks);
  const text = Array.from(ranks, (r) => vocab[r]!).join(" ");
  lines.push(JSON.stringify({ id: `doc${d}`, title: `${zipfWord()} ${zipfWord()}`, text }));
}
writeFileSync(corpusPath, `${lines.join("\n")}\n`);
lines.length = 0;

// Words of Zipf rank < HEAD occur in most passages: the synthetic counterpart of function words, which the analyzer's
// stopword list removes from real text. Content queries draw 2–4 words of rank >= HEAD from one document (so each has
// a relevant target); head queries add one word of rank < 50 to 2 content words, the worst case for an OR query.
const HEAD = 100;
function queryFrom(ranks: Int32Array, n: number, withHead: boolean): string {
  const picked: string[] = withHead ? [vocab[Math.floor(rng() * 50)]!] : [];
  while (picked.length < n) {
    const r = ranks[Math.floor(rng() * ranks.length)]!;
    if (r >= HEAD) picked.push(vocab[r]!);
  }
  return picked.join(" ");
}
const queries: string[] = [];
for (let q = 0; q < QUERIES; q++)
  queries.push(queryFrom(docRanks[Math.floor(rng() * docs)]!, 2 + Math.floor(rng() * 3), false));
const headQueries: string[] = [];
for (let q = 0; q < Math.min(QUERIES, 200); q++)
  headQueries.push(queryFrom(docRanks[Math.floor(rng() * docs)]!, 3, true));

const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
const gc = (globalThis as { gc?: () => void }).gc;

let t = performance.now();
const built = await buildIndex(corpusPath, indexPath);
const buildMs = performance.now() - t;
gc?.();
const memBuilt = process.memoryUsage();

t = performance.now();
const again = await buildIndex(corpusPath, indexPath);
const reuseMs = performance.now() - t;
if (!again.reused) throw new Error("expected the unchanged corpus to reuse the index");

t = performance.now();
const loaded = await openIndex(indexPath);
const loadMs = performance.now() - t;

const search = built.search;
function latencyOf(qs: string[]) {
  const ms: number[] = [];
  let found = 0;
  for (const q of qs) {
    const s = performance.now();
    const res = search.search(q, 10);
    ms.push(performance.now() - s);
    if (res.length > 0) found++;
  }
  ms.sort((a, b) => a - b);
  const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]!;
  return { p50: pct(50), p99: pct(99), mean: ms.reduce((a, b) => a + b, 0) / ms.length, max: ms.at(-1)!, found };
}
const content = latencyOf(queries);
const head = latencyOf(headQueries);

// The reloaded index answers identically.
for (const q of queries.slice(0, 20)) {
  if (JSON.stringify(loaded.search(q, 10)) !== JSON.stringify(search.search(q, 10))) {
    throw new Error(`reloaded index disagrees on ${JSON.stringify(q)}`);
  }
}

// Baseline: a linear scan over every passage's text counting query-term occurrences (no index).
const passageTexts: string[] = [];
for (const ranks of docRanks) {
  const w = Array.from(ranks, (r) => vocab[r]!);
  for (let s = 0; s < w.length; s += 80) {
    passageTexts.push(w.slice(s, s + 100).join(" "));
    if (s + 100 >= w.length) break;
  }
}
const SCAN = Math.min(50, queries.length);
t = performance.now();
for (const q of queries.slice(0, SCAN)) {
  const terms = q.split(" ").map((x) => ` ${x} `);
  let best = 0;
  for (const p of passageTexts) {
    const padded = ` ${p} `;
    let c = 0;
    for (const term of terms) if (padded.includes(term)) c++;
    if (c > best) best = c;
  }
}
const scanMs = (performance.now() - t) / SCAN;

const indexBytes = statSync(indexPath).size;
const corpusBytes = statSync(corpusPath).size;
console.log(`search benchmark (seed ${SEED})`);
console.log(
  `  corpus: ${docs} documents, ${built.manifest.passages} passages, ${mb(corpusBytes)} MiB JSONL, vocabulary ${VOCAB} (Zipf 1.07)`,
);
console.log(`  build (read + index + persist): ${(buildMs / 1000).toFixed(2)} s`);
console.log(`  index on disk: ${mb(indexBytes)} MiB (+ manifest)`);
console.log(`  reuse check (unchanged corpus, includes load): ${(reuseMs / 1000).toFixed(2)} s`);
console.log(`  load from disk (openIndex): ${(loadMs / 1000).toFixed(2)} s`);
console.log(
  `  memory after build${gc ? " (after gc)" : ""}: rss ${mb(memBuilt.rss)} MiB, heap used ${mb(memBuilt.heapUsed)} MiB`,
);
const fmt = (l: ReturnType<typeof latencyOf>) =>
  `p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, mean ${l.mean.toFixed(2)} ms, max ${l.max.toFixed(2)} ms`;
console.log(`  content queries: ${queries.length} (2-4 terms, top 10, ${content.found} with results): ${fmt(content)}`);
console.log(`  head-term queries: ${headQueries.length} (3 terms, one in most passages): ${fmt(head)}`);
console.log(
  `  baseline linear scan: ${scanMs.toFixed(1)} ms/query (mean of ${SCAN}); index speed-up ${(scanMs / content.mean).toFixed(0)}x (content queries, mean)`,
);
rmSync(dir, { recursive: true, force: true });
