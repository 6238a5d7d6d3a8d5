// The open server-sent-event streams of this instance, by user: writes notices, pings, and ends them.
import { PassThrough } from 'node:stream';
import type { LiveNotice } from '../adapters/live.js';

/** A slow client whose unsent frames pass this is dropped; it reconnects and replays from Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1 << 20;

export class StreamClient {
  readonly stream = new PassThrough();
  /** live notices wait while missed ones are written from the database (the replay on open, a catch-up) */
  private holding = true;
  private pending: LiveNotice[] = [];
  /** the newest feed position written (or the one the stream started from): where a catch-up resumes */
  private position = 0;
  /** written from the database ahead of their live push, which may still come (the publisher was late): not twice */
  private early = new Set<number>();
  private expiry: NodeJS.Timeout | undefined;
  private markOpened!: () => void;
  /** settles once the replay on open is written (or the stream ended before) */
  readonly opened = new Promise<void>((resolve) => {
    this.markOpened = resolve;
  });
  closed = false;

  constructor(
    readonly userId: string,
    private readonly onClose: (client: StreamClient) => void,
  ) {
    this.stream.on('close', () => this.close());
  }

  get lastSeq(): number {
    return this.position;
  }

  /** Ends the stream when the credential that opened it expires; the client comes back with a fresh one. */
  expireAt(epochMs: number): void {
    const ms = Math.max(0, epochMs - Date.now());
    // setTimeout holds 2^31-1 ms at most; a longer lifetime just keeps the stream
    if (ms > 2_147_000_000) return;
    this.expiry = setTimeout(() => {
      this.event('expired', { reason: 'credential expired, reconnect with a new token or ticket' });
      this.close();
    }, ms);
    this.expiry.unref();
  }

  private write(frame: string): void {
    if (this.closed) return;
    this.stream.write(frame);
    if (this.stream.writableLength > MAX_BUFFERED_BYTES) this.close();
  }

  event(name: string, data: unknown, id?: number): void {
    this.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  private notify(item: LiveNotice): void {
    this.event('notification', item.notice, item.seq);
    if (item.seq > this.position) this.position = item.seq;
  }

  /** A notice from the fanout: held back while missed notices are being written. */
  push(item: LiveNotice): void {
    if (this.holding) this.pending.push(item);
    else if (!this.early.delete(item.seq)) this.notify(item);
  }

  /**
   * Writes notices missed since `from` (Last-Event-ID, or the newest notice when the stream opened), then what
   * arrived meanwhile (without repeating any).
   */
  replay(items: LiveNotice[], from: number): void {
    if (from > this.position) this.position = from;
    this.release(items);
    this.markOpened();
  }

  /** Before a catch-up reads the database: holds live notices, answers where to read from. */
  hold(): number {
    this.holding = true;
    return this.position;
  }

  /** After a catch-up: the notices read (those past this stream's position), then the held ones, none twice. */
  release(items: LiveNotice[]): void {
    const written = new Set<number>();
    const from = this.position;
    for (const item of items) {
      if (item.seq <= from || written.has(item.seq)) continue;
      written.add(item.seq);
      this.notify(item);
    }
    this.holding = false;
    const held = this.pending;
    this.pending = [];
    for (const item of held) if (!written.delete(item.seq)) this.notify(item);
    this.early = written;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.markOpened();
    if (this.expiry) clearTimeout(this.expiry);
    this.stream.end();
    this.onClose(this);
  }
}

export interface HubOptions {
  pingIntervalMs: number;
  maxPerUser: number;
}

export class StreamHub {
  private readonly byUser = new Map<string, Set<StreamClient>>();
  private readonly pinger: NodeJS.Timeout;
  private count = 0;
  private catching: Promise<void> = Promise.resolve();

  constructor(private readonly opts: HubOptions) {
    // one timer for every stream: a comment frame keeps proxies and the browser from closing an idle stream
    this.pinger = setInterval(() => this.ping(), opts.pingIntervalMs);
    this.pinger.unref();
  }

  get size(): number {
    return this.count;
  }

  open(userId: string): StreamClient {
    const client = new StreamClient(userId, (c) => this.remove(c));
    let set = this.byUser.get(userId);
    if (!set) {
      set = new Set();
      this.byUser.set(userId, set);
    }
    set.add(client);
    this.count++;
    if (set.size > this.opts.maxPerUser) {
      const oldest = set.values().next().value;
      oldest?.event('closed', { reason: 'too many open streams for this user' });
      oldest?.close();
    }
    return client;
  }

  private remove(client: StreamClient): void {
    const set = this.byUser.get(client.userId);
    if (!set?.delete(client)) return;
    this.count--;
    if (set.size === 0) this.byUser.delete(client.userId);
  }

  /** Fanout listener: every notice goes to its user's streams on this instance. */
  deliver(items: LiveNotice[]): void {
    for (const item of items) {
      const set = this.byUser.get(item.userId);
      if (set) for (const client of set) client.push(item);
    }
  }

  /**
   * After the fanout was down: every open stream gets the notices stored after the last one it wrote, read with
   * `load` (from: user id → feed position). Live notices wait meanwhile, so none is lost or written twice. If the
   * read fails, the streams end: clients reconnect and replay from Last-Event-ID. One catch-up at a time.
   */
  catchUp(load: (from: Map<string, number>) => Promise<LiveNotice[]>): Promise<void> {
    const run = async () => {
      const clients = [...this.byUser.values()].flatMap((set) => [...set]);
      // a stream still writing its replay read the database before the subscription was back: wait for it
      await Promise.all(clients.map((c) => c.opened));
      const open = clients.filter((c) => !c.closed);
      if (open.length === 0) return;
      const from = new Map<string, number>();
      for (const client of open) {
        const seq = client.hold();
        from.set(client.userId, Math.min(seq, from.get(client.userId) ?? seq));
      }
      let items: LiveNotice[];
      try {
        items = await load(from);
      } catch (err) {
        for (const client of open) {
          client.event('closed', { reason: 'missed notices could not be read, reconnect' });
          client.close();
        }
        throw err;
      }
      const byUser = new Map<string, LiveNotice[]>();
      for (const item of items) {
        const list = byUser.get(item.userId);
        if (list) list.push(item);
        else byUser.set(item.userId, [item]);
      }
      for (const client of open) client.release(byUser.get(client.userId) ?? []);
    };
    const next = this.catching.then(run);
    this.catching = next.catch(() => {});
    return next;
  }

  private ping(): void {
    for (const set of this.byUser.values()) for (const client of set) client.comment('ping');
  }

  /** Ends every stream (shutdown): clients reconnect to another instance. */
  closeAll(): void {
    clearInterval(this.pinger);
    for (const set of [...this.byUser.values()]) for (const client of [...set]) client.close();
  }
}
