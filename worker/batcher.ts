/**
 * Application-level group commit: requests that arrive while a database call is in
 * flight are sent together in the next call, so a busy worker makes one round trip and
 * one commit for many tasks, while a lone request (a chain's next task) goes at once.
 */
export class Batcher<I, O> {
  private waiting: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;

  constructor(
    private readonly send: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 64,
    private readonly maxInFlight = 4,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      // Let requests made in the same tick join this batch, then send.
      if (this.waiting.length === 1) queueMicrotask(() => this.pump());
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight += 1;
      this.send(batch.map((b) => b.item)).then(
        (out) => batch.forEach((b, i) => b.resolve(out[i]!)),
        (err: unknown) => batch.forEach((b) => b.reject(err)),
      ).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }
}
