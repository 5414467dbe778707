// The states of a connection after its opening handshake, and the only moves between
// them (in the spirit of wsproto's ConnectionState). Connection changes state through
// moveTo() alone, so every transition is checked against this table.

/** The WebSocket API's readyState values. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

export const ConnectionState = {
  /** Messages flow both ways. */
  Open: 'open',
  /** Our close frame is queued or sent; the peer's has not come yet. */
  LocalClosing: 'local-closing',
  /** The peer's close frame was read and ours is not queued yet (only while answering it). */
  RemoteClosing: 'remote-closing',
  /**
   * Nothing more will be sent: the close frames were exchanged, or the connection failed,
   * was terminated or the peer sent EOF. Waiting for the transport to close.
   */
  Closing: 'closing',
  /** The transport is gone; what was received before it went is still being delivered. */
  Draining: 'draining',
  /** Everything is delivered and `closed` was reported. */
  Closed: 'closed',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

const S = ConnectionState;

const NEXT: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  [S.Open]: [S.LocalClosing, S.RemoteClosing, S.Closing, S.Draining],
  [S.LocalClosing]: [S.Closing, S.Draining],
  [S.RemoteClosing]: [S.Closing, S.Draining],
  [S.Closing]: [S.Draining],
  [S.Draining]: [S.Closed],
  [S.Closed]: [],
};

/** The WebSocket API's readyState for each state. */
export const READY_STATE: Readonly<Record<ConnectionState, ReadyState>> = {
  [S.Open]: ReadyState.OPEN,
  [S.LocalClosing]: ReadyState.CLOSING,
  [S.RemoteClosing]: ReadyState.CLOSING,
  [S.Closing]: ReadyState.CLOSING,
  [S.Draining]: ReadyState.CLOSING,
  [S.Closed]: ReadyState.CLOSED,
};

/** Whether `from → to` is one of the table's moves. */
export function canMove(from: ConnectionState, to: ConnectionState): boolean {
  return NEXT[from].includes(to);
}

/** An action the connection's current state does not allow (a caller's mistake, not the peer's). */
export class InvalidStateError extends Error {
  readonly code = 'WS_ERR_INVALID_STATE';
  constructor(
    action: string,
    readonly state: ConnectionState,
  ) {
    super(`Cannot ${action}: the connection is ${state}`);
    this.name = 'InvalidStateError';
  }
}
