//! Aura (block authoring), GRANDPA (finality), and the city-governed validator set feeding
//! them through pallet-session.

use frame_support::{
	parameter_types,
	traits::{ConstBool, ConstU32, ConstU64},
};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;

use pallet_session::WeightInfo as _;
use sp_runtime::traits::{ConvertInto, OpaqueKeys};

use crate::{
	AccountId, Balances, BlockNumber, Grandpa, Runtime, RuntimeEvent, RuntimeOrigin, Session,
	SessionKeys, ValidatorSet, SLOT_DURATION, UNIT,
};

/// Upper bound of the validator set (Aura and GRANDPA). A city runs a handful of validators;
/// 32 leaves room for departments and partners without unbounded storage.
pub const MAX_AUTHORITIES: u32 = 32;

/// Session length of the test presets (`development`, `local_testnet`): 10 blocks (1 minute at
/// 6 s blocks), so validator set changes show quickly in tests. The session length is state
/// (`validatorSet.sessionLength`, set at genesis, changed by governance): pallet-session
/// charges a whole block's weight at every rotation, so a city network uses
/// [`CITY_SESSION_PERIOD`] instead.
pub const TEST_SESSION_PERIOD: BlockNumber = 10;

/// Session length of a city network (`chain-specs/city-template.json`): one hour, so the
/// rotation's full-block charge costs 1/600 of capacity instead of 1/10.
pub const CITY_SESSION_PERIOD: BlockNumber = crate::HOURS;

/// Session lengths come from the validator set pallet's storage.
pub type SessionPeriod = pallet_validator_set::SessionPeriod<Runtime>;

parameter_types! {
	/// See [`MAX_AUTHORITIES`].
	pub const MaxAuthorities: u32 = MAX_AUTHORITIES;
	/// Sessions start at block 0.
	pub const SessionOffset: BlockNumber = 0;
	/// Deposit held while an account has session keys registered (anti-spam).
	pub const SessionKeyDeposit: crate::Balance = UNIT;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = MaxAuthorities;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = ConstU64<SLOT_DURATION>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	// No equivocation reporting without staking: the city removes misbehaving validators by
	// governance instead.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

/// Sessions: rotate every `validatorSet.sessionLength` blocks; the validator set pallet decides
/// who.
impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type NextSessionRotation = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type SessionManager = ValidatorSet;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type KeyDeposit = SessionKeyDeposit;
}

/// Session keys as pallet-session keeps them. Accounts cannot call `session.purge_keys`
/// directly (see [`crate::configs::system::CityCallFilter`]): the validator set pallet's
/// `purge_keys` refuses governed validators and calls pallet-session's for everyone else.
pub struct CitySessionKeys;
impl pallet_validator_set::SessionKeys<AccountId> for CitySessionKeys {
	fn has_keys(who: &AccountId) -> bool {
		Session::load_keys(who).is_some()
	}

	fn purge_keys(who: &AccountId) -> sp_runtime::DispatchResult {
		// A direct call, not a dispatch: the call filter does not apply to it.
		Session::purge_keys(RuntimeOrigin::signed(who.clone()))
	}

	fn purge_keys_weight() -> frame_support::weights::Weight {
		<Runtime as pallet_session::Config>::WeightInfo::purge_keys()
	}

	fn queued() -> alloc::vec::Vec<AccountId> {
		Session::queued_keys().into_iter().map(|(who, _)| who).collect()
	}
}

/// GRANDPA's stall recovery, reached through the validator set's admin origin.
pub struct GrandpaStallRecovery;
impl pallet_validator_set::FinalityStallRecovery<BlockNumber> for GrandpaStallRecovery {
	fn note_stalled(delay: BlockNumber, best_finalized_block_number: BlockNumber) {
		// The admin origin was checked by the validator set pallet; GRANDPA's own call only
		// accepts root, which is what this glue passes on. It cannot fail for root.
		let _ = Grandpa::note_stalled(RuntimeOrigin::root(), delay, best_finalized_block_number);
	}
}

/// The city-governed validator set, administered by two thirds of the council
/// ([`crate::configs::governance::ValidatorAdminOrigin`]). The minimum set size is set per network at genesis
/// (`local_testnet`: 4).
impl pallet_validator_set::Config for Runtime {
	type AdminOrigin = crate::configs::governance::ValidatorAdminOrigin;
	type SessionKeys = CitySessionKeys;
	type FinalityStallRecovery = GrandpaStallRecovery;
	type MaxValidators = MaxAuthorities;
	/// Ten blocks: one rotation (a full block's weight) in ten blocks at most.
	type MinSessionLength = ConstU32<TEST_SESSION_PERIOD>;
	type WeightInfo = pallet_validator_set::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ValidatorSetBenchmarkHelper;
}

/// Gives benchmark accounts session keys by writing them where pallet-session keeps them
/// (`set_keys` would need a proof signed by keys the benchmark does not hold).
#[cfg(feature = "runtime-benchmarks")]
pub struct ValidatorSetBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_validator_set::BenchmarkHelper<AccountId> for ValidatorSetBenchmarkHelper {
	fn give_session_keys(who: &AccountId) {
		let keys = SessionKeys {
			aura: sp_consensus_aura::sr25519::AuthorityId::from(
				sp_core::sr25519::Public::from_raw([7; 32]),
			),
			grandpa: sp_consensus_grandpa::AuthorityId::from(sp_core::ed25519::Public::from_raw(
				[7; 32],
			)),
		};
		// The account exists and counts the keys as a consumer, as `set_keys` would leave it,
		// so that `purge_keys` can undo it.
		use frame_support::traits::fungible::Mutate;
		let _ = Balances::set_balance(who, crate::UNIT);
		let _ = frame_system::Pallet::<Runtime>::inc_consumers(who);
		pallet_session::NextKeys::<Runtime>::insert(who, keys);
	}
}
