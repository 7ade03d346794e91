//! Aura (block authoring) and GRANDPA (finality).

use frame_support::{
	parameter_types,
	traits::{ConstBool, ConstU32, ConstU64},
};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;


use crate::{Runtime, RuntimeEvent, SLOT_DURATION};

/// Upper bound of the validator set (Aura and GRANDPA). A city runs a handful of validators;
/// 32 leaves room for departments and partners without unbounded storage.
pub const MAX_AUTHORITIES: u32 = 32;

parameter_types! {
	/// See [`MAX_AUTHORITIES`].
	pub const MaxAuthorities: u32 = MAX_AUTHORITIES;
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

