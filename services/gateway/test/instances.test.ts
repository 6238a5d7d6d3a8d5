// Several instances behind one `<NAME>_URL`: round robin, requests tried on the next instance when one
// refuses or drops the connection (only where that cannot do anything twice), draining instances skipped.
import { eventually } from '@microbazaar/kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closedPortUrl,
  json,
  send,
  startServer,
  startTestGateway,
  type TestGateway,
  type TestServer,
} from './helpers.js';

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

/** An auth instance that says who it is; its readiness answers `ready()`. */
async function instance(name: string, ready: () => boolean = () => true): Promise<TestServer> {
  const server = await startServer((req, res) => {
    if (req.url === '/health/ready') return json(res, ready() ? 200 : 503, { status: ready() ? 'ok' : 'unavailable' });
    json(res, 200, { instance: name, method: req.method });
  });
  opened.push(server);
  return server;
}

async function gatewayFor(...urls: string[]): Promise<TestGateway> {
  const gateway = await startTestGateway({ AUTH_URL: urls.join(',') });
  opened.push(gateway);
  return gateway;
}

const ask = async (gateway: TestGateway, method = 'GET', body?: string) => {
  const res = await send(gateway.url, '/api/auth/who', {
    method,
    ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: res.status, instance: res.status === 200 ? (res.json().instance as string) : undefined };
};

describe('an upstream with several instances', () => {
  it('takes turns between them', async () => {
    const [a, b] = [await instance('a'), await instance('b')];
    const gateway = await gatewayFor(a.url, b.url);
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push((await ask(gateway)).instance);
    expect(answers.filter((x) => x === 'a')).toHaveLength(3);
    expect(answers.filter((x) => x === 'b')).toHaveLength(3);
  });

  it('tries the next instance when one refuses the connection; a body is never sent twice', async () => {
    const gone = await closedPortUrl();
    const b = await instance('b');
    const gateway = await gatewayFor(gone, b.url);
    for (let i = 0; i < 4; i++) expect(await ask(gateway)).toEqual({ status: 200, instance: 'b' });
    expect(await ask(gateway, 'DELETE')).toEqual({ status: 200, instance: 'b' });
    expect((await ask(gateway, 'POST', '{"x":1}')).status).toBe(200);
  });

  it('retries a GET whose connection dropped, never a POST', async () => {
    let dropped = 0;
    const dropping = await startServer((req, res) => {
      if (req.url === '/health/ready') return json(res, 200, {});
      dropped++;
      res.socket?.destroy();
    });
    opened.push(dropping);
    const b = await instance('b');
    const gateway = await gatewayFor(dropping.url, b.url);
    for (let i = 0; i < 4; i++) expect(await ask(gateway)).toEqual({ status: 200, instance: 'b' });
    expect(dropped).toBe(2);
    // one POST reaches the dropping instance (round robin): it fails rather than run twice
    const posts = [await ask(gateway, 'POST', '{"x":1}'), await ask(gateway, 'POST', '{"x":1}')];
    expect(posts.map((p) => p.status).sort()).toEqual([200, 503]);
    expect(dropped).toBe(3);
  });

  it("tries a GET elsewhere when an instance's closing port turns it away (503, connection: close)", async () => {
    let turnedAway = 0;
    const closing = await startServer((req, res) => {
      // ready as far as the gateway last looked, closing by the time the request comes
      if (req.url === '/health/ready') return json(res, turnedAway ? 503 : 200, {});
      turnedAway++;
      json(res, 503, { error: 'Service Unavailable' }, { connection: 'close' });
    });
    opened.push(closing);
    const b = await instance('b');
    const gateway = await gatewayFor(closing.url, b.url);
    expect(await ask(gateway)).toEqual({ status: 200, instance: 'b' });
    expect(turnedAway).toBe(1);
    // out of the rotation from then on: the POSTs go to b
    const posts = [await ask(gateway, 'POST', '{"x":1}'), await ask(gateway, 'POST', '{"x":1}')];
    expect(posts.map((p) => p.status)).toEqual([200, 200]);
  });

  it('leaves out an instance whose readiness says 503 (draining) and takes it back when ready', async () => {
    let aReady = true;
    const a = await instance('a', () => aReady);
    const b = await instance('b');
    const gateway = await gatewayFor(a.url, b.url);
    aReady = false;
    // the gateway checks every instance each second: once it saw the 503 nothing more goes to a
    await eventually(async () => {
      const answers = [await ask(gateway), await ask(gateway), await ask(gateway), await ask(gateway)];
      expect(answers.map((x) => x.instance)).toEqual(['b', 'b', 'b', 'b']);
    }, 10_000);
    aReady = true;
    await eventually(async () => {
      const answers = [await ask(gateway), await ask(gateway)];
      expect(answers.map((x) => x.instance).sort()).toEqual(['a', 'b']);
    }, 10_000);
  });
});
