// Connects @polkadot/api (the library polkadot.js apps is built on) to a CityChain node with no
// custom types, and checks what apps shows: chain properties, metadata with docs, balances,
// a transfer signed in JavaScript, and a device that registers and attests a reading as a bare
// extrinsic built from the metadata alone. Exits non-zero on any mismatch.
//
//   node check.mjs ws://127.0.0.1:9944
import { ApiPromise, WsProvider, Keyring } from '@polkadot/api';
// Dependencies of @polkadot/api (installed with it).
import { u8aConcat } from '@polkadot/util';
import { ed25519PairFromSeed, ed25519Sign } from '@polkadot/util-crypto';
import { argType, submitAndWait, tag } from './common.mjs';

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
// A device, from JavaScript: registration with a proof of possession, then a reading submitted
// fee-less as a bare extrinsic. Types come from the metadata; payloads follow the pallet docs.
const finalizedEvents = (tx, signer) => submitAndWait(tx, signer, (status) => status.isFinalized);
const genesis = api.genesisHash.toU8a();
const devicePair = ed25519PairFromSeed(new Uint8Array(32).fill(0x4a));
const key = api.createType(argType(api.tx.deviceRegistry.register, 'key'), { Ed25519: devicePair.publicKey });
const registerPayload = u8aConcat(tag('CITYCHAIN/DEVICE/REG/v1'), genesis, alice.publicKey, key.toU8a());
const registered = await finalizedEvents(
  api.tx.deviceRegistry.register('SmartMeter', 7, key, { Ed25519: ed25519Sign(registerPayload, devicePair) }, null, {}),
  alice,
).catch((e) => fail(`device registration: ${e.message}`));
const registration = registered.find((e) => api.events.deviceRegistry.Registered.is(e));
if (!registration) fail('no Registered event');
const device = registration.data[0].toNumber();
// Only devices the city registrar certified submit fee-less: the registrar is root (sudo) on the
// dev chain.
const certified = await finalizedEvents(api.tx.sudo.sudo(api.tx.deviceRegistry.certify(device)), alice)
  .catch((e) => fail(`certification: ${e.message}`));
if (!certified.some((e) => api.events.deviceRegistry.Certified.is(e))) fail('no Certified event');
const reading = api.createType(argType(api.tx.sensorAttestation.submitReading, 'reading'), {
  device, seq: 1, timestampMs: Date.now(), kind: 'EnergyExport', value: 4321, unit: 'WattHour',
});
const readingPayload = u8aConcat(tag('CITYCHAIN/READING/v1'), genesis, api.createType('u32', 0).toU8a(), reading.toU8a());
const submit = api.tx.sensorAttestation.submitReading(reading, 0, { Ed25519: ed25519Sign(readingPayload, devicePair) });
if (submit.isSigned) fail('the reading should be a bare extrinsic');
const attested = await finalizedEvents(submit).catch((e) => fail(`reading: ${e.message}`));
if (!attested.some((e) => api.events.sensorAttestation.ReadingAttested.is(e))) fail('no ReadingAttested event');
const latest = await api.query.sensorAttestation.latest(device, 'EnergyExport');
if (latest.isNone || latest.unwrap().value.toNumber() !== 4321) fail(`latest reading ${latest.toString()}`);
const twin = await api.call.sensorAttestationApi.latestReadings(device);
if (twin.isNone || twin.unwrap().length !== 1) fail(`runtime API latestReadings: ${twin.toString()}`);
const nobody = await api.call.sensorAttestationApi.latestReadings(987654321);
if (!nobody.isNone) fail(`runtime API latestReadings of an unknown device: ${nobody.toString()}`);
console.log(`device ${device} registered from JS; bare reading attested fee-less: ${latest.unwrap().value} Wh (runtime API agrees)`);

console.log('polkadot.js check passed');
clearTimeout(timeout);
await api.disconnect();
process.exit(0);
