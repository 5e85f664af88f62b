import { Command } from "commander";
import { resolve } from "node:path";
import { DEFAULT_SEED } from "../core/random.js";
import { runDemo, type DemoReport } from "../demo/run.js";

const usd = (x: number) => `$${x.toFixed(5)}`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The demo report as text. Every figure is labelled simulated. */
export function formatDemoReport(r: DemoReport): string {
  const lines: string[] = [];
  lines.push("");
  lines.push(`skillorchestra demo — SIMULATED world (seed ${r.seed}); every figure below is simulated`);
  lines.push(
    `explored ${r.trainTasks} training tasks: ${r.exploreRecords} records, ${usd(r.exploreCostUsd)} (simulated)`,
  );
  lines.push(`orchestrated ${r.testTasks} held-out tasks at λ = ${r.lambda}`);
  lines.push("");
  const head = ["router", "accuracy", "mean USD/task", "steps", "regret/step", "top agent share", "entropy"];
  const rows = r.routers.map((x) => [
    x.router,
    pct(x.accuracy),
    `${usd(x.meanCostUsd)} (sim)`,
    x.meanSteps.toFixed(2),
    x.meanRegret.toFixed(3),
    x.topAgent ? `${x.topAgent} ${pct(x.topShare)}` : "-",
    x.entropy.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  lines.push(fmt(head));
  for (const row of rows) lines.push(fmt(row));
  lines.push("");
  for (const x of r.routers) {
    const total = Object.values(x.callsByAgent).reduce((a, b) => a + b, 0) || 1;
    const shares = Object.entries(x.callsByAgent)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([a, n]) => `${a} ${pct(n / total)}`)
      .join(", ");
    lines.push(`${x.router} calls: ${shares}`);
    lines.push(
      `${x.router} stops: ${Object.entries(x.stopReasons)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ")}`,
    );
    const c = x.consults;
    if (c.judged > 0) {
      const by = Object.entries(c.byConsults)
        .map(([k, n]) => `${k}: ${n} runs`)
        .join(", ");
      const states = Object.entries(c.acceptedIn)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ");
      lines.push(
        `${x.router} answers judged by the consult rule: ${c.judged}; agents consulted after the first: ${by}; accepted when ${states}`,
      );
      if (c.example) lines.push(`  e.g. ${c.example}`);
    }
  }
  lines.push("");
  lines.push(r.calibration);
  lines.push("");
  lines.push(
    `regret = true utility (p − λ·normalised cost) of the world's best agent for the step's latent skill − that of the chosen agent`,
  );
  lines.push(`handbook ${r.handbookPath}`);
  lines.push(`pool     ${r.poolPath}`);
  lines.push(`records  ${r.recordsPath}`);
  return `${lines.join("\n")}\n`;
}

export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "Offline end-to-end demo on the simulated world: explore, build a handbook, orchestrate held-out tasks, report",
    )
    .option("--out <dir>", "output directory", "out/demo")
    .option("--seed <n>", "world seed", (v) => Number.parseInt(v, 10), DEFAULT_SEED)
    .option("--train <n>", "training tasks to explore", (v) => Number.parseInt(v, 10), 72)
    .option(
      "--validation <n>",
      "validation tasks the select phase orchestrates for each candidate handbook",
      (v) => Number.parseInt(v, 10),
      24,
    )
    .option("--test <n>", "held-out tasks to orchestrate", (v) => Number.parseInt(v, 10), 36)
    .option("--lambda <x>", "price of accuracy λ", Number.parseFloat, 0.2)
    .option("--json", "print the report as JSON")
    .action(
      async (o: {
        out: string;
        seed: number;
        train: number;
        validation: number;
        test: number;
        lambda: number;
        json?: boolean;
      }) => {
        const report = await runDemo({
          outDir: resolve(o.out),
          seed: o.seed,
          trainTasks: o.train,
          validationTasks: o.validation,
          testTasks: o.test,
          lambda: o.lambda,
          log: (l) => process.stderr.write(`${l}\n`),
        });
        process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatDemoReport(report));
      },
    );
}
