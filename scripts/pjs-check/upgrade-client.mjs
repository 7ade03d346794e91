// A polkadot.js client that lives through a runtime upgrade (the e2e scenario in
// node/tests/e2e/runtime_upgrade.rs starts it before the council upgrades the network):
//
//   node upgrade-client.mjs <ws-url> [timeout-seconds]
//
// 1. connects (no custom types, as polkadot.js apps does) and prints `connected <specVersion>`;
// 2. waits on the same connection until the node reports another runtime (polkadot.js follows
//    `state_subscribeRuntimeVersion` and loads the new metadata by itself) and prints
//    `upgraded <specVersion> <transactionVersion>`;
// 3. signs a transfer from //Ferdie to //Eve with what it now knows (the new transaction
//    version: a signature for the old one would be rejected), waits until it is finalized and
//    prints `transferred <specVersion> <blockHash> <amount>`.
// Exits non-zero, with the reason on stderr, on any failure or after the timeout.

import { ApiPromise, WsProvider, Keyring } from '@polkadot/api';
import { submitAndWait } from './common.mjs';

const [url, timeoutSeconds = '900'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node upgrade-client.mjs <ws-url> [timeout-seconds]');
  process.exit(64);
}
const timer = setTimeout(() => {
  console.error(`timed out after ${timeoutSeconds} s`);
  process.exit(2);
}, Number(timeoutSeconds) * 1000);

// The transfer's amount: 1 CITY (12 decimals), so the test can find it in the block's events.
const AMOUNT = 1_000_000_000_000n;

try {
  const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true, throwOnConnect: true });
  const before = api.runtimeVersion.specVersion.toNumber();
  console.log(`connected ${before}`);

  while (api.runtimeVersion.specVersion.toNumber() === before) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const { specVersion, transactionVersion } = api.runtimeVersion;
  console.log(`upgraded ${specVersion.toNumber()} ${transactionVersion.toNumber()}`);

  const keyring = new Keyring({ type: 'sr25519' });
  const ferdie = keyring.addFromUri('//Ferdie');
  const eve = keyring.addFromUri('//Eve');
  let finalizedIn;
  const events = await submitAndWait(
    api.tx.balances.transferKeepAlive(eve.address, AMOUNT),
    ferdie,
    (status) => {
      if (status.isFinalized) finalizedIn = status.asFinalized.toHex();
      return status.isFinalized;
    },
  );
  const transferred = events.some((event) => api.events.balances.Transfer.is(event)
    && event.data.from.eq(ferdie.address) && event.data.to.eq(eve.address)
    && event.data.amount.toBigInt() === AMOUNT);
  if (!transferred) throw new Error(`no Balances.Transfer event in ${finalizedIn}`);
  console.log(`transferred ${api.runtimeVersion.specVersion.toNumber()} ${finalizedIn} ${AMOUNT}`);
  clearTimeout(timer);
  await api.disconnect();
  process.exit(0);
} catch (error) {
  console.error(`upgrade client: ${error.message ?? error}`);
  process.exit(1);
}
