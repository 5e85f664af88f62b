import {
  BaseStore,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchOperation,
} from "@langchain/langgraph";
import type { Client } from "@langchain/langgraph-sdk";

type SdkItem = {
  namespace: string[];
  key: string;
  value: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
};

const itemOf = (i: SdkItem & { score?: number }): Item & { score?: number } => ({
  namespace: i.namespace,
  key: i.key,
  value: i.value,
  createdAt: new Date(i.createdAt ?? (i as { created_at?: string }).created_at ?? 0),
  updatedAt: new Date(i.updatedAt ?? (i as { updated_at?: string }).updated_at ?? 0),
  ...(i.score !== undefined && i.score !== null ? { score: i.score } : {}),
});

/**
 * The store of a running LangGraph server (`langgraphjs dev`, a self-hosted server, LangGraph Platform) as a
 * LangGraph BaseStore, through the server's store API (@langchain/langgraph-sdk's `client.store`): what is put here
 * is what the server's graphs read from their runtime store. Operations run one request each, in order.
 */
export class ServerStore extends BaseStore {
  constructor(
    readonly client: Client,
    readonly url: string,
  ) {
    super();
  }

  override async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    const results: unknown[] = [];
    for (const op of operations) {
      try {
        results.push(await this.one(op));
      } catch (err) {
        // The SDK's errors say little on their own ("fetch failed"): name the server and the cause.
        const e = err as Error & { cause?: { code?: string; message?: string } };
        const cause = e.cause?.code ?? e.cause?.message;
        throw new Error(`${this.url}: the server's store: ${e.message.split("\n")[0]}${cause ? ` (${cause})` : ""}`);
      }
    }
    return results as OperationResults<Op>;
  }

  private async one(op: Operation): Promise<unknown> {
    const s = this.client.store;
    if ("namespacePrefix" in op) {
      const o = op as SearchOperation;
      const res = await s.searchItems(o.namespacePrefix, {
        ...(o.filter ? { filter: o.filter } : {}),
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
        ...(o.offset !== undefined ? { offset: o.offset } : {}),
        ...(o.query ? { query: o.query } : {}),
      });
      return res.items.map((i) => itemOf(i as SdkItem));
    }
    if ("value" in op) {
      const o = op as PutOperation;
      if (o.value === null) await s.deleteItem(o.namespace, o.key);
      else await s.putItem(o.namespace, o.key, o.value, o.index !== undefined ? { index: o.index } : {});
      return undefined;
    }
    if ("matchConditions" in op || "limit" in op) {
      const o = op as ListNamespacesOperation;
      const prefix = o.matchConditions?.find((m) => m.matchType === "prefix")?.path;
      const suffix = o.matchConditions?.find((m) => m.matchType === "suffix")?.path;
      const res = await s.listNamespaces({
        ...(prefix ? { prefix: prefix as string[] } : {}),
        ...(suffix ? { suffix: suffix as string[] } : {}),
        ...(o.maxDepth !== undefined ? { maxDepth: o.maxDepth } : {}),
        limit: o.limit,
        offset: o.offset,
      });
      return res.namespaces;
    }
    const o = op as GetOperation;
    const item = await s.getItem(o.namespace, o.key);
    return item ? itemOf(item as SdkItem) : null;
  }
}
