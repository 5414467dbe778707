// The seam between a connection and whatever carries its bytes (a net.Socket, the addon's
// socket, a WHATWG stream pair). The connection never touches I/O except through this.

export type WriteCallback = (err?: Error | null) => void;

/** What the connection needs from whatever carries its bytes. */
export interface Transport {
  /** Writes the chunks in order, as one write where the transport can. */
  write(chunks: Uint8Array[], callback?: WriteCallback): void;
  /** Sends EOF after what is written (TCP half-close); reading goes on. */
  end(): void;
  /** Drops the connection now. */
  destroy(): void;
  /** Backpressure on receive: stop / start delivering bytes to receive(). */
  pauseReading(): void;
  resumeReading(): void;
  /**
   * Bytes written that the other side has not taken yet (a socket's write queue). The
   * ping-flood guard only trips while this is above 0: pongs that are merely waiting
   * for the end of a read are not a flood. Without it, the pong count alone decides.
   */
  writeBacklog?(): number;
  /** Whether the transport was destroyed (before it reports closed): nothing more can be written. */
  isDestroyed?(): boolean;
}

/** The timers a connection uses: injected, so tests control time instead of sleeping. */
export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The platform's timers. */
export const systemClock: Clock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
