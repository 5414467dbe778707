// ws's createWebSocketStream: a Duplex whose writes are messages and whose reads are the
// messages received, with backpressure both ways (a full read buffer pauses the socket).
//
// Its events and their order are ws@8's. Node's autoDestroy and emitClose are off because
// the stream's life is the websocket's: it is destroyed once both sides are done (or on an
// error), and 'close' is emitted only once the websocket itself has closed.

import { Duplex, type DuplexOptions } from 'node:stream';
import type { WebSocket } from './websocket.js';

type Callback = (err?: Error | null) => void;

export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  // A websocket that reported an error is already closing with a close frame of its own;
  // terminating it as well could cut that frame off.
  let terminateOnDestroy = true;
  // end() waits for the close handshake and completes when the websocket closes. (ws waits
  // for its socket to finish writing instead, which a socket destroyed by the close timeout
  // or a reset never does: its end() then never completes.)
  let pendingFinal: Callback | null = null;

  const emitCloseSoon = () => process.nextTick(() => duplex.emit('close'));

  const duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    // Writes are always bytes (one message each); only the readable side may be objects.
    objectMode: false,
    writableObjectMode: false,

    read() {
      if (ws.isPaused) ws.resume();
    },

    write(chunk: Buffer, encoding, callback: Callback) {
      if (ws.readyState === ws.CONNECTING) {
        ws.once('open', () => duplex._write(chunk, encoding, callback));
        return;
      }
      ws.send(chunk, callback);
    },

    final(callback: Callback) {
      // A failed handshake never opens: its 'error' destroys the stream instead.
      if (ws.readyState === ws.CONNECTING) {
        ws.once('open', () => duplex._final(callback));
        return;
      }
      if (ws.readyState === ws.CLOSED) {
        callback();
        // The 'end' listener found the writable side still open: both sides are done now.
        if (duplex.readableEnded) duplex.destroy();
        return;
      }
      pendingFinal = callback;
      ws.close();
    },

    destroy(err: Error | null, callback: Callback) {
      if (ws.readyState === ws.CLOSED) {
        callback(err);
        emitCloseSoon();
        return;
      }
      // An error from the websocket while it closes (a handshake aborted by terminate())
      // is the one the stream reports.
      let reported = false;
      ws.once('error', (wsErr: Error) => {
        reported = true;
        callback(wsErr);
      });
      ws.once('close', () => {
        if (!reported) callback(err);
        emitCloseSoon();
      });
      if (terminateOnDestroy) ws.terminate();
    },
  });

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const chunk = !isBinary && duplex.readableObjectMode ? data.toString() : data;
    if (!duplex.push(chunk)) ws.pause();
  });
  ws.once('error', (err: Error) => {
    if (duplex.destroyed) return;
    terminateOnDestroy = false;
    duplex.destroy(err);
  });
  ws.once('close', () => {
    if (duplex.destroyed) return;
    // 'finish' before 'end', as in ws, where the socket finishes before the websocket closes.
    const final = pendingFinal;
    pendingFinal = null;
    final?.();
    duplex.push(null);
  });
  // Nothing more will arrive from a websocket that has already closed.
  if (ws.readyState === ws.CLOSED) duplex.push(null);

  duplex.on('end', () => {
    if (duplex.writableFinished) duplex.destroy();
  });
  // With autoDestroy off, Node only emits errors (a failed send, a write after end): they
  // still end the stream. Without another listener the error must still throw.
  duplex.once('error', (err: Error) => {
    duplex.destroy();
    if (duplex.listenerCount('error') === 0) duplex.emit('error', err);
  });
  return duplex;
}
