// A card room shared by several server processes through Redis (server.js --redis URL).
//
// The room's state lives in Redis, in one hash, not in any process. A change is
// optimistic: read the state and its version, apply the move with the same Room rules as
// alone, then commit with a small Lua script that writes the new state only if the version
// is still the one read, and PUBLISHes the change in the same atomic step. So commits
// have one order, the channel carries them in that order, and two processes can never
// apply moves to different states: a process that lost the race reads again and retries.
// Every process forwards what comes on the channel to its own clients, each message with
// the whole room, so a client that missed one is whole again with the next.
//
// Players belong to the process holding their connection (`owners` in the state). Each
// process keeps a heartbeat key alive (PX peerTimeoutMs, renewed every heartbeatMs) and
// reconciles the room against itself: on every heartbeat, and whenever its Redis
// connection comes back. Reconciling removes players it owns whose connection has gone,
// puts back players whose connection it still holds but the room lost (Redis restarted
// without persistence), and removes the players of processes whose heartbeat expired.
import { randomBytes } from 'node:crypto';
import { Room, RoomError } from './room.js';
import { broadcastText } from './local-store.js';

export const REDIS_DOWN = 'the room is unavailable: its Redis connection is down; try again shortly';
const ROOM_BUSY = 'the room is busy; try again';
/** Commit attempts before a change gives up; each lost race costs one read and one retry. */
const MAX_ATTEMPTS = 50;

// KEYS[1] the room hash; ARGV: read epoch, read version, new epoch, new version, new state,
// channel, message. Returns 1 if committed, 0 if someone committed first.
const COMMIT_SCRIPT = `
local epoch = redis.call('HGET', KEYS[1], 'epoch') or ''
local version = redis.call('HGET', KEYS[1], 'version') or '0'
if epoch ~= ARGV[1] or version ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[3], 'version', ARGV[4], 'state', ARGV[5])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withoutPassword(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return '(malformed URL)';
  }
}

export class RedisRoomStore {
  /** This process's name in the room's `owners` and in its heartbeat key. */
  id = randomBytes(4).toString('hex');
  #cmd;
  #sub;
  #keys;
  #heartbeatMs;
  #peerTimeoutMs;
  #localCids;
  #deliver;
  #log;
  /** Every Redis operation runs in this queue, so the process never races itself. */
  #tail = Promise.resolve();
  /** epoch/version of the last state forwarded to clients; older ones are not forwarded. */
  #shown = null;
  /**
   * The cards of this process's players as last committed, kept even when a state without
   * them comes along: what to put back if the room loses them.
   */
  #hands = new Map();
  /** The highest nextCid seen, so a room started again does not hand out a cid twice. */
  #nextCid = 1;
  #up = false;
  #upSince = 0;
  #subscribed = false;
  #closed = false;
  #timer = null;
  #ticking = false;
  #firstSync;
  #lastError = null;
  /** Whether the first synchronisation finished (later ones are reconnections). */
  #synced = false;

  /**
   * Connects and resolves once the room is synchronised (rejects, leaving nothing open,
   * when Redis cannot be reached).
   * @param {{url: string, prefix?: string, heartbeatMs?: number, peerTimeoutMs?: number,
   *   localCids: () => Set<number>, deliver: (text: string) => void, log: (line: string) => void}} options
   *   localCids: the cids whose connections this process holds; deliver: send to every local client
   */
  static async connect(options) {
    const mod = await import('ioredis');
    const store = new RedisRoomStore(mod.default ?? mod.Redis, options);
    try {
      await Promise.all([store.#cmd.connect(), store.#sub.connect()]);
      await store.#firstSync;
    } catch (err) {
      await store.#disconnect();
      // ioredis rejects with "Connection is closed."; the socket's own error says why.
      const reason = store.#lastError?.message ?? err.message;
      throw new Error(`cannot reach Redis at ${withoutPassword(options.url)}: ${reason}`, { cause: err });
    }
    store.#timer = setInterval(() => store.#tick(), store.#heartbeatMs);
    store.#timer.unref();
    return store;
  }

  constructor(Redis, { url, prefix = 'wscodec:card-room:', heartbeatMs = 1000, peerTimeoutMs = 3000, localCids, deliver, log }) {
    this.#keys = { room: `${prefix}room`, channel: `${prefix}changes`, processPrefix: `${prefix}process:` };
    this.#heartbeatMs = heartbeatMs;
    this.#peerTimeoutMs = peerTimeoutMs;
    this.#localCids = localCids;
    this.#deliver = deliver;
    this.#log = log;
    const retryStrategy = (attempt) => Math.min(50 * 2 ** Math.min(attempt - 1, 10), 2000);
    this.#cmd = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false, // while Redis is down a move fails at once instead of waiting
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: 5000,
      retryStrategy,
      disconnectTimeout: 200,
    });
    this.#cmd.defineCommand('commitRoom', { numberOfKeys: 1, lua: COMMIT_SCRIPT });
    this.#sub = new Redis(url, {
      lazyConnect: true,
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      retryStrategy,
      disconnectTimeout: 200,
    });

    let synced;
    this.#firstSync = new Promise((resolve, reject) => (synced = { resolve, reject }));
    this.#firstSync.catch(() => {}); // connect() reports it; later reconnections settle nothing
    const lost = () => {
      if (this.#up && !this.#closed) this.#log('Redis connection lost; the shared room is unavailable until it reconnects');
      this.#up = false;
    };
    for (const client of [this.#cmd, this.#sub]) {
      client.on('error', (err) => (this.#lastError = err)); // reported once per outage by lost(); ioredis retries
      client.on('close', lost);
    }
    this.#sub.on('close', () => (this.#subscribed = false));
    this.#sub.on('ready', () => {
      this.#sub.subscribe(this.#keys.channel).then(
        () => {
          this.#subscribed = true;
          this.#comeBack(synced);
        },
        () => {}, // dropped again; the next 'ready' subscribes
      );
    });
    this.#cmd.on('ready', () => this.#comeBack(synced));
    this.#sub.on('message', (channel, message) => {
      if (channel !== this.#keys.channel || this.#closed) return;
      try {
        const record = JSON.parse(message);
        // A refresh is meant for the process that asked for it (see #reconcile).
        if (record.refreshFor === undefined || record.refreshFor === this.id) this.#show(record);
      } catch (err) {
        this.#log(`ignored a malformed room message: ${err.message}`);
      }
    });
  }

  /** Applies `apply` (see local-store.js) to the shared room and commits it. */
  change(apply) {
    return this.#queued(() =>
      this.#transact((room, owners) => {
        const result = apply(room);
        if (result?.joined !== undefined) owners.set(result.joined, this.id);
        return result;
      }),
    );
  }

  /** Takes this process's players out of the room and disconnects. */
  async close() {
    if (this.#closed) return;
    clearInterval(this.#timer);
    if (this.#up) {
      try {
        await this.#queued(() => this.#transact((room, owners, current) => this.#reconcile(room, owners, current, new Set())));
        await this.#cmd.del(this.#keys.processPrefix + this.id);
      } catch {
        // Redis went away: the other processes drop our players once our heartbeat expires.
      }
    }
    this.#closed = true;
    await this.#disconnect();
  }

  /** Both connections are usable again (or for the first time): resynchronise. */
  #comeBack(synced) {
    if (this.#closed || this.#up || !this.#subscribed || this.#cmd.status !== 'ready') return;
    this.#up = true;
    this.#upSince = Date.now();
    this.#queued(async () => {
      await this.#redis(() => this.#heartbeat());
      await this.#transact((room, owners, current) => this.#reconcile(room, owners, current, this.#localCids(), { refresh: true }));
    }).then(
      () => {
        if (this.#synced) this.#log('Redis connection restored; the room is resynchronised');
        this.#synced = true;
        synced.resolve();
      },
      (err) => {
        // The connection dropped again ('close' resets #up; the next 'ready' retries), or
        // this is the first connection, which connect() reports.
        this.#up = false;
        synced.reject(err);
      },
    );
  }

  #tick() {
    if (!this.#up || this.#ticking || this.#closed) return;
    this.#ticking = true;
    this.#queued(async () => {
      await this.#heartbeat();
      await this.#transact((room, owners, current) => this.#reconcile(room, owners, current, this.#localCids(), { sweep: true }));
    })
      .catch(() => {}) // Redis down: 'close' already reported it; the next tick tries again
      .finally(() => (this.#ticking = false));
  }

  #heartbeat() {
    return this.#cmd.set(this.#keys.processPrefix + this.id, '1', 'PX', this.#peerTimeoutMs);
  }

  /**
   * Makes the room agree with this process (see the top of the file); returns the change
   * to commit, or null. With nothing to change, a state newer than the clients saw is
   * forwarded to them (this process may have missed messages while it was away).
   */
  async #reconcile(room, owners, current, local, { sweep = false, refresh = false } = {}) {
    const lines = [];
    let first = null;
    const note = (cid, line) => {
      first ??= cid;
      lines.push(line);
    };
    for (const [cid, owner] of owners) {
      if (owner === this.id && !local.has(cid) && room.has(cid)) {
        room.leave(cid);
        note(cid, `Player ${cid} left`);
      }
    }
    for (const cid of this.#hands.keys()) if (!local.has(cid)) this.#hands.delete(cid);
    for (const cid of local) {
      if (room.has(cid)) continue;
      room.restore(cid, this.#hands.get(cid) ?? []);
      owners.set(cid, this.id);
      note(cid, `Player ${cid} is back`);
    }
    // Right after a reconnect every heartbeat may be missing (Redis restarted empty); a
    // live process renews its own within its back-off, so wait a full timeout first.
    if (sweep && Date.now() - this.#upSince >= this.#peerTimeoutMs) {
      const others = [...new Set([...owners.values()].filter((owner) => owner !== this.id))];
      const keys = others.map((owner) => this.#keys.processPrefix + owner);
      const alive = others.length > 0 ? await this.#redis(() => this.#cmd.mget(keys)) : [];
      const gone = new Set(others.filter((_, i) => alive[i] === null));
      for (const [cid, owner] of owners) {
        if (gone.has(owner) && room.has(cid)) {
          room.leave(cid);
          note(cid, `Player ${cid} left (their server stopped)`);
        }
      }
    }
    if (lines.length === 0) {
      // Back after a disconnection, this process may have missed changes. Forwarding the
      // state just read could overtake changes still on their way through the channel, so
      // it is sent through the channel too: it arrives after all of them, and is dropped
      // as old news by #show if none was missed.
      if (refresh && current.record) {
        const record = { ...current.record, refreshFor: this.id, change: { msg: 'Room state refreshed', cid: null, card: null } };
        await this.#redis(() => this.#cmd.publish(this.#keys.channel, JSON.stringify(record)));
      }
      return null;
    }
    return { msg: lines.join('; '), cid: first };
  }

  /**
   * Read, apply, compare-and-set, retrying when another process committed in between.
   * `mutate(room, owners, current)` may be async; it returns the change or null.
   */
  async #transact(mutate) {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await this.#read();
      const { room, owners } = current;
      const result = await mutate(room, owners, current);
      if (!result) return null;
      for (const cid of owners.keys()) if (!room.has(cid)) owners.delete(cid);
      const record = {
        // A room Redis does not have (first use, or lost in a restart) starts a new epoch,
        // so every process takes its versions as new even if they count from 1 again.
        epoch: current.epoch || randomBytes(6).toString('hex'),
        version: current.version + 1,
        state: { room: room.snapshot(), owners: [...owners] },
        change: { msg: result.msg, cid: result.cid ?? null, card: result.card ?? null },
      };
      const committed = await this.#redis(() =>
        this.#cmd.commitRoom(
          this.#keys.room,
          current.epoch,
          String(current.version),
          record.epoch,
          String(record.version),
          JSON.stringify(record.state),
          this.#keys.channel,
          JSON.stringify(record),
        ),
      );
      if (committed === 1) {
        // Not shown here: the clients of this process get it from the channel like all the
        // others, so every process forwards the same changes in the same order.
        result.afterCommit?.();
        return result;
      }
      await sleep(Math.random() * Math.min(attempt, 10)); // spread out processes that keep colliding
    }
    throw new RoomError(ROOM_BUSY);
  }

  async #read() {
    const hash = await this.#redis(() => this.#cmd.hgetall(this.#keys.room));
    if (!hash.state) {
      const room = Room.fromSnapshot({ nextCid: this.#nextCid, players: [] });
      return { epoch: '', version: 0, room, owners: new Map(), record: null };
    }
    const state = JSON.parse(hash.state);
    const version = Number(hash.version);
    return {
      epoch: hash.epoch,
      version,
      room: Room.fromSnapshot(state.room),
      owners: new Map(state.owners),
      record: { epoch: hash.epoch, version, state },
    };
  }

  /** Forwards a committed state to this process's clients unless they already have a newer one. */
  #show(record) {
    const shown = this.#shown;
    if (shown && record.epoch === shown.epoch && record.version <= shown.version) return;
    this.#shown = { epoch: record.epoch, version: record.version };
    const { room, owners } = record.state;
    this.#nextCid = Math.max(this.#nextCid, room.nextCid);
    const mine = new Set(owners.filter(([, owner]) => owner === this.id).map(([cid]) => cid));
    for (const player of room.players) if (mine.has(player.cid)) this.#hands.set(player.cid, player.cards);
    this.#deliver(broadcastText(record.change, record.state.room.players));
  }

  /** Runs a Redis call; a failure becomes a RoomError the player can be shown. */
  async #redis(call) {
    try {
      return await call();
    } catch (err) {
      throw new RoomError(this.#cmd.status === 'ready' ? `the room is unavailable: Redis said ${err.message}` : REDIS_DOWN);
    }
  }

  #queued(task) {
    const run = this.#tail.then(() => {
      if (this.#closed) throw new RoomError('the room is shutting down');
      return task();
    });
    this.#tail = run.catch(() => {});
    return run;
  }

  async #disconnect() {
    this.#closed = true;
    // Resolves once the socket is gone; without a socket (Redis down) there is no 'end' to wait for.
    const ended = (client) =>
      new Promise((resolve) => {
        if (['end', 'reconnecting', 'wait'].includes(client.status)) return resolve();
        const timer = setTimeout(resolve, 1000);
        timer.unref();
        client.once('end', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    const ends = [ended(this.#cmd), ended(this.#sub)];
    this.#cmd.disconnect();
    this.#sub.disconnect();
    await Promise.all(ends);
  }
}
