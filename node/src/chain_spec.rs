//! Chain specifications. `dev` and `local` are generated from the runtime's genesis presets,
//! so the embedded specs and the committed `chain-specs/local.json` come from one source.

use citychain_runtime::{SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL, WASM_BINARY};
use sc_service::{ChainType, Properties};

/// The chain spec type of CityChain (no extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// Chain properties read by wallets and polkadot.js apps: token symbol, decimals and the SS58
/// address format, taken from the runtime's own constants so they cannot drift apart.
pub fn chain_properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"The runtime wasm binary is not available; build without SKIP_WASM_BUILD".to_string()
	})
}

/// Single-validator development chain (Alice), `--dev`.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("CityChain Development")
		.with_id("citychain_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(chain_properties())
		.build())
}

/// Four-validator local testnet (Alice, Bob, Charlie, Dave), `--chain local`.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("CityChain Local Testnet")
		.with_id("citychain_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_protocol_id("city")
		.with_properties(chain_properties())
		.build())
}
