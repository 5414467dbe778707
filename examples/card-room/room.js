// The card room's game state, with no I/O so it can be tested (and reasoned about) alone.
// Every method either returns what changed or throws a RoomError whose message is safe to
// show the client; the server turns those into `server:error` replies.

export class RoomError extends Error {
  name = 'RoomError';
}

/** Limits that keep one client from growing the state (and every broadcast) without bound. */
export const MAX_CARDS_PER_PLAYER = 100;
export const MAX_CARD_ID = 64;
export const MAX_TITLE = 100;
export const MAX_COUNT = 9999;

/** Players (by cid) and the cards each has played, keyed by cardId. */
export class Room {
  // Ids only ever grow: a cid that reappeared after a leave could be mistaken by other
  // clients (or a stale tab) for the player who left.
  #nextCid = 1;
  /** @type {Map<number, Map<string, Readonly<Card>>>} join order is the Map's order */
  #players = new Map();

  /** Adds a player with no cards and returns its new, never-before-used cid. */
  join() {
    const cid = this.#nextCid++;
    this.#players.set(cid, new Map());
    return cid;
  }

  has(cid) {
    return this.#players.has(cid);
  }

  /** Removes a player and returns the cards it held. */
  leave(cid) {
    const cards = [...this.#hand(cid).values()];
    this.#players.delete(cid);
    return cards;
  }

  /** Plays a card; a card with the same cardId in this player's hand is replaced. */
  add(cid, data) {
    const hand = this.#hand(cid);
    const card = Object.freeze({
      cardId: cardIdOf(data),
      count: countOf(data.count),
      title: titleOf(data.title),
    });
    if (!hand.has(card.cardId) && hand.size >= MAX_CARDS_PER_PLAYER) {
      throw new RoomError(`a player can hold at most ${MAX_CARDS_PER_PLAYER} cards`);
    }
    hand.set(card.cardId, card);
    return card;
  }

  /** Changes the count and/or title of a card the player already holds. */
  update(cid, data) {
    const hand = this.#hand(cid);
    const cardId = cardIdOf(data);
    const old = hand.get(cardId);
    if (!old) throw new RoomError(`no card ${JSON.stringify(cardId)} to update`);
    if (data.count === undefined && data.title === undefined) {
      throw new RoomError('update needs a new count or title');
    }
    const card = Object.freeze({
      cardId,
      count: data.count === undefined ? old.count : countOf(data.count),
      title: data.title === undefined ? old.title : titleOf(data.title),
    });
    hand.set(cardId, card);
    return card;
  }

  /** Removes one of the player's cards and returns it. */
  remove(cid, data) {
    const hand = this.#hand(cid);
    const cardId = cardIdOf(data);
    const card = hand.get(cardId);
    if (!card) throw new RoomError(`no card ${JSON.stringify(cardId)} to remove`);
    hand.delete(cardId);
    return card;
  }

  /** A player declares a win; there is no rule to check, only that the player exists. */
  win(cid) {
    return [...this.#hand(cid).values()];
  }

  /** The whole room in join order: `[{cid, cards: [{cardId, count, title}]}]` (a copy). */
  cards() {
    return [...this.#players].map(([cid, hand]) => ({ cid, cards: [...hand.values()] }));
  }

  /**
   * The whole state as plain JSON-able data: `{nextCid, players}` with `players` as in
   * cards(). Room.fromSnapshot() turns it back into a Room (server.js --redis keeps the
   * shared room in Redis this way).
   */
  snapshot() {
    return { nextCid: this.#nextCid, players: this.cards() };
  }

  /** A Room from snapshot(); every card goes through the same checks as add(). */
  static fromSnapshot({ nextCid, players }) {
    const room = new Room();
    for (const { cid, cards } of players) room.restore(cid, cards);
    if (Number.isInteger(nextCid) && nextCid > room.#nextCid) room.#nextCid = nextCid;
    return room;
  }

  /**
   * Puts back a player that already had `cid`, with its cards, where it joined. For a shared
   * room that lost its state (a Redis restart without persistence): the process holding the
   * player's connection re-adds it. Later joins get higher cids.
   */
  restore(cid, cards) {
    if (!Number.isInteger(cid) || cid < 1) throw new RoomError(`cid must be a positive integer, got ${JSON.stringify(cid)}`);
    if (this.#players.has(cid)) throw new RoomError(`player ${cid} is already in the room`);
    if (!Array.isArray(cards) || cards.length > MAX_CARDS_PER_PLAYER) {
      throw new RoomError(`a player holds an array of at most ${MAX_CARDS_PER_PLAYER} cards`);
    }
    const hand = new Map();
    for (const data of cards) {
      const card = Object.freeze({ cardId: cardIdOf(data), count: countOf(data.count), title: titleOf(data.title) });
      hand.set(card.cardId, card);
    }
    this.#players.set(cid, hand);
    // Cids only grow with each join, so cid order is join order: processes that put their
    // players back one after another still rebuild the order everyone saw before. Only a cid
    // below the highest ever used can be out of place, so fromSnapshot() (ascending) never sorts.
    if (cid < this.#nextCid - 1) this.#players = new Map([...this.#players].sort(([a], [b]) => a - b));
    if (cid >= this.#nextCid) this.#nextCid = cid + 1;
  }

  #hand(cid) {
    const hand = this.#players.get(cid);
    if (!hand) throw new RoomError(`no player ${JSON.stringify(cid)} in the room`);
    return hand;
  }
}

/**
 * @typedef {{cardId: string, count: number, title: string}} Card
 */

function cardIdOf(data) {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new RoomError('data must be an object like {cardId, count, title}');
  }
  const { cardId } = data;
  // Strings only, so 1 and "1" cannot name two different cards.
  if (typeof cardId !== 'string' || cardId.length === 0 || cardId.length > MAX_CARD_ID) {
    throw new RoomError(`cardId must be a string of 1 to ${MAX_CARD_ID} characters`);
  }
  return cardId;
}

function countOf(count) {
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new RoomError(`count must be an integer from 1 to ${MAX_COUNT}`);
  }
  return count;
}

function titleOf(title) {
  if (typeof title !== 'string' || title.trim().length === 0 || title.length > MAX_TITLE) {
    throw new RoomError(`title must be a non-blank string of at most ${MAX_TITLE} characters`);
  }
  return title;
}
