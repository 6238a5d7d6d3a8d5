// Test helper: a TCP proxy in front of a real backend that a test can cut and restore,
// to show a service answers 503 while its database/cache/broker is gone and recovers by itself.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface FaultProxy {
  /** URL of the backend with host:port replaced by the proxy's */
  url: string;
  port: number;
  /** drops every open connection and refuses new ones */
  cut(): Promise<void>;
  /** accepts connections again on the same port */
  restore(): Promise<void>;
  /**
   * Half-opens every open connection, as a server restart whose goodbye never reached the client (a
   * NAT, a load balancer, a failover): the backend side is closed, so the server forgets them, while
   * the client side stays open and silently swallows whatever is sent on it. New connections go
   * through as usual: the backend is "back".
   */
  freeze(): void;
  /**
   * From now until the next cut, what the backend answers is held back while requests still reach it:
   * on every connection open now, or, given a marker, on the first connection (open or new) that sends
   * it (a parameter of the statement, e.g. an id). With a cut once `heldBytes` shows an answer arrived,
   * the backend did the work (a COMMIT went through) and the client never hears of it, as when the
   * network or the server goes away between the two.
   */
  holdAnswers(marker?: string): void;
  /** bytes of answers held back since holdAnswers() */
  readonly heldBytes: number;
  /** connections open through the proxy right now (half-open ones included) */
  readonly connections: number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
}

export async function createFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(
    target.port || { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379, 'amqp:': 5672 }[target.protocol],
  );
  const pairs = new Set<Pair>();
  let heldBytes = 0;
  let holdMarker: Buffer | undefined;
  const hold = (pair: Pair) => {
    pair.upstream.unpipe(pair.client);
    pair.upstream.on('data', (chunk: Buffer) => {
      heldBytes += chunk.length;
    });
    pair.upstream.resume(); // unpipe paused it
  };
  let server: Server | undefined;
  let port = 0;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect({ host: target.hostname, port: targetPort });
        const pair: Pair = { client, upstream, frozen: false };
        pairs.add(pair);
        const drop = () => {
          upstream.destroy();
          // a frozen pair keeps its client side open after the backend side went
          if (pair.frozen && !client.destroyed) return;
          client.destroy();
          pairs.delete(pair);
        };
        client.on('error', drop).on('close', () => {
          pair.frozen = false;
          drop();
        });
        upstream.on('error', drop).on('close', drop);
        client.on('data', (chunk: Buffer) => {
          if (holdMarker && chunk.includes(holdMarker)) {
            holdMarker = undefined;
            hold(pair); // before the answer can arrive: it needs a round trip
          }
        });
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const address = s.address();
        if (address && typeof address === 'object') port = address.port;
        server = s;
        resolve();
      });
    });

  await start();
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  const stop = async () => {
    heldBytes = 0;
    holdMarker = undefined;
    for (const pair of pairs) {
      pair.frozen = false;
      pair.client.destroy();
      pair.upstream.destroy();
    }
    pairs.clear();
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  return {
    url: url.toString(),
    port,
    cut: stop,
    restore: async () => {
      if (!server) await start();
    },
    freeze() {
      for (const pair of pairs) {
        if (pair.frozen) continue;
        pair.frozen = true;
        pair.client.unpipe(pair.upstream);
        pair.upstream.unpipe(pair.client);
        pair.client.on('data', () => {}); // swallowed: no answer, no reset
        pair.upstream.destroy();
      }
    },
    holdAnswers(marker?: string) {
      if (marker !== undefined) holdMarker = Buffer.from(marker);
      else for (const pair of pairs) hold(pair);
    },
    get heldBytes() {
      return heldBytes;
    },
    get connections() {
      return pairs.size;
    },
    close: stop,
  };
}
