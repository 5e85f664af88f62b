import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { DisabledWebSearch, HttpWebSearch, WebSearchError, webSearchFromEnv } from "../../tools/search/web.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}
const seen: Seen[] = [];
let server: Server;
let base: string;
const pending = new Set<ServerResponse>();

const results = [
  { title: "First", url: "https://a.test/1", snippet: "one", score: 9 },
  { title: "Second", url: "https://a.test/2", snippet: "two" },
  { title: "Third", url: "https://a.test/3", snippet: "three" },
];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const path = new URL(req.url!, "http://x").pathname;
      if (path === "/search") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ results, extra: true }));
      } else if (path === "/fail") {
        res.writeHead(503);
        res.end("upstream overloaded\nretry later");
      } else if (path === "/slow") {
        pending.add(res); // never answered until teardown
      } else if (path === "/badshape") {
        res.writeHead(200);
        res.end(JSON.stringify({ results: [{ title: "x", snippet: "no url" }] }));
      } else {
        res.writeHead(200);
        res.end("<html>not json</html>");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of pending) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("HttpWebSearch", () => {
  it("GETs the query and k with the key as a bearer token, and maps results to passages", async () => {
    const web = new HttpWebSearch({ url: `${base}/search`, apiKey: "sekret" });
    const hits = await web.search("who wrote dune", 2);
    const req = seen.at(-1)!;
    expect(req.method).toBe("GET");
    expect(new URL(req.url, base).searchParams.get("q")).toBe("who wrote dune");
    expect(new URL(req.url, base).searchParams.get("k")).toBe("2");
    expect(req.headers.authorization).toBe("Bearer sekret");
    expect(hits).toEqual([
      { id: "https://a.test/1", docId: "https://a.test/1", title: "First", text: "one", score: 9, url: "https://a.test/1" },
      { id: "https://a.test/2", docId: "https://a.test/2", title: "Second", text: "two", score: 0.5, url: "https://a.test/2" },
    ]);
    expect(web.status).toEqual({ enabled: true, message: `web search is on: GET ${base}/search (with key)` });
  });

  it("POSTs JSON with the key in a named header", async () => {
    const web = new HttpWebSearch({ url: `${base}/search`, apiKey: "k1", method: "POST", keyHeader: "X-Api-Key" });
    expect(await web.search("q", 5)).toHaveLength(3);
    const req = seen.at(-1)!;
    expect(req.method).toBe("POST");
    expect(JSON.parse(req.body)).toEqual({ query: "q", k: 5 });
    expect(req.headers["x-api-key"]).toBe("k1");
    expect(req.headers.authorization).toBeUndefined();
  });

  it("reports an HTTP error with its status and body, without the key", async () => {
    const web = new HttpWebSearch({ url: `${base}/fail`, apiKey: "sekret" });
    const err = await web.search("q", 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebSearchError);
    expect((err as Error).message).toBe(`web search: HTTP 503 from ${base}/fail: upstream overloaded retry later`);
    expect((err as Error).message).not.toContain("sekret");
  });

  it("gives up after the timeout", async () => {
    const web = new HttpWebSearch({ url: `${base}/slow`, timeoutMs: 150 });
    await expect(web.search("q", 1)).rejects.toThrow(`web search: no answer from ${base}/slow within 150 ms`);
  });

  it("rejects a response that is not JSON or not of the documented shape", async () => {
    await expect(new HttpWebSearch({ url: `${base}/html` }).search("q", 1)).rejects.toThrow(/is not JSON/);
    await expect(new HttpWebSearch({ url: `${base}/badshape` }).search("q", 1)).rejects.toThrow(
      /unexpected response .*: \$\.results\[0\]\.url: /,
    );
  });

  it("reports an unreachable server", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(new HttpWebSearch({ url: `http://127.0.0.1:${port}/` }).search("q", 1)).rejects.toThrow(
      /could not reach .*ECONNREFUSED/,
    );
  });
});

describe("webSearchFromEnv", () => {
  it("is off, and says how to turn it on, without a URL", async () => {
    const web = webSearchFromEnv({});
    expect(web).toBeInstanceOf(DisabledWebSearch);
    expect(web.status.enabled).toBe(false);
    expect(web.status.message).toMatch(/^web search is off: set SKILLORCHESTRA_WEB_SEARCH_URL/);
    await expect(web.search("q", 1)).rejects.toThrow(/web search is off: set SKILLORCHESTRA_WEB_SEARCH_URL/);
  });

  it("configures an HTTP search from the environment", async () => {
    const web = webSearchFromEnv({
      SKILLORCHESTRA_WEB_SEARCH_URL: `${base}/search`,
      SKILLORCHESTRA_WEB_SEARCH_KEY: "envkey",
      SKILLORCHESTRA_WEB_SEARCH_METHOD: "post",
    });
    expect(web.status.enabled).toBe(true);
    expect(await web.search("env", 1)).toHaveLength(1);
    expect(seen.at(-1)!.method).toBe("POST");
    expect(seen.at(-1)!.headers.authorization).toBe("Bearer envkey");
  });

  it("rejects bad settings naming the variable", () => {
    expect(() => webSearchFromEnv({ SKILLORCHESTRA_WEB_SEARCH_URL: "not a url" })).toThrow(
      new InputError('SKILLORCHESTRA_WEB_SEARCH_URL: not a valid URL: "not a url"'),
    );
    expect(() =>
      webSearchFromEnv({ SKILLORCHESTRA_WEB_SEARCH_URL: base, SKILLORCHESTRA_WEB_SEARCH_METHOD: "PUT" }),
    ).toThrow(/^SKILLORCHESTRA_WEB_SEARCH_METHOD: must be GET or POST/);
    expect(() =>
      webSearchFromEnv({ SKILLORCHESTRA_WEB_SEARCH_URL: base, SKILLORCHESTRA_WEB_SEARCH_TIMEOUT_MS: "soon" }),
    ).toThrow(/^SKILLORCHESTRA_WEB_SEARCH_TIMEOUT_MS: /);
  });
});
