// What check.mjs and openrpc.mjs share: how a device's signing payloads begin, where the
// metadata says an argument's type is, and how to wait for an extrinsic.

import { stringToU8a } from '@polkadot/util';

// A domain tag: the ASCII text, zero-padded to 24 bytes (the pallets' `*_TAG` constants).
export const tag = (text) => { const bytes = new Uint8Array(24); bytes.set(stringToU8a(text)); return bytes; };

// The type name of argument `name` of call `tx`, from the metadata.
export const argType = (tx, name) => tx.meta.args.find((a) => a.name.toString() === name).type.toString();

// Sends `tx` (signed by `signer`, or bare without one) and resolves with its block's events
// once its status satisfies `reached` (e.g. `(s) => s.isFinalized`); rejects on a dispatch error.
export const submitAndWait = (tx, signer, reached) => new Promise((resolve, reject) => {
  const watch = ({ status, events, dispatchError }) => {
    if (dispatchError) reject(new Error(dispatchError.toString()));
    if (reached(status)) resolve(events.map(({ event }) => event));
  };
  (signer ? tx.signAndSend(signer, watch) : tx.send(watch)).catch(reject);
});
