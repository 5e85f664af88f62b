import { describe, expect, it } from "vitest";
import {
  AgentCallError,
  backoffDelay,
  classifyCallError,
  createLimiter,
  isRetryableStatus,
  isStructuredOutputError,
  parseRetryAfter,
  StructuredOutputError,
  withRetry,
} from "../../src/providers/runtime.js";

function httpError(status: number, retryAfter?: string) {
  const err = new Error(`${status} scripted`) as Error & { status: number; headers: Headers; error: unknown };
  err.status = status;
  err.headers = new Headers(retryAfter ? { "retry-after": retryAfter } : {});
  err.error = { message: `failure ${status}` };
  return err;
}

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates, and ignores junk", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("0.5", now)).toBe(500);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:07 GMT", now)).toBe(7000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("classifyCallError", () => {
  it("retries 408, 429 and 5xx, never other 4xx", () => {
    expect([400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503].filter(isRetryableStatus)).toEqual([
      408, 429, 500, 502, 503,
    ]);
    expect(classifyCallError("a", httpError(404))).toMatchObject({
      kind: "http",
      status: 404,
      retryable: false,
      bodyExcerpt: '{"message":"failure 404"}',
    });
  });

  it("keeps the Retry-After of a 429", () => {
    expect(classifyCallError("a", httpError(429, "2"))).toMatchObject({ retryable: true, retryAfterMs: 2000 });
  });

  it("cuts the body excerpt to 200 characters", () => {
    const err = httpError(500);
    err.error = "x".repeat(500);
    expect(classifyCallError("a", err)!.bodyExcerpt).toHaveLength(200);
  });

  it("treats connection resets as network errors and lets aborts and structured-output errors through", () => {
    const reset = Object.assign(new Error("fetch failed"), { cause: { code: "ECONNRESET" } });
    expect(classifyCallError("a", reset)).toMatchObject({ kind: "network", retryable: true });
    const abort = Object.assign(new Error("aborted"), { name: "AbortError" });
    expect(classifyCallError("a", abort)).toBeUndefined();
    expect(classifyCallError("a", new StructuredOutputError("a", "bad", "{"))).toBeUndefined();
    expect(classifyCallError("a", new SyntaxError("Unexpected end of JSON input"))).toMatchObject({
      kind: "protocol",
      retryable: false,
    });
  });

  it("recognises structured-output errors by kind as well as by class", () => {
    expect(isStructuredOutputError(new StructuredOutputError("a", "bad", "{"))).toBe(true);
    expect(isStructuredOutputError({ kind: "structured_output" })).toBe(true);
    expect(isStructuredOutputError(new Error("x"))).toBe(false);
  });
});

describe("withRetry", () => {
  const err = (status: number, retryAfter?: string) => classifyCallError("a", httpError(status, retryAfter))!;

  it("retries retryable failures up to maxRetries, then rethrows the last", async () => {
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls++;
        throw err(503);
      },
      { maxRetries: 2, baseDelayMs: 1 },
    );
    await expect(failing).rejects.toBeInstanceOf(AgentCallError);
    expect(calls).toBe(3);
  });

  it("does not retry a non-retryable failure", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw err(401);
        },
        { baseDelayMs: 1 },
      ),
    ).rejects.toMatchObject({ status: 401 });
    expect(calls).toBe(1);
  });

  it("waits the server's Retry-After when given, else full-jitter exponential backoff", async () => {
    const delays: number[] = [];
    const script = [err(500), err(500), err(429, "0.01"), err(500)];
    const result = await withRetry(
      async (attempt) => {
        const next = script[attempt - 1];
        if (next) throw next;
        return attempt;
      },
      {
        maxRetries: 4,
        baseDelayMs: 2,
        maxDelayMs: 6,
        random: () => 0.999,
        onRetry: ({ delayMs }) => delays.push(delayMs),
      },
    );
    expect(result).toBe(5);
    // 0.999 × min(6, 2·2^k) floored: 1, 3; then the server's 10 ms; then the cap 6 → 5.
    expect(delays).toEqual([1, 3, 10, 5]);
  });

  it("computes full-jitter delays within [0, min(cap, base·2^retry))", () => {
    expect(backoffDelay(0, 100, 1000, () => 0)).toBe(0);
    expect(backoffDelay(3, 100, 1000, () => 0.5)).toBe(400);
    expect(backoffDelay(10, 100, 1000, () => 0.5)).toBe(500);
  });

  it("stops waiting when the signal aborts", async () => {
    const controller = new AbortController();
    const pending = withRetry(
      async () => {
        throw err(500);
      },
      {
        baseDelayMs: 60_000,
        random: () => 0.99,
        signal: controller.signal,
        onRetry: () => controller.abort(new Error("stop")),
      },
    );
    await expect(pending).rejects.toThrow("stop");
  });
});

describe("createLimiter", () => {
  it("never runs more than its concurrency at once", async () => {
    const limit = createLimiter(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        limit(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setImmediate(r));
          running--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });
});
