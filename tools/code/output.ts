/**
 * A bounded sink for a program's stdout or stderr: it keeps the first and last bytes up to a cap and counts
 * what it dropped, so a flood costs the host at most `cap` bytes of memory.
 */
export class CappedOutput {
  private readonly headCap: number;
  private readonly tailCap: number;
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** Bytes received in total. */
  total = 0;

  constructor(readonly cap: number) {
    this.headCap = Math.ceil(cap / 2);
    this.tailCap = cap - this.headCap;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headBytes < this.headCap) {
      const take = Math.min(chunk.length, this.headCap - this.headBytes);
      this.head.push(chunk.subarray(0, take));
      this.headBytes += take;
      chunk = chunk.subarray(take);
    }
    if (chunk.length === 0 || this.tailCap === 0) return;
    if (chunk.length >= this.tailCap) {
      this.tail = [Buffer.from(chunk.subarray(chunk.length - this.tailCap))];
      this.tailBytes = this.tailCap;
      return;
    }
    this.tail.push(Buffer.from(chunk));
    this.tailBytes += chunk.length;
    while (this.tailBytes > this.tailCap) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - this.tailCap;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
      }
    }
  }

  /** Bytes received but not kept. */
  get omitted(): number {
    return this.total - this.headBytes - this.tailBytes;
  }

  get truncated(): boolean {
    return this.omitted > 0;
  }

  /** The kept text, with a visible marker where bytes were dropped. `note` is added to the marker. */
  text(note?: string): string {
    const head = Buffer.concat(this.head).toString("utf8");
    if (!this.truncated && !note) return head + Buffer.concat(this.tail).toString("utf8");
    const marker = this.truncated
      ? `\n…[truncated: ${this.omitted} bytes omitted${note ? `; ${note}` : ""}]\n`
      : `\n…[${note}]\n`;
    return head + marker + Buffer.concat(this.tail).toString("utf8");
  }
}
