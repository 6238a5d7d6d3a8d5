// `npm run bench:auth`: GET /api/auth/me through the gateway and directly, and logins/s.
// Uses the running platform (GATEWAY_URL, AUTH_URL) or starts `npm start` itself.
import { ensurePlatform, type Figures, load, printTable } from './lib.js';

const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
const auth = process.env.AUTH_URL ?? 'http://127.0.0.1:3000';
const seconds = Number(process.env.BENCH_SECONDS ?? 10);

const platform = await ensurePlatform(gateway);
try {
  const email = `bench-${Date.now()}@example.com`;
  const password = 'bench password 1';
  const json = { 'content-type': 'application/json' };
  const reg = await fetch(`${gateway}/api/auth/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password }),
  });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);
  const { token } = (await reg.json()) as { token: string };
  const bearer = { authorization: `Bearer ${token}` };

  const rows: Figures[] = [];
  rows.push(
    await load('GET /api/auth/me via gateway, 50 conns', {
      url: `${gateway}/api/auth/me`,
      connections: 50,
      seconds,
      headers: bearer,
      warmupSeconds: 2,
    }),
  );
  rows.push(
    await load('GET /api/auth/me direct :3000, 50 conns', {
      url: `${auth}/api/auth/me`,
      connections: 50,
      seconds,
      headers: bearer,
      warmupSeconds: 2,
    }),
  );
  rows.push(
    await load('GET /api/auth/me via gateway, 1 conn', {
      url: `${gateway}/api/auth/me`,
      connections: 1,
      seconds: Math.min(seconds, 5),
      headers: bearer,
    }),
  );
  rows.push(
    await load('GET /api/auth/me direct :3000, 1 conn', {
      url: `${auth}/api/auth/me`,
      connections: 1,
      seconds: Math.min(seconds, 5),
      headers: bearer,
    }),
  );
  rows.push(
    await load('POST /api/auth/login via gateway (argon2id), 8 conns', {
      url: `${gateway}/api/auth/login`,
      connections: 8,
      seconds,
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password }),
    }),
  );
  printTable(
    `auth benchmark (${platform.started ? 'platform started by the bench' : 'running platform'}, ${seconds} s per scenario)`,
    rows,
  );
  const [viaGateway, direct] = rows;
  if (viaGateway && direct)
    console.log(`\ngateway/direct throughput ratio: ${(viaGateway.rps / direct.rps).toFixed(2)}`);
} finally {
  await platform.stop();
}
