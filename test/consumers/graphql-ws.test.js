// graphql-ws (v6) as a real consumer of wscodec: `useServer` from graphql-ws/use/ws on
// wscodec's WebSocketServer, and graphql-ws's `createClient({ webSocketImpl })` on wscodec's
// WebSocket, each also paired with ws on the other end.

import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createClient } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import WS, { WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer } from '../../dist/index.js';
import { within } from '../helpers/within.js';

const WAIT_MS = 10_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with `promise`, or rejects if it takes longer than `ms`. */
const withTimeout = (promise, what, ms = WAIT_MS) => within(promise, what, ms);

/** Polls `predicate` until it holds, with a timeout. */
async function until(predicate, label) {
  await withTimeout(
    (async () => {
      while (!predicate()) await sleep(5);
    })(),
    label,
  );
}

/** Builds a schema plus the server-side bookkeeping the tests look at. */
function makeSchema(state) {
  const Query = new GraphQLObjectType({
    name: 'Query',
    fields: {
      hello: {
        type: GraphQLString,
        args: { name: { type: GraphQLString } },
        resolve: (_, { name }) => `Hello ${name ?? 'world'}`,
      },
      whoami: { type: GraphQLString, resolve: (_, __, ctx) => ctx.user ?? null },
      boom: {
        type: GraphQLString,
        resolve: () => {
          throw new Error('kaboom');
        },
      },
    },
  });
  const Subscription = new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      count: {
        type: GraphQLInt,
        args: { to: { type: new GraphQLNonNull(GraphQLInt) } },
        subscribe: async function* count(_, { to }) {
          for (let i = 1; i <= to; i++) {
            await sleep(2);
            yield { count: i };
          }
        },
      },
      ticks: {
        type: GraphQLInt,
        subscribe: async function* ticks() {
          state.ticksStarted++;
          try {
            for (let i = 0; ; i++) {
              yield { ticks: i };
              await sleep(5);
            }
          } finally {
            state.ticksFinished++;
          }
        },
      },
    },
  });
  return new GraphQLSchema({ query: Query, subscription: Subscription });
}

const pairings = [
  { server: 'wscodec', client: 'wscodec' },
  { server: 'wscodec', client: 'ws' },
  { server: 'ws', client: 'wscodec' },
];

for (const { server: serverKind, client: clientKind } of pairings) {
  describe(`graphql-ws server on ${serverKind} ↔ graphql-ws client on ${clientKind}`, { timeout: 60_000 }, () => {
    const ClientImpl = clientKind === 'wscodec' ? WebSocket : WS;
    const state = { ticksStarted: 0, ticksFinished: 0, connectParams: [], serverSockets: [] };
    let wss;
    let gqlServer;
    let url;
    const clients = new Set();

    before(async () => {
      const Server = serverKind === 'wscodec' ? WebSocketServer : WsServer;
      wss = new Server({ port: 0, host: '127.0.0.1', path: '/graphql' });
      await withTimeout(
        new Promise((resolve, reject) => {
          wss.once('listening', resolve);
          wss.once('error', reject);
        }),
        'server listening',
      );
      wss.on('connection', (socket) => {
        const entry = { socket, pongs: 0, close: null };
        socket.on('pong', () => entry.pongs++);
        socket.once('close', (code, reason) => {
          entry.close = { code, reason: String(reason) };
        });
        state.serverSockets.push(entry);
      });
      gqlServer = useServer(
        {
          schema: makeSchema(state),
          onConnect: (ctx) => {
            state.connectParams.push(ctx.connectionParams);
            if (ctx.connectionParams?.reject) return false;
            return true;
          },
          context: (ctx) => ({ user: ctx.connectionParams?.user }),
        },
        // ws's type for the server; ours is the drop-in replacement (the point of this test).
        /** @type {import('ws').WebSocketServer} */ (wss),
        100, // keep-alive ping interval (ms), exercised by one scenario
      );
      url = `ws://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (wss.address()).port}/graphql`;
    });

    after(async () => {
      await Promise.all([...clients].map((c) => c.dispose()));
      clients.clear();
      await withTimeout(gqlServer.dispose(), 'graphql-ws server dispose');
    });

    function client(options = {}) {
      const c = createClient({ url, webSocketImpl: ClientImpl, retryAttempts: 0, lazy: true, ...options });
      clients.add(c);
      return c;
    }

    async function dispose(c) {
      clients.delete(c);
      await withTimeout(Promise.resolve(c.dispose()), 'client dispose');
    }

    /** Runs an operation to completion, collecting its results. */
    function run(c, payload) {
      let unsubscribe = () => {};
      const done = new Promise((resolve, reject) => {
        const results = [];
        unsubscribe = c.subscribe(payload, {
          next: (r) => results.push(r),
          error: reject,
          complete: () => resolve(results),
        });
      });
      return withTimeout(done, `operation ${payload.query}`).catch((err) => {
        unsubscribe();
        throw err;
      });
    }

    test('query', async () => {
      const c = client();
      /** @type {any} graphql-ws types its socket as unknown */
      let connectedSocket;
      c.on('connected', (socket) => {
        connectedSocket = socket;
      });
      const results = await run(c, { query: 'query Q($n: String) { hello(name: $n) }', variables: { n: 'wscodec' } });
      assert.deepEqual(results, [{ data: { hello: 'Hello wscodec' } }]);
      assert.ok(connectedSocket instanceof ClientImpl, `client socket is a ${clientKind} WebSocket`);
      if (clientKind === 'ws') assert.ok(!(connectedSocket instanceof WebSocket));
      assert.equal(connectedSocket.protocol, 'graphql-transport-ws');
      const serverSocket = state.serverSockets.at(-1).socket;
      assert.ok(serverSocket instanceof (serverKind === 'wscodec' ? WebSocket : WS), `server socket is a ${serverKind} WebSocket`);
      assert.equal(serverSocket.protocol, 'graphql-transport-ws');
      await dispose(c);
    });

    test('subscription: several events then complete', async () => {
      const c = client();
      const results = await run(c, { query: 'subscription { count(to: 5) }' });
      assert.deepEqual(
        results.map((r) => r.data.count),
        [1, 2, 3, 4, 5],
      );
      assert.ok(results.every((r) => r.errors === undefined));

      // a client-side unsubscribe stops the server's generator
      const started = state.ticksStarted;
      const finished = state.ticksFinished;
      const seen = [];
      /** @type {() => void} */
      let unsubscribe;
      const three = new Promise((resolve, reject) => {
        unsubscribe = c.subscribe(
          { query: 'subscription { ticks }' },
          {
            next: (r) => {
              seen.push(r.data.ticks);
              if (seen.length === 3) resolve();
            },
            error: reject,
            complete: () => {},
          },
        );
      });
      await withTimeout(three, 'three ticks');
      unsubscribe();
      assert.deepEqual(seen.slice(0, 3), [0, 1, 2]);
      assert.equal(state.ticksStarted, started + 1);
      await until(() => state.ticksFinished === finished + 1, 'server generator cleanup after unsubscribe');
      await dispose(c);
    });

    test('error results: resolver error and validation error', async () => {
      const c = client();
      const results = await run(c, { query: '{ hello boom }' });
      assert.equal(results.length, 1);
      assert.deepEqual(results[0].data, { hello: 'Hello world', boom: null });
      assert.equal(results[0].errors.length, 1);
      assert.equal(results[0].errors[0].message, 'kaboom');
      assert.deepEqual(results[0].errors[0].path, ['boom']);

      await assert.rejects(run(c, { query: '{ nope }' }), (errors) => {
        assert.ok(Array.isArray(errors), 'validation errors arrive as an array');
        assert.match(errors[0].message, /Cannot query field "nope" on type "Query"/);
        return true;
      });
      // the connection is still good afterwards
      assert.deepEqual(await run(c, { query: '{ hello }' }), [{ data: { hello: 'Hello world' } }]);
      await dispose(c);
    });

    test('connection init params reach onConnect and context; rejection closes with 4403', async () => {
      const params = { user: 'alice', nested: { n: 1, list: ['x'] } };
      const c = client({ connectionParams: async () => params });
      assert.deepEqual(await run(c, { query: '{ whoami }' }), [{ data: { whoami: 'alice' } }]);
      assert.deepEqual(state.connectParams.at(-1), params);
      await dispose(c);

      const rejected = client({ connectionParams: { reject: true } });
      /** @type {any} graphql-ws types the close event as unknown */
      let closed;
      rejected.on('closed', (event) => {
        closed = event;
      });
      await assert.rejects(run(rejected, { query: '{ hello }' }), (/** @type {CloseEvent} */ event) => {
        assert.equal(event.code, 4403);
        assert.equal(event.reason, 'Forbidden');
        return true;
      });
      assert.equal(closed?.code, 4403);
      await until(() => state.serverSockets.at(-1).close !== null, 'server sees the rejected socket close');
      assert.equal(state.serverSockets.at(-1).close.code, 4403);
      await dispose(rejected);
    });

    test('client dispose closes cleanly (1000) and ends server subscriptions', async () => {
      const c = client({ lazy: false });
      const connected = new Promise((resolve) => c.on('connected', resolve));
      const closed = new Promise((resolve) => c.on('closed', resolve));
      await withTimeout(connected, 'client connected');
      const entry = state.serverSockets.at(-1);
      assert.deepEqual(await run(c, { query: '{ hello(name: "dispose") }' }), [{ data: { hello: 'Hello dispose' } }]);

      const finished = state.ticksFinished;
      let sinkEnd = null;
      const first = new Promise((resolve, reject) => {
        c.subscribe(
          { query: 'subscription { ticks }' },
          {
            next: resolve,
            error: (err) => {
              sinkEnd = { error: err };
              reject(err);
            },
            complete: () => (sinkEnd = 'complete'),
          },
        );
      });
      await withTimeout(first, 'first tick');
      assert.equal(entry.close, null);

      await dispose(c);
      const event = await withTimeout(closed, 'client closed event');
      assert.equal(event.code, 1000);
      assert.equal(event.reason, 'Normal Closure');
      await until(() => entry.close !== null, 'server close event');
      assert.deepEqual(entry.close, { code: 1000, reason: 'Normal Closure' });
      await until(() => state.ticksFinished === finished + 1, 'server generator cleanup after dispose');
      await until(() => !wss.clients.has(entry.socket), 'server forgets the socket');
      // graphql-ws treats a 1000 close as the clean end of every active operation
      await until(() => sinkEnd !== null, 'subscription sink ended');
      assert.equal(sinkEnd, 'complete');
    });

    test('server keep-alive pings are answered with pongs', async () => {
      const c = client({ lazy: false });
      const connected = new Promise((resolve) => c.on('connected', resolve));
      await withTimeout(connected, 'client connected');
      const entry = state.serverSockets.at(-1);
      await until(() => entry.pongs >= 3, 'three pongs');
      assert.equal(entry.close, null, 'connection survived the keep-alive');
      assert.deepEqual(await run(c, { query: '{ hello }' }), [{ data: { hello: 'Hello world' } }]);
      await dispose(c);
    });
  });
}
