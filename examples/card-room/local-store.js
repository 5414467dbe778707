// Where the card room's state lives. server.js talks to a store through one method,
// change(apply), so the same server runs a room kept in this process (LocalRoomStore,
// here) or one shared by several processes through Redis (redis-store.js).
//
// `apply(room)` gets the Room, changes it and returns what changed,
//   {msg, cid, card?, joined?, afterCommit?()}
// or null when nothing changed (then nothing is broadcast). It throws RoomError for a move
// the rules refuse. `afterCommit` runs once the change is final and before its broadcast
// reaches this process's clients; `joined` names a cid that this process's connection now
// holds (the shared store records who owns which player).
import { Room } from './room.js';

/** The `server:broadcast` message every connection gets after a change. */
export function broadcastText({ msg, cid = null, card = null }, players) {
  return JSON.stringify({ act: 'server:broadcast', msg, data: { cid, card, cards: players } });
}

/** The room in this process's memory: a change is applied and broadcast at once. */
export class LocalRoomStore {
  #room = new Room();
  #deliver;

  /** @param {{deliver: (text: string) => void}} options deliver sends a broadcast to every local client */
  constructor({ deliver }) {
    this.#deliver = deliver;
  }

  change(apply) {
    try {
      const result = apply(this.#room);
      if (result) {
        result.afterCommit?.();
        this.#deliver(broadcastText(result, this.#room.cards()));
      }
      return Promise.resolve(result ?? null);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  close() {
    return Promise.resolve();
  }
}
