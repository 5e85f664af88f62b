import { relative } from "node:path";
import { Command } from "commander";
import {
  checkName,
  listVersions,
  parseVersion,
  publishedNames,
  publishHandbook,
  readPublication,
  rollback,
  versionLabel,
  versionName,
} from "../registry/handbooks.js";
import { DEFAULT_STORE_FILE, openStore, STORE_ENV, type OpenStore } from "../registry/open.js";

export interface HandbookCommandIO {
  out?: (text: string) => void;
  env?: Record<string, string | undefined>;
}

const STORE_HELP =
  `where the versions live: postgres://… (LangGraph's PostgresStore), http(s)://… (a running LangGraph server's ` +
  `store), or a JSON file; default ${STORE_ENV.join(" or ")} when set, else ${DEFAULT_STORE_FILE}`;

/** A path for messages: relative to the working directory when inside it. */
const shown = (p: string) => {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith("..") ? r : p;
};

/** Where a store is, for messages: a file relative to the working directory, a URL as is (no password). */
const at = (s: OpenStore) => (s.kind === "file" ? shown(s.where) : s.where);

async function withStore<T>(given: string | undefined, env: HandbookCommandIO["env"], f: (s: OpenStore) => Promise<T>) {
  const s = await openStore(given, env ?? process.env);
  try {
    return await f(s);
  } finally {
    await s.close();
  }
}

/**
 * `skillorchestra handbook publish | list | rollback`: versions of a learned handbook in a LangGraph store, which the
 * orchestrator serves to a context whose `handbook` is `store:NAME` (the current version) or `store:NAME@vN`.
 */
export function handbookCommand(io: HandbookCommandIO = {}): Command {
  const out = io.out ?? ((text: string) => void process.stdout.write(text));
  const cmd = new Command("handbook").description(
    "Versioned handbooks in a LangGraph store, served as store:NAME: publish, list, rollback",
  );

  cmd
    .command("publish")
    .description("Publish a handbook (with its learned selection) as the next version of NAME, and serve it")
    .argument("<handbook.json>", "the handbook file (its H.selection.json and candidates go with it)")
    .requiredOption("--name <name>", "the handbook's name in the store (letters, digits, _ and -)")
    .option("--store <url>", STORE_HELP)
    .option("--no-activate", "publish without serving it (serve it later with rollback --to)")
    .option("--no-selection", "publish the chosen handbook only, without its learned selection")
    .option("--json", "print the result as JSON")
    .action(
      async (
        file: string,
        o: { name: string; store?: string; activate: boolean; selection: boolean; json?: boolean },
      ) => {
        const name = checkName(o.name);
        const publication = readPublication(file, { selection: o.selection });
        await withStore(o.store, io.env, async (s) => {
          const r = await s.exclusive(name, () =>
            publishHandbook(
              s.store,
              name,
              { ...publication, source: shown(publication.source) },
              {
                activate: o.activate,
              },
            ),
          );
          if (o.json) return out(`${JSON.stringify({ ...r, store: s.where })}\n`);
          const what = publication.selection
            ? `with its selection of ${Object.keys(publication.selection.handbooks).length} candidate(s)`
            : "without a selection";
          const head = r.created
            ? `published ${versionName(name, r.version)} from ${shown(file)} ${what}, sha256 ${r.sha256.slice(0, 12)}, to ${at(s)}`
            : `${versionName(name, r.version)} already holds ${shown(file)} (sha256 ${r.sha256.slice(0, 12)}) in ${at(s)}: no new version`;
          const serving =
            r.current === undefined
              ? `not served yet (serve it with: skillorchestra handbook rollback --name ${name} --to ${versionLabel(r.version)})`
              : r.current === r.previous
                ? `serving ${versionName(name, r.current)}${r.current === r.version ? "" : ` (${versionLabel(r.version)} not served: --no-activate)`}`
                : `serving ${versionName(name, r.current)}${r.previous === undefined ? "" : ` (was ${versionLabel(r.previous)})`}`;
          out(`${head}\n${serving}\n`);
        });
      },
    );

  cmd
    .command("list")
    .description("List the versions of a published handbook (the one served marked *), or the names published")
    .option("--name <name>", "the handbook's name; absent: every name published")
    .option("--store <url>", STORE_HELP)
    .option("--json", "print the list as JSON")
    .action(async (o: { name?: string; store?: string; json?: boolean }) => {
      await withStore(o.store, io.env, async (s) => {
        if (o.name === undefined) {
          const names = await publishedNames(s.store);
          if (o.json) return out(`${JSON.stringify({ store: s.where, names })}\n`);
          out(names.length ? `${names.join("\n")}\n` : `no handbook is published in ${at(s)}\n`);
          return;
        }
        const list = await listVersions(s.store, checkName(o.name));
        if (o.json) return out(`${JSON.stringify({ store: s.where, ...list })}\n`);
        const lines = list.versions.map(
          (v) =>
            `${v.version === list.current ? "*" : " "} ${versionLabel(v.version).padEnd(5)} ${v.publishedAt}  sha256 ${v.sha256.slice(0, 12)}  ` +
            `${v.candidates === undefined ? "no selection" : `${v.candidates} candidate(s)`}  ${v.source}`,
        );
        const serving =
          list.current === undefined ? "no version is served" : `serving ${versionName(list.name, list.current)}`;
        out(`${list.name} in ${at(s)}: ${serving}\n${lines.join("\n")}\n`);
      });
    });

  cmd
    .command("rollback")
    .description("Serve the version before the one served now, or the version --to names")
    .requiredOption("--name <name>", "the handbook's name in the store")
    .option("--to <version>", "the version to serve (v1, v2, …); default the one before the version served")
    .option("--store <url>", STORE_HELP)
    .option("--json", "print the result as JSON")
    .action(async (o: { name: string; to?: string; store?: string; json?: boolean }) => {
      const name = checkName(o.name);
      const to = o.to === undefined ? undefined : parseVersion(o.to);
      await withStore(o.store, io.env, async (s) => {
        const r = await s.exclusive(name, () => rollback(s.store, name, to));
        if (o.json) return out(`${JSON.stringify({ store: s.where, ...r })}\n`);
        out(
          `serving ${versionName(name, r.to)}${r.from === undefined ? "" : ` (was ${versionLabel(r.from)})`} in ${at(s)}\n`,
        );
      });
    });

  return cmd;
}
