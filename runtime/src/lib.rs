//! # CityChain runtime
//!
//! The FRAME runtime of CityChain, a sovereign chain that a city runs for its own services.
//! Consensus is Aura (block authoring) with GRANDPA (finality); the native token is CITY with
//! [`TOKEN_DECIMALS`] decimals. Transaction fees and every city fee flow into the city treasury
//! account ([`configs::CityTreasuryAccount`]), so the profit of city services stays in the city.
//!
//! Configuration is split by domain under [`configs`]; the runtime APIs live in [`apis`] and the
//! genesis presets (`development`, `local_testnet`) in [`genesis_config_presets`].

#![cfg_attr(not(feature = "std"), no_std)]
// The runtime macros over two dozen pallets expand deeper than the default limit (128).
#![recursion_limit = "256"]

#[cfg(all(feature = "std", feature = "build-wasm"))]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

// The rehearsal's versions are for its own wasm build (which has no `std`); a native build with
// them would make the node's runtime, and its `WASM_BINARY`, the rehearsal.
#[cfg(all(feature = "std", feature = "upgrade-rehearsal"))]
compile_error!("`upgrade-rehearsal` is only for the rehearsal wasm that build.rs builds");

/// The upgrade rehearsal: this runtime built with the feature `upgrade-rehearsal` (the same
/// code, with [`VERSION`]'s `spec_version` and `transaction_version` far above the real ones),
/// for tests that a client follows a runtime upgrade (a new `transaction_version` changes what
/// signed transactions must commit to). Never on a real network.
#[cfg(all(feature = "std", feature = "build-wasm"))]
pub mod upgrade_rehearsal {
	include!(concat!(env!("OUT_DIR"), "/upgrade_rehearsal_wasm.rs"));
}

extern crate alloc;

pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
pub mod parking;

use alloc::vec::Vec;
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_support::{construct_runtime, parameter_types};
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
pub use sp_runtime::{Perbill, Permill};

/// Opaque types: the node knows the block format without knowing the runtime's calls.
pub mod opaque {
	use super::*;
	use sp_runtime::traits::Hash as HashT;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	/// The session keys of a CityChain validator: Aura (authoring) and GRANDPA (finality).
	pub struct SessionKeys {
		pub aura: Aura,
		pub grandpa: Grandpa,
	}
}

/// The runtime version. `spec_version` must be bumped on every runtime logic change;
/// `transaction_version` whenever call indices or extrinsic formats change.
#[cfg(not(feature = "upgrade-rehearsal"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("citychain"),
	impl_name: alloc::borrow::Cow::Borrowed("citychain"),
	authoring_version: 1,
	spec_version: 108,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// The upgrade rehearsal's version ([`upgrade_rehearsal`]): versions no real runtime will reach
/// (the rehearsal is always an upgrade, and always a new transaction format); the rest as
/// above. (`runtime_version` takes literals only, hence the second constant.)
#[cfg(feature = "upgrade-rehearsal")]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("citychain"),
	impl_name: alloc::borrow::Cow::Borrowed("citychain"),
	authoring_version: 1,
	spec_version: 999_999_999,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 999_999_999,
	system_version: 1,
};

/// Target block time. Aura slots are this long; 6 s keeps finality lag low on city hardware.
pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
/// Aura slot duration (one block per slot).
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Time measured in blocks.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
/// One hour in blocks.
pub const HOURS: BlockNumber = MINUTES * 60;
/// One day in blocks.
pub const DAYS: BlockNumber = HOURS * 24;

/// Symbol of the native token, as shown by wallets and polkadot.js apps.
pub const TOKEN_SYMBOL: &str = "CITY";
/// Decimals of the native token.
pub const TOKEN_DECIMALS: u8 = 12;
/// The SS58 address prefix of CityChain (addresses start with a distinct character set, so
/// an address of another network is not mistaken for a CityChain one).
pub const SS58_PREFIX: u16 = 7303;

/// One CITY in its smallest unit.
pub const UNIT: Balance = 1_000_000_000_000;
/// 1/1000 CITY.
pub const MILLI_UNIT: Balance = 1_000_000_000;
/// 1/1_000_000 CITY.
pub const MICRO_UNIT: Balance = 1_000_000;

/// Minimum balance an account must keep to exist: 0.01 CITY, small enough for households and
/// large enough that dust accounts cannot bloat state for free.
pub const EXISTENTIAL_DEPOSIT: Balance = 10 * MILLI_UNIT;

/// Block number type.
pub type BlockNumber = u32;
/// Signature type of transactions: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;
/// Account identifier: the public key of the signer, 32 bytes.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of an account.
pub type Balance = u128;
/// Index of a transaction in the chain.
pub type Nonce = u32;
/// Hash type.
pub type Hash = sp_core::H256;
/// Digest item type.
pub type DigestItem = generic::DigestItem;
/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A signed block with justification.
pub type SignedBlock = generic::SignedBlock<Block>;
/// Block identifier.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions, in order. Only standard extensions, so polkadot.js apps and
/// other metadata-driven clients build transactions without custom types.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations applied on runtime upgrade, each guarded by its pallet's storage version
/// (a chain that starts at this runtime skips them).
#[allow(unused_parens)]
type Migrations = (
	pallet_sensor_attestation::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_device_registry::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_ride_settlement::migrations::v1::MigrateV0ToV1<Runtime>,
);

/// Executive: handles dispatch to the various pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

/// How long a transaction built by [`sign_extrinsic`] stays valid: 256 blocks (about 25
/// minutes) after the block it names. A mortal transaction cannot be replayed once it has
/// expired, even if its account is reaped and its nonce starts again.
pub const TX_MORTALITY: u64 = 256;

/// The block a mortal transaction is anchored to: its number and hash. Transactions are valid
/// from it for [`TX_MORTALITY`] blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
	/// The block's number (a recent block, e.g. the finalized head).
	pub number: BlockNumber,
	/// The block's hash.
	pub hash: Hash,
}

/// Builds the transaction extensions for a transaction signed by an account with `nonce`,
/// mortal from `checkpoint` for [`TX_MORTALITY`] blocks, without a tip and without the
/// metadata hash check. Used by tests and tools that sign transactions outside the node (the
/// e2e tests, simulators).
pub fn tx_extension(nonce: Nonce, checkpoint: Checkpoint) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(generic::Era::mortal(
			TX_MORTALITY,
			u64::from(checkpoint.number),
		)),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

/// The implicit data (signed but not sent) of [`tx_extension`]: spec and transaction version,
/// the genesis hash (CheckGenesis) and the checkpoint's hash (CheckEra of a mortal
/// transaction).
pub fn tx_extension_implicit(
	genesis_hash: Hash,
	checkpoint: Checkpoint,
) -> <TxExtension as sp_runtime::traits::TransactionExtension<RuntimeCall>>::Implicit {
	(
		(),
		VERSION.spec_version,
		VERSION.transaction_version,
		genesis_hash,
		checkpoint.hash,
		(),
		(),
		(),
		None,
		(),
	)
}

/// Signs `call` as `signer` with `nonce` for the chain with `genesis_hash`, mortal from
/// `checkpoint` (valid for [`TX_MORTALITY`] blocks) and without a tip, as a wallet does. For
/// tests and tools that build transactions outside the node.
#[cfg(feature = "std")]
pub fn sign_extrinsic(
	signer: &sp_core::sr25519::Pair,
	call: RuntimeCall,
	nonce: Nonce,
	genesis_hash: Hash,
	checkpoint: Checkpoint,
) -> UncheckedExtrinsic {
	use codec::Encode;
	use sp_core::Pair;
	let extension = tx_extension(nonce, checkpoint);
	let payload = SignedPayload::from_raw(
		call.clone(),
		extension.clone(),
		tx_extension_implicit(genesis_hash, checkpoint),
	);
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	let account: AccountId = signer.public().into();
	UncheckedExtrinsic::new_signed(
		call,
		account.into(),
		MultiSignature::Sr25519(signature),
		extension,
	)
}

// The runtime: every pallet with an explicit index, so call and storage encodings stay stable.
#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	// Declaration order is hook and genesis order: balances before the session key deposits,
	// the validator set before the session that asks it for validators, and the session
	// before Aura and GRANDPA so a new set is in place before they act on a block.

	/// Accounts, nonces, events and the block itself.
	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	/// On-chain time, set by the block author through an inherent.
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	/// The CITY token: balances, holds and freezes.
	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	/// Transaction fees, paid into the city treasury.
	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	/// Bootstrap governance: the city's root key until a council takes over.
	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	/// The city-governed validator set (departments and partners).
	#[runtime::pallet_index(7)]
	pub type ValidatorSet = pallet_validator_set;

	/// Sessions: validators' keys, and the hand-over of the validator set to Aura and GRANDPA.
	#[runtime::pallet_index(8)]
	pub type Session = pallet_session;

	/// Aura block authoring: the current authority set.
	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	/// GRANDPA finality: the current voter set.
	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	/// Smart-city devices: keys (with proof of possession), owners, zones, status, certification.
	#[runtime::pallet_index(20)]
	pub type DeviceRegistry = pallet_device_registry;

	/// Device-signed readings (fee-less for devices) and Merkle batch anchors.
	#[runtime::pallet_index(21)]
	pub type SensorAttestation = pallet_sensor_attestation;

	/// Local energy auctions per zone and slot, escrowed and settled on attested meter readings.
	#[runtime::pallet_index(22)]
	pub type EnergyMarket = pallet_energy_market;

	#[runtime::pallet_index(23)]
	pub type RideSettlement = pallet_ride_settlement;

	/// Citizens' consent grants to data holders, and the holders' anchored access logs.
	#[runtime::pallet_index(24)]
	pub type DataAccess = pallet_data_access;

	/// City credits: issued by agencies for deeds, spent at local merchants, expiring; and
	/// rewards for consented data sharing.
	#[runtime::pallet_index(25)]
	pub type CivicCredits = pallet_civic_credits;

	#[runtime::pallet_index(30)]
	pub type Council = pallet_collective<Instance1>;

	#[runtime::pallet_index(31)]
	pub type CouncilMembership = pallet_membership<Instance1>;

	#[runtime::pallet_index(32)]
	pub type Multisig = pallet_multisig;

	#[runtime::pallet_index(33)]
	pub type Proxy = pallet_proxy;

	#[runtime::pallet_index(34)]
	pub type Utility = pallet_utility;

	#[runtime::pallet_index(35)]
	pub type Scheduler = pallet_scheduler;

	#[runtime::pallet_index(36)]
	pub type Preimage = pallet_preimage;

	#[runtime::pallet_index(37)]
	pub type Treasury = pallet_treasury;

	#[runtime::pallet_index(38)]
	pub type Whitelist = pallet_whitelist;
}

#[cfg(feature = "runtime-benchmarks")]
impl frame_system_benchmarking::Config for Runtime {}

#[cfg(feature = "runtime-benchmarks")]
mod benches {
	frame_benchmarking::define_benchmarks!(
		[frame_system, SystemBench::<Runtime>]
		[pallet_balances, Balances]
		[pallet_timestamp, Timestamp]
		[pallet_sudo, Sudo]
		[pallet_device_registry, DeviceRegistry]
		[pallet_validator_set, ValidatorSet]
		[pallet_sensor_attestation, SensorAttestation]
		[pallet_energy_market, EnergyMarket]
		[pallet_ride_settlement, RideSettlement]
		[pallet_data_access, DataAccess]
		[pallet_civic_credits, CivicCredits]
		[pallet_collective, Council]
		[pallet_membership, CouncilMembership]
		[pallet_multisig, Multisig]
		[pallet_proxy, Proxy]
		[pallet_utility, Utility]
		[pallet_scheduler, Scheduler]
		[pallet_preimage, Preimage]
		[pallet_treasury, Treasury]
		[pallet_whitelist, Whitelist]
	);
}

#[cfg(test)]
mod tests;
