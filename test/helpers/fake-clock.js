// A clock the test moves by hand (the Clock a Connection takes): timers fire only inside
// advance(), so a test about timeouts never sleeps and never races the machine's load.

export class FakeClock {
  now = 0;
  /** @type {{ at: number, callback: () => void, id: number }[]} */
  timers = [];
  #nextId = 1;

  /** @param {() => void} callback @param {number} ms */
  setTimeout(callback, ms) {
    const id = this.#nextId++;
    this.timers.push({ at: this.now + ms, callback, id });
    return id;
  }

  /** @param {unknown} id */
  clearTimeout(id) {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Moves time forward by `ms`, firing every timer that comes due, in time order. */
  advance(ms) {
    const until = this.now + ms;
    // Bounded: each turn removes one timer that is due.
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.callback();
    }
    this.now = until;
  }
}
