// Connects @polkadot/api (the library polkadot.js apps is built on) to a CityChain node with no
// custom types, and checks what apps shows: chain properties, metadata with docs, balances,
// and a transfer signed in JavaScript. Exits non-zero on any mismatch.
//
//   node check.mjs ws://127.0.0.1:9944
import { ApiPromise, WsProvider, Keyring } from '@polkadot/api';

const endpoint = process.argv[2] ?? 'ws://127.0.0.1:9944';
const fail = (msg) => { console.error(`FAIL ${msg}`); process.exit(1); };
const timeout = setTimeout(() => fail('timed out after 120 s'), 120_000);

const api = await ApiPromise.create({ provider: new WsProvider(endpoint), noInitWarn: true });
const props = api.registry.getChainProperties();
const symbol = props.tokenSymbol.unwrap()[0].toString();
const decimals = props.tokenDecimals.unwrap()[0].toNumber();
const ss58 = props.ss58Format.unwrap().toNumber();
if (symbol !== 'CITY' || decimals !== 12) fail(`token ${symbol}/${decimals}`);
if (ss58 !== api.consts.system.ss58Prefix.toNumber()) fail(`ss58 ${ss58} != runtime constant`);
console.log(`chain ${await api.rpc.system.chain()}, token ${symbol} (${decimals} decimals), ss58 ${ss58}`);

// Metadata with docs, as the apps extrinsics and chain-state pages show them.
const transferDocs = api.tx.balances.transferKeepAlive.meta.docs.map((d) => d.toString()).join(' ');
if (transferDocs.trim().length === 0) fail('balances.transferKeepAlive has no docs');
console.log(`metadata v${api.runtimeMetadata.version}, ${api.runtimeMetadata.asLatest.pallets.length} pallets; transferKeepAlive docs: "${transferDocs.slice(0, 60)}..."`);
const undocumented = [];
for (const pallet of api.runtimeMetadata.asLatest.pallets) {
  const name = pallet.name.toString();
  if (!['DeviceRegistry', 'ValidatorSet', 'SensorAttestation'].includes(name)) continue;
  for (const [call, fn] of Object.entries(api.tx[name[0].toLowerCase() + name.slice(1)] ?? {})) {
    if (fn.meta.docs.length === 0) undocumented.push(`${name}.${call}`);
  }
  for (const [item, entry] of Object.entries(api.query[name[0].toLowerCase() + name.slice(1)] ?? {})) {
    if (entry.creator.meta.docs.length === 0) undocumented.push(`${name} storage ${item}`);
  }
  for (const [err, meta] of Object.entries(api.errors[name[0].toLowerCase() + name.slice(1)] ?? {})) {
    if (meta.meta.docs.length === 0) undocumented.push(`${name} error ${err}`);
  }
  for (const [ev, meta] of Object.entries(api.events[name[0].toLowerCase() + name.slice(1)] ?? {})) {
    if (meta.meta.docs.length === 0) undocumented.push(`${name} event ${ev}`);
  }
}
if (undocumented.length) fail(`undocumented in metadata: ${undocumented.join(', ')}`);

// Balances and a transfer signed here, in JavaScript.
const keyring = new Keyring({ type: 'sr25519', ss58Format: ss58 });
const alice = keyring.addFromUri('//Alice');
const dest = keyring.addFromUri('//PjsCheck').address;
const before = (await api.query.system.account(dest)).data.free.toBigInt();
console.log(`Alice ${alice.address}: ${(await api.query.system.account(alice.address)).data.free.toHuman()}`);
const amount = 2n * 10n ** 12n;
await new Promise((resolve, reject) => {
  api.tx.balances.transferKeepAlive(dest, amount).signAndSend(alice, ({ status, dispatchError }) => {
    if (dispatchError) reject(new Error(dispatchError.toString()));
    if (status.isFinalized) resolve();
  }).catch(reject);
}).catch((e) => fail(`transfer: ${e.message}`));
const after = (await api.query.system.account(dest)).data.free.toBigInt();
if (after - before !== amount) fail(`receiver got ${after - before}, expected ${amount}`);
console.log(`transfer of 2 CITY finalized; receiver balance ${after}`);
console.log('polkadot.js check passed');
clearTimeout(timeout);
await api.disconnect();
process.exit(0);
