// Which transport carries a connection. Automatic: the fastest one that applies to the
// socket (native for a plain TCP socket where the addon loaded, then direct, else the
// stream transport, which takes any Duplex: TLS, createConnection streams, ...).
// WSCODEC_TRANSPORT=native|direct|stream forces one for every socket it applies to; a
// forced transport that is not available here is an error when this module loads, not a
// silent fallback. A socket the chosen transport cannot adopt stays on the stream
// transport (one logged line): no connection is ever dropped for it.

import type { Duplex } from 'node:stream';
import { StreamTransport } from './stream.js';
import type { NodeTransport, TransportKind, TransportOwner } from './types.js';

/** A transport that can take over plain TCP sockets (direct, native), registered when it is available. */
export interface SocketAdopter {
  readonly kind: Exclude<TransportKind, 'stream'>;
  /** Whether this socket is one it can take over (a plain TCP net.Socket with its handle). */
  applies(socket: Duplex): boolean;
  /** Takes the socket over; throws when it cannot (the caller falls back to the stream transport). */
  adopt(socket: Duplex, owner: TransportOwner): NodeTransport;
}

const KINDS: readonly TransportKind[] = ['native', 'direct', 'stream'];
const adopters = new Map<TransportKind, SocketAdopter>();

/** WSCODEC_TRANSPORT, checked; undefined when unset. */
export function forcedTransportFromEnv(): TransportKind | undefined {
  const value = process.env.WSCODEC_TRANSPORT?.trim();
  if (value === undefined || value === '') return undefined;
  if (!(KINDS as readonly string[]).includes(value))
    throw new Error(`WSCODEC_TRANSPORT must be one of ${KINDS.join(', ')}; got '${value}'`);
  return value as TransportKind;
}

const forced = forcedTransportFromEnv();

/** Makes an adopting transport available (the modules that implement one call this when they load). */
export function registerAdopter(adopter: SocketAdopter): void {
  adopters.set(adopter.kind, adopter);
}

/** Throws unless the forced transport (if any) is available; run once everything registered. */
export function checkForcedTransport(): void {
  if (forced === undefined || forced === 'stream' || adopters.has(forced)) return;
  throw new Error(`WSCODEC_TRANSPORT=${forced}, but the ${forced} transport is not available here (${unavailableReason(forced)})`);
}

const unavailable = new Map<TransportKind, string>();

/** Why a transport module did not register (the error for a forced transport says it). */
export function noteUnavailable(kind: TransportKind, reason: string): void {
  unavailable.set(kind, reason);
}

function unavailableReason(kind: TransportKind): string {
  return unavailable.get(kind) ?? 'not implemented on this runtime';
}

/** Every transport that can run here, fastest first (the stream transport always can). */
export function availableTransports(): TransportKind[] {
  return KINDS.filter((kind) => kind === 'stream' || adopters.has(kind));
}

/**
 * Whether automatic choice may pick the direct transport. False until the full suites pass
 * on it; WSCODEC_TRANSPORT=direct uses it either way.
 */
export const DIRECT_IS_AUTOMATIC = false;

/**
 * Whether automatic choice may pick the native transport. False until the full suites pass
 * on it; WSCODEC_TRANSPORT=native uses it either way.
 */
export const NATIVE_IS_AUTOMATIC = false;

/** The transport plain TCP connections get (the CLI's listening line names it). */
export function preferredTransport(): TransportKind {
  if (forced !== undefined) return forced;
  for (const kind of KINDS) {
    if (
      kind === 'stream' ||
      (adopters.has(kind) && (kind !== 'direct' || DIRECT_IS_AUTOMATIC) && (kind !== 'native' || NATIVE_IS_AUTOMATIC))
    )
      return kind;
  }
  return 'stream';
}

/** A transport for this socket: the forced or best one that applies, else the stream transport. */
export function createTransport(socket: Duplex, owner: TransportOwner): NodeTransport {
  const kind = preferredTransport();
  const adopter = kind === 'stream' ? undefined : adopters.get(kind);
  if (adopter !== undefined && adopter.applies(socket)) {
    try {
      return adopter.adopt(socket, owner);
    } catch (err) {
      console.warn(`wscodec: the ${kind} transport could not adopt a socket; it stays on the stream transport (${(err as Error).message})`);
    }
  }
  return new StreamTransport(socket, owner);
}
