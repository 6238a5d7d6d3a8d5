// The open server-sent-event streams of this instance, by user: writes notices, pings, and ends them.
import { PassThrough } from 'node:stream';
import type { LiveNotice } from './fanout.js';

/** A slow client whose unsent frames pass this is dropped; it reconnects and replays from Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1 << 20;

export class StreamClient {
  readonly stream = new PassThrough();
  private replaying = true;
  private pending: LiveNotice[] = [];
  private readonly replayed = new Set<number>();
  private expiry: NodeJS.Timeout | undefined;
  closed = false;

  constructor(
    readonly userId: string,
    private readonly onClose: (client: StreamClient) => void,
  ) {
    this.stream.on('close', () => this.close());
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

  /** A notice from the fanout: held back while the replay of missed notices is being written. */
  push(item: LiveNotice): void {
    if (this.replaying) this.pending.push(item);
    else this.event('notification', item.notice, item.seq);
  }

  /** Writes notices missed since Last-Event-ID, then what arrived meanwhile (without repeating any). */
  replay(items: LiveNotice[]): void {
    for (const item of items) {
      this.replayed.add(item.seq);
      this.event('notification', item.notice, item.seq);
    }
    this.replaying = false;
    const held = this.pending;
    this.pending = [];
    for (const item of held) if (!this.replayed.has(item.seq)) this.event('notification', item.notice, item.seq);
    this.replayed.clear();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
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

  private ping(): void {
    for (const set of this.byUser.values()) for (const client of set) client.comment('ping');
  }

  /** Ends every stream (shutdown): clients reconnect to another instance. */
  closeAll(): void {
    clearInterval(this.pinger);
    for (const set of [...this.byUser.values()]) for (const client of [...set]) client.close();
  }
}
