import { createHash } from "node:crypto";
import type { BaseStore } from "@langchain/langgraph";
import type { Handbook } from "../../handbook/schema.js";
import type { ServableSelection } from "../../handbook/serve.js";
import { loadHandbook, loadSelection, selectionPathOf, type LoadedSelection } from "../../handbook/store.js";
import { validateHandbook } from "../../handbook/validate.js";
import { InputError } from "../core/errors.js";

/**
 * Published handbooks: named, numbered versions of a learned handbook in a LangGraph store (BaseStore: PostgreSQL,
 * a running server's store, in memory, or a local file), and the pointer to the version the orchestrator serves.
 *
 * Layout, per name, in the namespace ["skillorchestra", "handbooks", NAME]:
 * - `v1`, `v2`, …: one item per version (VersionItem): the handbook, its learned selection when it has one (the
 *   selection and every deployed candidate's handbook, so a run's λ or budget still picks its candidate), when it was
 *   published, from which file, and the sha256 of its content. A version is never rewritten;
 * - `versions`: the list of versions without their content (what `list` and the next version number read);
 * - `current`: the version served to a context that names no version (`store:NAME`). Publish moves it to the new
 *   version (unless told not to), rollback to the previous one or to any version.
 *
 * and in ["skillorchestra", "handbooks"], `names`: the names published (a graph's runtime store cannot list
 * namespaces, so the names are kept in an item).
 *
 * Two publishers of the same name at the same moment may take the same version number (the store has no
 * compare-and-set): publish from one place at a time.
 */

export const HANDBOOKS_NAMESPACE = ["skillorchestra", "handbooks"] as const;
/** A handbook's name in the store: a namespace label every store accepts (no `.` or `:`). */
export const HANDBOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** The prefix of a context's `handbook` that names a published handbook: `store:NAME` or `store:NAME@vN`. */
export const STORE_PREFIX = "store:";

const VERSION_KIND = "skillorchestra.handbook.version";
const VERSIONS_KIND = "skillorchestra.handbook.versions";
const CURRENT_KIND = "skillorchestra.handbook.current";
const NAMES_KIND = "skillorchestra.handbook.names";

/** A learned selection as published: the selection file's content and its deployed candidates' handbooks. */
export interface PublishedSelection {
  selection: ServableSelection & { kind?: string };
  handbooks: Record<string, Handbook>;
}

/** What is published: a handbook, its selection when it has one, and where it came from. */
export interface Publication {
  handbook: Handbook;
  selection?: PublishedSelection;
  /** The file it was read from (or any label of its origin). */
  source: string;
}

/** A version without its content, as `versions` lists it. */
export interface VersionSummary {
  version: number;
  publishedAt: string;
  source: string;
  /** sha256 of the published content (handbook and selection, as JSON). */
  sha256: string;
  /** The selection's deployed candidates (absent: the handbook alone). */
  candidates?: number;
}

/** The item of one version. */
export interface VersionItem extends VersionSummary {
  kind: typeof VERSION_KIND;
  name: string;
  handbook: Handbook;
  selection?: PublishedSelection;
}

interface CurrentItem {
  kind: typeof CURRENT_KIND;
  version: number;
  sha256: string;
  since: string;
  by: "publish" | "rollback";
}

/** `v3` for 3. */
export const versionLabel = (v: number) => `v${v}`;
/** `NAME@v3`: how a decision names the version that made it. */
export const versionName = (name: string, v: number) => `${name}@${versionLabel(v)}`;

const namespaceOf = (name: string) => [...HANDBOOKS_NAMESPACE, name];

/** A name as the store keeps it, or an InputError naming it. */
export function checkName(name: string, where = "--name"): string {
  if (!HANDBOOK_NAME.test(name))
    throw new InputError(
      `${where}: "${name}" is not a handbook name (letters, digits, _ and -, starting with a letter or digit, at most 64)`,
    );
  return name;
}

/** `v3` or `3` → 3; anything else an InputError naming `where`. */
export function parseVersion(v: string, where = "--to"): number {
  const m = /^v?([1-9]\d{0,8})$/.exec(v.trim());
  if (!m) throw new InputError(`${where}: "${v}" is not a version (want v1, v2, …)`);
  return Number(m[1]);
}

/** A context's reference to a published handbook: its name, and a version or the current one. */
export interface StoreRef {
  name: string;
  version: number | "current";
}

/** True when a context's `handbook` names a published handbook (`store:…`) rather than a file. */
export const isStoreRef = (handbook: string) => handbook.startsWith(STORE_PREFIX);

/** Parse `store:NAME` or `store:NAME@vN`; a malformed one is an InputError naming it. */
export function parseStoreRef(ref: string): StoreRef {
  const m = /^store:([^@]*)(?:@(.*))?$/.exec(ref);
  const bad = () =>
    new InputError(
      `${ref}: not a published handbook (want store:NAME or store:NAME@vN; NAME of letters, digits, _ and -)`,
    );
  if (!m || !HANDBOOK_NAME.test(m[1]!)) throw bad();
  if (m[2] === undefined) return { name: m[1]!, version: "current" };
  if (!/^v[1-9]\d{0,8}$/.test(m[2])) throw bad();
  return { name: m[1]!, version: Number(m[2].slice(1)) };
}

/** sha256 of what a version holds: the handbook and its selection, as JSON. */
export function publicationSha256(p: Pick<Publication, "handbook" | "selection">): string {
  return createHash("sha256")
    .update(JSON.stringify({ handbook: p.handbook, selection: p.selection ?? null }))
    .digest("hex");
}

/**
 * A handbook file as published: the handbook (validated), and with `selection` (the default) its learned selection
 * when it has one (`H.selection.json` beside it, or the file its metadata names) with every deployed candidate's
 * handbook. One-line InputErrors naming the file and field.
 */
export function readPublication(path: string, opts: { selection?: boolean } = {}): Publication {
  const handbook = loadHandbook(path);
  const selPath = opts.selection === false ? undefined : selectionPathOf(path, handbook);
  if (!selPath) return { handbook, source: path };
  const loaded = loadSelection(selPath);
  return {
    handbook,
    selection: { selection: loaded.selection, handbooks: Object.fromEntries(loaded.handbooks) },
    source: path,
  };
}

async function versionsOf(store: BaseStore, name: string): Promise<VersionSummary[]> {
  const item = await store.get(namespaceOf(name), "versions");
  const list = (item?.value as { versions?: VersionSummary[] } | undefined)?.versions;
  return Array.isArray(list) ? list : [];
}

async function currentOf(store: BaseStore, name: string): Promise<CurrentItem | undefined> {
  const item = await store.get(namespaceOf(name), "current");
  const v = item?.value as CurrentItem | undefined;
  return v && typeof v.version === "number" ? v : undefined;
}

/** The names published in a store, sorted. */
export async function publishedNames(store: BaseStore): Promise<string[]> {
  const item = await store.get([...HANDBOOKS_NAMESPACE], "names");
  const names = (item?.value as { names?: unknown } | undefined)?.names;
  return Array.isArray(names) ? names.filter((n): n is string => typeof n === "string").sort() : [];
}

async function unknownName(store: BaseStore, name: string, where: string): Promise<InputError> {
  const names = await publishedNames(store);
  return new InputError(
    `${where}: no handbook "${name}" is published in the store (${names.length ? `published: ${names.join(", ")}` : "none is published"})`,
  );
}

const listing = (versions: readonly VersionSummary[]) => versions.map((v) => versionLabel(v.version)).join(", ");

export interface PublishOptions {
  /** Serve the new version at once (default true); false: `current` stays where it is. */
  activate?: boolean;
  now?: string;
}

export interface PublishResult {
  name: string;
  version: number;
  /** False when the latest version already held the same content: no new version was made. */
  created: boolean;
  sha256: string;
  /** The version now served, and the one served before (undefined: none). */
  current: number | undefined;
  previous: number | undefined;
}

/**
 * Publish a handbook (and its selection) as the next version of `name`: v1, v2, … (one more than the highest), and
 * serve it unless `activate` is false. Content equal to the latest version's makes no new version (that version is
 * served, unless `activate` is false). The handbook and every candidate are validated first.
 */
export async function publishHandbook(
  store: BaseStore,
  name: string,
  p: Publication,
  opts: PublishOptions = {},
): Promise<PublishResult> {
  checkName(name);
  const handbook = validateHandbook(p.handbook, p.source);
  const selection = p.selection
    ? {
        selection: p.selection.selection,
        handbooks: Object.fromEntries(
          Object.entries(p.selection.handbooks).map(([id, h]) => [
            id,
            validateHandbook(h, `${p.source}: candidate ${id}`),
          ]),
        ),
      }
    : undefined;
  const sha256 = publicationSha256({ handbook, ...(selection ? { selection } : {}) });
  const now = opts.now ?? new Date().toISOString();
  const ns = namespaceOf(name);
  const [versions, current] = await Promise.all([versionsOf(store, name), currentOf(store, name)]);
  const latest = versions.at(-1);
  const activate = opts.activate !== false;
  const pointer = (version: number, sha: string): CurrentItem => ({
    kind: CURRENT_KIND,
    version,
    sha256: sha,
    since: now,
    by: "publish",
  });
  if (latest && latest.sha256 === sha256) {
    if (activate && current?.version !== latest.version)
      await store.put(ns, "current", { ...pointer(latest.version, sha256) });
    return {
      name,
      version: latest.version,
      created: false,
      sha256,
      current: activate ? latest.version : current?.version,
      previous: current?.version,
    };
  }
  const version = (latest?.version ?? 0) + 1;
  const summary: VersionSummary = {
    version,
    publishedAt: now,
    source: p.source,
    sha256,
    ...(selection ? { candidates: Object.keys(selection.handbooks).length } : {}),
  };
  const item: VersionItem = {
    kind: VERSION_KIND,
    name,
    ...summary,
    handbook,
    ...(selection ? { selection } : {}),
  };
  // The version first, then the list that makes it visible, then the pointer that serves it.
  await store.put(ns, versionLabel(version), { ...item });
  if (version === 1) {
    const names = await publishedNames(store);
    if (!names.includes(name))
      await store.put([...HANDBOOKS_NAMESPACE], "names", { kind: NAMES_KIND, names: [...names, name].sort() });
  }
  await store.put(ns, "versions", { kind: VERSIONS_KIND, versions: [...versions, summary] });
  if (activate) await store.put(ns, "current", { ...pointer(version, sha256) });
  return {
    name,
    version,
    created: true,
    sha256,
    current: activate ? version : current?.version,
    previous: current?.version,
  };
}

export interface VersionList {
  name: string;
  /** The version served to `store:NAME` (undefined: none yet, every publish was --no-activate). */
  current: number | undefined;
  versions: VersionSummary[];
}

/** The versions of a published handbook, oldest first, and the one served. Unknown name: an InputError. */
export async function listVersions(store: BaseStore, name: string): Promise<VersionList> {
  checkName(name);
  const [versions, current] = await Promise.all([versionsOf(store, name), currentOf(store, name)]);
  if (versions.length === 0) throw await unknownName(store, name, `store:${name}`);
  return { name, current: current?.version, versions };
}

export interface RollbackResult {
  name: string;
  /** The version served before, and now. */
  from: number | undefined;
  to: number;
}

/**
 * Serve another version of a published handbook: `to`, or the version before the one served now. The versions stay;
 * a later publish makes the next number and serves it. One-line InputErrors for an unknown name or version, or when
 * there is no version before the current one.
 */
export async function rollback(
  store: BaseStore,
  name: string,
  to?: number,
  now: string = new Date().toISOString(),
): Promise<RollbackResult> {
  const { versions, current } = await listVersions(store, name);
  let target: VersionSummary | undefined;
  if (to !== undefined) {
    target = versions.find((v) => v.version === to);
    if (!target)
      throw new InputError(
        `store:${name}@${versionLabel(to)}: no version ${versionLabel(to)} (versions: ${listing(versions)})`,
      );
  } else {
    if (current === undefined)
      throw new InputError(
        `store:${name}: no version is served, so none comes before it: give --to (versions: ${listing(versions)})`,
      );
    target = versions.filter((v) => v.version < current).at(-1);
    if (!target)
      throw new InputError(
        `store:${name}: ${versionLabel(current)} is the first version: nothing to roll back to (versions: ${listing(versions)})`,
      );
  }
  const item: CurrentItem = {
    kind: CURRENT_KIND,
    version: target.version,
    sha256: target.sha256,
    since: now,
    by: "rollback",
  };
  await store.put(namespaceOf(name), "current", { ...item });
  return { name, from: current, to: target.version };
}

/** A version as the orchestrator serves it: its handbook, its selection, and its name for decisions (`NAME@v3`). */
export interface ResolvedVersion {
  name: string;
  version: number;
  /** `NAME@vN`. */
  label: string;
  sha256: string;
  handbook: Handbook;
  selection?: LoadedSelection;
}

/** Parsed versions, per store: a version's item never changes, so it is read and validated once. */
const parsed = new WeakMap<BaseStore, Map<string, ResolvedVersion>>();
/** Versions kept parsed per store (the least recently used go first). */
const KEEP_PARSED = 8;

/**
 * The store a cache entry belongs to: a graph run sees its store wrapped in a new AsyncBatchedStore each run
 * (LangGraph's own `extractStore` unwraps it the same way), so the wrapped store is the key.
 */
function storeKey(store: BaseStore): BaseStore {
  const s = store as BaseStore & { lg_name?: string; store?: BaseStore };
  return s.lg_name === "AsyncBatchedStore" && s.store ? s.store : store;
}

function remember(store: BaseStore, r: ResolvedVersion): ResolvedVersion {
  store = storeKey(store);
  let m = parsed.get(store);
  if (!m) parsed.set(store, (m = new Map()));
  m.delete(r.label);
  m.set(r.label, r);
  while (m.size > KEEP_PARSED) m.delete(m.keys().next().value!);
  return r;
}

function recalled(store: BaseStore, label: string, sha256?: string): ResolvedVersion | undefined {
  const m = parsed.get(storeKey(store));
  const hit = m?.get(label);
  if (!hit || (sha256 !== undefined && hit.sha256 !== sha256)) return undefined;
  m!.delete(label);
  m!.set(label, hit);
  return hit;
}

/**
 * The version a run is served: `version`, or the one `current` names (one read of the store per call; a version
 * already read is not read again). One-line InputErrors naming the reference: unknown name, unknown version, no
 * current version, or an item that is not a valid handbook.
 */
export async function resolveVersion(
  store: BaseStore,
  name: string,
  version: number | "current",
): Promise<ResolvedVersion> {
  checkName(name, `store:${name}`);
  let n: number;
  let sha: string | undefined;
  if (version === "current") {
    const current = await currentOf(store, name);
    if (!current) {
      const versions = await versionsOf(store, name);
      if (versions.length === 0) throw await unknownName(store, name, `store:${name}`);
      throw new InputError(
        `store:${name}: no version is served yet (versions: ${listing(versions)}): serve one with skillorchestra handbook rollback --name ${name} --to ${versionLabel(versions.at(-1)!.version)}`,
      );
    }
    n = current.version;
    sha = current.sha256;
  } else n = version;
  const label = versionName(name, n);
  const hit = recalled(store, label, sha);
  if (hit) return hit;
  const where = `store:${label}`;
  const item = await store.get(namespaceOf(name), versionLabel(n));
  if (!item) {
    const versions = await versionsOf(store, name);
    if (versions.length === 0) throw await unknownName(store, name, where);
    throw new InputError(
      `${where}: no version ${versionLabel(n)} of handbook "${name}" (versions: ${listing(versions)})`,
    );
  }
  const v = item.value as Partial<VersionItem>;
  if (v.kind !== VERSION_KIND) throw new InputError(`${where}: $.kind: not a published handbook version`);
  const handbook = validateHandbook(v.handbook, `${where}: handbook`);
  let selection: LoadedSelection | undefined;
  if (v.selection) {
    const handbooks = new Map<string, Handbook>();
    for (const [id, h] of Object.entries(v.selection.handbooks ?? {}))
      handbooks.set(id, validateHandbook(h, `${where}: candidate ${id}`));
    const sel = v.selection.selection;
    if (!sel || !Array.isArray(sel.candidates) || sel.candidates.length === 0)
      throw new InputError(`${where}: $.selection.candidates: missing or empty`);
    selection = { path: `${where} (selection)`, selection: sel, handbooks };
  }
  return remember(store, {
    name,
    version: n,
    label,
    sha256: typeof v.sha256 === "string" ? v.sha256 : "",
    handbook,
    ...(selection ? { selection } : {}),
  });
}

/**
 * The handbook a run's `store:NAME[@vN]` reference is served: from `store` (the run's), the version named, else the
 * one `pinned` names (`NAME@vN`: the version the run started with, so a run keeps one version to its end), else the
 * current one. No store: an InputError saying where one comes from.
 */
export async function servedVersion(
  store: BaseStore | undefined,
  ref: string,
  pinned?: string,
): Promise<ResolvedVersion> {
  const r = parseStoreRef(ref);
  if (!store)
    throw new InputError(
      `${ref}: the run has no store to read the handbook from: serve the graph on a LangGraph server (its store), or compile it with one`,
    );
  let version = r.version;
  if (version === "current" && pinned?.startsWith(`${r.name}@v`))
    version = parseVersion(pinned.slice(r.name.length + 1));
  return resolveVersion(store, r.name, version);
}
