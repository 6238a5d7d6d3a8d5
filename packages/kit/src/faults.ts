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
  close(): Promise<void>;
}

export async function createFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(
    target.port || { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379, 'amqp:': 5672 }[target.protocol],
  );
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect({ host: target.hostname, port: targetPort });
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
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
    for (const socket of sockets) socket.destroy();
    sockets.clear();
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
    close: stop,
  };
}
