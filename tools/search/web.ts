import { z } from "zod";
import { InputError, jsonPath } from "../../src/core/errors.js";
import type { Passage } from "./passage.js";

/** Whether web search is available, and a line saying so (the orchestrator shows it). */
export interface WebSearchStatus {
  enabled: boolean;
  message: string;
}

/** A web-search backend: the `k` best results for a query, as passages. */
export interface WebSearch {
  readonly status: WebSearchStatus;
  search(query: string, k: number, options?: { signal?: AbortSignal }): Promise<Passage[]>;
}

export const WEB_SEARCH_ENV = {
  url: "SKILLORCHESTRA_WEB_SEARCH_URL",
  key: "SKILLORCHESTRA_WEB_SEARCH_KEY",
  method: "SKILLORCHESTRA_WEB_SEARCH_METHOD",
  keyHeader: "SKILLORCHESTRA_WEB_SEARCH_KEY_HEADER",
  timeoutMs: "SKILLORCHESTRA_WEB_SEARCH_TIMEOUT_MS",
} as const;

/** The error for any failed web search: HTTP status, timeout, unreachable server, bad response, or search turned off. */
export class WebSearchError extends Error {
  override readonly name = "WebSearchError";
}

/** Web search when nothing is configured: every search rejects, saying how to turn it on. */
export class DisabledWebSearch implements WebSearch {
  readonly status: WebSearchStatus = {
    enabled: false,
    message: `web search is off: set ${WEB_SEARCH_ENV.url} (and ${WEB_SEARCH_ENV.key} if the service needs a key)`,
  };
  async search(): Promise<Passage[]> {
    throw new WebSearchError(this.status.message);
  }
}

/**
 * The response the configured service must send (JSON, HTTP 2xx):
 * `{"results": [{"title": string, "url": string, "snippet": string, "score"?: number}, ...]}`, best first.
 * Extra fields are ignored. Without `score`, a result's score is 1 / (1 + its rank).
 */
export const WebSearchResponseSchema = z.object({
  results: z.array(
    z.object({ title: z.string(), url: z.string(), snippet: z.string(), score: z.number().optional() }),
  ),
});

export interface HttpWebSearchConfig {
  /** The service's endpoint. GET sends `?q=<query>&k=<k>`; POST sends the JSON body `{"query", "k"}`. */
  url: string;
  /** Sent in `keyHeader`; never logged or put in error messages. */
  apiKey?: string;
  method?: "GET" | "POST";
  /** Header carrying the key (default `Authorization`, sent as `Bearer <key>`; any other header gets the bare key). */
  keyHeader?: string;
  /** Give up after this long (default 10,000 ms). */
  timeoutMs?: number;
}

/** Web search through an HTTP JSON service (see WebSearchResponseSchema for the expected response). */
export class HttpWebSearch implements WebSearch {
  readonly status: WebSearchStatus;
  private readonly url: URL;
  private readonly method: "GET" | "POST";
  private readonly timeoutMs: number;

  constructor(private readonly config: HttpWebSearchConfig) {
    try {
      this.url = new URL(config.url);
    } catch {
      throw new InputError(`web search: url: not a valid URL: ${JSON.stringify(config.url)}`);
    }
    if (this.url.protocol !== "http:" && this.url.protocol !== "https:") {
      throw new InputError(`web search: url: must be http or https, got ${this.url.protocol}`);
    }
    this.method = config.method ?? "GET";
    this.timeoutMs = config.timeoutMs ?? 10_000;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new InputError(`web search: timeoutMs: must be a number > 0, got ${config.timeoutMs}`);
    }
    this.status = {
      enabled: true,
      message: `web search is on: ${this.method} ${this.where()}${config.apiKey ? " (with key)" : ""}`,
    };
  }

  async search(query: string, k: number, options: { signal?: AbortSignal } = {}): Promise<Passage[]> {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`web search: k must be a whole number >= 1, got ${k}`);
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.config.apiKey) {
      const header = this.config.keyHeader ?? "Authorization";
      headers[header] = header.toLowerCase() === "authorization" ? `Bearer ${this.config.apiKey}` : this.config.apiKey;
    }
    const url = new URL(this.url);
    let body: string | undefined;
    if (this.method === "GET") {
      url.searchParams.set("q", query);
      url.searchParams.set("k", String(k));
    } else {
      headers["content-type"] = "application/json";
      body = JSON.stringify({ query, k });
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    let text: string;
    let status: number;
    try {
      const res = await fetch(url, { method: this.method, headers, body, signal });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (timeout.aborted) throw new WebSearchError(`web search: no answer from ${this.where()} within ${this.timeoutMs} ms`);
      if (options.signal?.aborted) throw new WebSearchError(`web search: cancelled`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new WebSearchError(
        `web search: could not reach ${this.where()}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      );
    }
    if (status < 200 || status > 299) {
      throw new WebSearchError(`web search: HTTP ${status} from ${this.where()}: ${oneLine(text, 200)}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new WebSearchError(`web search: response from ${this.where()} is not JSON: ${oneLine(text, 200)}`);
    }
    const parsed = WebSearchResponseSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new WebSearchError(
        `web search: unexpected response from ${this.where()}: ${jsonPath(issue.path)}: ${issue.message} ` +
          `(expected {"results": [{"title", "url", "snippet"}]})`,
      );
    }
    return parsed.data.results.slice(0, k).map((r, rank) => ({
      id: r.url,
      docId: r.url,
      title: r.title,
      text: r.snippet,
      score: r.score ?? 1 / (1 + rank),
      url: r.url,
    }));
  }

  /** The endpoint without query string or credentials, for messages. */
  private where(): string {
    return `${this.url.origin}${this.url.pathname}`;
  }
}

function oneLine(text: string, max: number): string {
  const s = text.replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max)}…` : s || "(empty body)";
}

/**
 * Web search as configured by the environment: SKILLORCHESTRA_WEB_SEARCH_URL (required to turn it on),
 * _KEY, _METHOD (GET or POST), _KEY_HEADER, _TIMEOUT_MS. Without a URL it is a DisabledWebSearch.
 */
export function webSearchFromEnv(env: NodeJS.ProcessEnv = process.env): WebSearch {
  const url = env[WEB_SEARCH_ENV.url]?.trim();
  if (!url) return new DisabledWebSearch();
  const methodRaw = (env[WEB_SEARCH_ENV.method] ?? "GET").trim().toUpperCase();
  if (methodRaw !== "GET" && methodRaw !== "POST") {
    throw new InputError(`${WEB_SEARCH_ENV.method}: must be GET or POST, got ${JSON.stringify(methodRaw)}`);
  }
  const timeoutRaw = env[WEB_SEARCH_ENV.timeoutMs]?.trim();
  const timeoutMs = timeoutRaw ? Number(timeoutRaw) : undefined;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new InputError(`${WEB_SEARCH_ENV.timeoutMs}: must be a number of milliseconds > 0, got ${JSON.stringify(timeoutRaw)}`);
  }
  try {
    return new HttpWebSearch({
      url,
      apiKey: env[WEB_SEARCH_ENV.key]?.trim() || undefined,
      method: methodRaw,
      keyHeader: env[WEB_SEARCH_ENV.keyHeader]?.trim() || undefined,
      timeoutMs,
    });
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${WEB_SEARCH_ENV.url}: ${err.message.replace(/^web search: url: /, "")}`);
    throw err;
  }
}
