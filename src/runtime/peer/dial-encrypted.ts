/**
 * An outgoing connection that starts with the MSE/PE handshake (see mse.ts). Until the TCP
 * connection stands, an error is a failure to connect; after it, a reset or refusal is the
 * handshake's failure (`afterConnect`: the caller may retry in plain BitTorrent, since a peer
 * that hangs up on MSE may speak only that).
 */
import { connect, type Socket } from 'node:net';
import { encryptOutgoing } from './mse.js';
import type { NegotiatedStream } from './peer-socket.js';

export interface EncryptedDial {
  readonly host: string;
  readonly port: number;
  /** The first 20 bytes of the info-hash (the SKEY). */
  readonly infoHash: Uint8Array;
  /** Sent inside the handshake: our BitTorrent handshake. */
  readonly initialPayload: Uint8Array;
  readonly timeoutMs?: number | undefined;
}

export interface EncryptedDialHooks {
  /** The handshake is done: the socket and what it negotiated are the caller's now. Return false
   * to refuse them (the socket is then closed and `failed` called). */
  ready(socket: Socket, negotiated: NegotiatedStream): boolean;
  failed(why: string, afterConnect: boolean): void;
}

export const dialEncrypted = (d: EncryptedDial, hooks: EncryptedDialHooks): void => {
  const socket = connect({ host: d.host, port: d.port });
  let over = false;
  const fail = (why: string, afterConnect: boolean): void => {
    if (over) return;
    over = true;
    socket.destroy();
    hooks.failed(why, afterConnect);
  };
  const beforeConnect = (e: Error): void => fail(e.message, false);
  socket.once('error', beforeConnect);
  socket.once('connect', () => {
    // From here a reset goes through the handshake's rejection.
    socket.off('error', beforeConnect);
    encryptOutgoing(socket, {
      infoHash: d.infoHash,
      initialPayload: d.initialPayload,
      ...(d.timeoutMs === undefined ? {} : { timeoutMs: d.timeoutMs }),
    }).then(
      (c) => {
        if (over) return;
        if (!hooks.ready(socket, { cipher: c.cipher, leftover: c.leftover })) {
          fail('refused after the handshake', false);
          return;
        }
        over = true; // from here the caller owns the socket
      },
      (e: Error) => fail(e.message, true),
    );
  });
};
