/**
 * Start-up overhead of a sandboxed run ("print 1") against a bare spawn of the same interpreter, in one process.
 * Run: npx tsx bench/sandbox.ts [runs]
 */
import { spawn } from "node:child_process";
import { runProgram, sandboxCapabilities } from "../tools/code/index.js";

const runs = Number(process.argv[2] ?? 30);

function bare(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.resume();
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`exit ${code}`)),
    );
  });
}

function stats(samples: number[]): { median: number; p90: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { median: at(0.5), p90: at(0.9) };
}

function report(label: string, samples: number[]): { median: number; p90: number } {
  const r = stats(samples);
  console.log(
    `${label.padEnd(28)} median ${r.median.toFixed(1).padStart(7)} ms   p90 ${r.p90.toFixed(1).padStart(7)} ms`,
  );
  return r;
}

const probeStart = performance.now();
const caps = await sandboxCapabilities();
console.log(
  `capability probe: ${(performance.now() - probeStart).toFixed(0)} ms; layers: ${caps.available.join(", ")}`,
);
console.log(`runs per case: ${runs}`);

const cases = [
  { language: "python" as const, exe: caps.python.executable!, args: ["-c", "print(1)"], source: "print(1)" },
  {
    language: "javascript" as const,
    exe: caps.javascript.executable!,
    args: ["-e", "console.log(1)"],
    source: "console.log(1)",
  },
];

// Bare and sandboxed runs alternate, so load from other processes on the machine hits both alike.
for (const c of cases) {
  const boxedOnce = async () => {
    const started = performance.now();
    const r = await runProgram({ language: c.language, source: c.source });
    if (r.stdout.trim() !== "1") throw new Error(`unexpected output: ${r.stdout}${r.stderr}`);
    return performance.now() - started;
  };
  await bare(c.exe, c.args);
  await boxedOnce();
  const bareSamples: number[] = [];
  const boxedSamples: number[] = [];
  for (let i = 0; i < runs; i++) {
    bareSamples.push(await bare(c.exe, c.args));
    boxedSamples.push(await boxedOnce());
  }
  const base = report(`${c.language} bare spawn`, bareSamples);
  const boxed = report(`${c.language} sandboxed`, boxedSamples);
  console.log(
    `${c.language.padEnd(28)} overhead median +${(boxed.median - base.median).toFixed(1)} ms, ` +
      `ratio median ${(boxed.median / base.median).toFixed(2)}x, p90 ${(boxed.p90 / base.p90).toFixed(2)}x`,
  );
}
