/**
 * The agent runtime shared by providers that call remote models: typed errors, retries with backoff, and a
 * per-agent concurrency limit. Pure of any provider SDK: errors are classified by their shape (status, headers,
 * name, cause code), which is what the OpenAI SDK and LangChain throw.
 */
import pLimit, { type LimitFunction } from "p-limit";

/** How a call to an agent failed at the transport level. `protocol`: the server answered something unusable. */
export type AgentCallErrorKind = "http" | "timeout" | "network" | "protocol";

/** A call to an agent failed after every attempt the runtime was allowed. */
export class AgentCallError extends Error {
  override readonly name = "AgentCallError";
  readonly agent: string;
  readonly kind: AgentCallErrorKind;
  readonly status?: number;
  /** The first 200 characters of the server's error body, when there was one. */
  readonly bodyExcerpt?: string;
  /** How many attempts were made, the failing one included. */
  readonly attempts: number;
  readonly retryable: boolean;
  /** The server's Retry-After, in milliseconds, when it sent one. */
  readonly retryAfterMs?: number;
  /** What went wrong, for failures without an HTTP body (timeout, network, protocol). */
  readonly detail?: string;
  /** True when the caller's deadline (the run's), not the agent's own timeout, ended the call. */
  readonly deadline: boolean;

  constructor(fields: {
    agent: string;
    kind: AgentCallErrorKind;
    status?: number;
    bodyExcerpt?: string;
    attempts: number;
    retryable: boolean;
    retryAfterMs?: number;
    detail?: string;
    deadline?: boolean;
    cause?: unknown;
  }) {
    const what = failureWhat(fields.kind, fields.status);
    const tail = fields.bodyExcerpt ?? fields.detail;
    const plural = fields.attempts === 1 ? "attempt" : "attempts";
    super(`agent ${fields.agent}: ${what} after ${fields.attempts} ${plural}${tail ? `: ${tail}` : ""}`, {
      cause: fields.cause,
    });
    this.agent = fields.agent;
    this.kind = fields.kind;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.bodyExcerpt !== undefined) this.bodyExcerpt = fields.bodyExcerpt;
    this.attempts = fields.attempts;
    this.retryable = fields.retryable;
    if (fields.retryAfterMs !== undefined) this.retryAfterMs = fields.retryAfterMs;
    if (fields.detail !== undefined) this.detail = fields.detail;
    this.deadline = fields.deadline ?? false;
  }

  /** The failure in two or three words: `HTTP 500`, `timed out`, `network error`, `unusable response`. */
  get what(): string {
    return failureWhat(this.kind, this.status);
  }

  /** The same failure, counted over `attempts` attempts. */
  withAttempts(attempts: number): AgentCallError {
    return new AgentCallError({
      agent: this.agent,
      kind: this.kind,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.bodyExcerpt !== undefined ? { bodyExcerpt: this.bodyExcerpt } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      attempts,
      retryable: this.retryable,
      ...(this.detail !== undefined ? { detail: this.detail } : {}),
      deadline: this.deadline,
      cause: this.cause,
    });
  }
}

function failureWhat(kind: AgentCallErrorKind, status: number | undefined): string {
  return kind === "http"
    ? `HTTP ${status ?? "error"}`
    : kind === "timeout"
      ? "timed out"
      : kind === "network"
        ? "network error"
        : "unusable response";
}

/**
 * The model answered, but not in the shape asked for: output that does not parse against the requested schema, or
 * a tool call whose arguments are not valid JSON. Graphs route on it (`instanceof`, or `kind === "structured_output"`).
 */
export class StructuredOutputError extends Error {
  override readonly name = "StructuredOutputError";
  readonly kind = "structured_output" as const;
  readonly agent: string;
  /** What the model produced (text, or the raw tool-call arguments). */
  readonly raw: string;
  /** What the failed call cost (it was still billed), when known. */
  readonly usage?: { promptTokens: number; completionTokens: number };
  readonly costUsd?: number;
  readonly costEstimated?: boolean;

  constructor(
    agent: string,
    detail: string,
    raw: string,
    cost?: { usage: { promptTokens: number; completionTokens: number }; costUsd: number; costEstimated: boolean },
  ) {
    super(`agent ${agent}: ${detail}`);
    this.agent = agent;
    this.raw = raw;
    if (cost) {
      this.usage = cost.usage;
      this.costUsd = cost.costUsd;
      this.costEstimated = cost.costEstimated;
    }
  }
}

export function isStructuredOutputError(err: unknown): err is StructuredOutputError {
  return (
    err instanceof StructuredOutputError ||
    (typeof err === "object" && err !== null && (err as { kind?: unknown }).kind === "structured_output")
  );
}

export const EXCERPT_CHARS = 200;

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT_CHARS ? flat.slice(0, EXCERPT_CHARS) : flat;
}

/**
 * Milliseconds to wait from a Retry-After header value: delta-seconds (`"2"`, `"1.5"`) or an HTTP date.
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  const get = (headers as { get?: unknown }).get;
  if (typeof get === "function") return (get.call(headers, name) as string | null) ?? undefined;
  const record = headers as Record<string, unknown>;
  const hit = Object.keys(record).find((k) => k.toLowerCase() === name);
  const v = hit === undefined ? undefined : record[hit];
  return typeof v === "string" ? v : undefined;
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

function causeCodes(err: unknown): string[] {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur && typeof cur === "object"; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    cur = (cur as { cause?: unknown }).cause;
  }
  return codes;
}

/** True for statuses worth retrying: 408, 429 and every 5xx. Other 4xx are the caller's fault and never retried. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Turn whatever a provider SDK threw for one attempt into an AgentCallError (attempts = 1), or return undefined when
 * the error is not a transport failure (an abort by the caller, a StructuredOutputError…) and must pass through as is.
 */
export function classifyCallError(agent: string, err: unknown): AgentCallError | undefined {
  if (err instanceof AgentCallError) return err;
  if (!err || typeof err !== "object") {
    return new AgentCallError({
      agent,
      kind: "protocol",
      attempts: 1,
      retryable: false,
      detail: String(err),
      cause: err,
    });
  }
  if (isStructuredOutputError(err)) return undefined;
  const e = err as { name?: unknown; message?: unknown; status?: unknown; headers?: unknown; error?: unknown };
  const name = typeof e.name === "string" ? e.name : "";
  const ctor = (err as object).constructor?.name ?? "";
  const message = typeof e.message === "string" ? e.message : "";
  if (name === "AbortError" || ctor === "APIUserAbortError" || name === "ModelAbortError") return undefined;
  if (name === "TimeoutError" || ctor === "APIConnectionTimeoutError") {
    return new AgentCallError({
      agent,
      kind: "timeout",
      attempts: 1,
      retryable: true,
      detail: message || "request timed out",
      cause: err,
    });
  }
  if (typeof e.status === "number") {
    const status = e.status;
    const body =
      e.error !== undefined && e.error !== null
        ? typeof e.error === "string"
          ? e.error
          : JSON.stringify(e.error)
        : message.replace(/^\d{3}\s*/, "").split("\n\nTroubleshooting URL")[0]!;
    const retryAfterMs = parseRetryAfter(headerOf(e.headers, "retry-after"));
    return new AgentCallError({
      agent,
      kind: "http",
      status,
      bodyExcerpt: excerpt(body),
      attempts: 1,
      retryable: isRetryableStatus(status),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      cause: err,
    });
  }
  const codes = causeCodes(err);
  if (ctor === "APIConnectionError" || name === "APIConnectionError" || codes.some((c) => NETWORK_CODES.has(c))) {
    const detail = [message || "connection error", ...codes].join(" ");
    return new AgentCallError({ agent, kind: "network", attempts: 1, retryable: true, detail, cause: err });
  }
  // A body that is not JSON (SyntaxError), or a JSON body missing what a chat completion must hold (TypeError
  // deep in the SDK): the server is not speaking the protocol. Retrying would repeat it.
  return new AgentCallError({
    agent,
    kind: "protocol",
    attempts: 1,
    retryable: false,
    detail: excerpt(`${name || ctor || "Error"}: ${message}`),
    cause: err,
  });
}

/** Retries after the first attempt when neither the pool (`maxRetries`) nor the caller says: 3 attempts in all. */
export const DEFAULT_MAX_RETRIES = 2;
/** Base of the exponential backoff between attempts. */
export const DEFAULT_BACKOFF_BASE_MS = 500;
/** Cap of one backoff wait. */
export const DEFAULT_BACKOFF_MAX_MS = 20_000;
/** Cap on a server's Retry-After: a longer request is cut to this. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

export interface RetryOptions {
  /** Retries after the first attempt; default DEFAULT_MAX_RETRIES (2). */
  maxRetries?: number;
  /** Base of the exponential backoff; default 500 ms. */
  baseDelayMs?: number;
  /** Cap of the exponential backoff; default 20 s. */
  maxDelayMs?: number;
  /** Cap on a server's Retry-After; a longer request is cut to this; default 60 s. */
  maxRetryAfterMs?: number;
  /** Whether an error may be retried; default: AgentCallError.retryable. */
  isRetryable?: (err: unknown) => boolean;
  /** The server-requested wait for an error, if any; default: AgentCallError.retryAfterMs. */
  retryAfterMs?: (err: unknown) => number | undefined;
  /** Called before each wait with the 1-based number of the attempt that failed. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  signal?: AbortSignal;
  /** Epoch ms after which no attempt starts: a wait that would end past it is not taken, the last error is thrown. */
  deadlineAt?: number;
  /** Uniform [0, 1) source for jitter; default Math.random. */
  random?: () => number;
}

/** Full-jitter backoff: uniform in [0, min(cap, base·2^retry)). `retry` is 0 for the first retry. */
export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const defaultIsRetryable = (err: unknown) => err instanceof AgentCallError && err.retryable;
const defaultRetryAfter = (err: unknown) => (err instanceof AgentCallError ? err.retryAfterMs : undefined);

/**
 * Run `fn` (given the 1-based attempt number) until it succeeds, a non-retryable error occurs, or `maxRetries`
 * retries are spent; then rethrow the last error. Waits a server's Retry-After when it sent one (429/503), else
 * exponential backoff with full jitter. An abort of `signal` stops the wait and rethrows the abort reason. With
 * `deadlineAt`, a wait that would end past it is not taken: the last error is thrown at once.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const baseDelayMs = options.baseDelayMs ?? DEFAULT_BACKOFF_BASE_MS;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_BACKOFF_MAX_MS;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const isRetryable = options.isRetryable ?? defaultIsRetryable;
  const retryAfter = options.retryAfterMs ?? defaultRetryAfter;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt > maxRetries || !isRetryable(error) || options.signal?.aborted) throw error;
      const asked = retryAfter(error);
      const delayMs =
        asked !== undefined
          ? Math.min(asked, maxRetryAfterMs)
          : backoffDelay(attempt - 1, baseDelayMs, maxDelayMs, random);
      if (options.deadlineAt !== undefined && Date.now() + delayMs >= options.deadlineAt) throw error;
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}

/** Default number of calls to one agent in flight at once. */
export const DEFAULT_CONCURRENCY = 4;

/** A limiter for one agent: every call to that agent goes through the same one. */
export function createLimiter(concurrency: number = DEFAULT_CONCURRENCY): LimitFunction {
  return pLimit(concurrency);
}
