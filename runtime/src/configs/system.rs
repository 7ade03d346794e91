//! frame-system, timestamp and sudo.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstU32, Contains},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		Weight,
	},
};
use frame_system::limits::{BlockLength, BlockWeights};
use sp_runtime::Perbill;

use crate::configs::governance::{MAX_MOTION_BYTES, MIN_COUNCIL_MEMBERS};
use crate::{
	AccountId, Aura, Balance, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeOrigin, RuntimeTask, SLOT_DURATION, SS58_PREFIX, VERSION,
};

/// Share of a block that ordinary (non-operational) transactions may fill.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	/// Blocks whose hashes are kept for mortal transactions (about 4 hours at 6 s).
	pub const BlockHashCount: BlockNumber = 2400;
	/// The runtime version, exposed to clients.
	pub const Version: sp_version::RuntimeVersion = VERSION;

	/// Two seconds of compute per 6 s block, leaving time to propagate and import.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks, 75% of it for ordinary transactions.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	/// The network's SS58 prefix, also set as `ss58Format` in the chain spec properties.
	pub const SS58Prefix: u16 = SS58_PREFIX;
}

/// frame-system with the solochain defaults, overriding what CityChain sets itself.
#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores state in ParityDB, so its measured weights apply.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
	type BaseCallFilter = CityCallFilter;
}

/// Every call may be dispatched (by any origin but root, which no filter stops) except:
/// - `session.purge_keys`: a governed validator that purged its keys would leave the set
///   pallet-session uses without governance (and all of them together would empty it, halting
///   the chain). Accounts purge their keys through `validatorSet.purgeKeys`, which refuses
///   governed validators;
/// - council motions longer than [`MAX_MOTION_BYTES`] (proposals hold no deposit);
/// - council membership changes that would leave fewer than [`MIN_COUNCIL_MEMBERS`] members
///   (`councilMembership.removeMember`, `resetMembers`).
pub struct CityCallFilter;
impl Contains<RuntimeCall> for CityCallFilter {
	fn contains(call: &RuntimeCall) -> bool {
		match call {
			RuntimeCall::Session(pallet_session::Call::purge_keys {}) => false,
			RuntimeCall::Council(pallet_collective::Call::propose { length_bound, .. }) => {
				*length_bound <= MAX_MOTION_BYTES
			}
			RuntimeCall::CouncilMembership(pallet_membership::Call::remove_member { .. }) => {
				let members = pallet_membership::Members::<Runtime, pallet_membership::Instance1>::decode_len()
					.unwrap_or(0);
				u32::try_from(members).unwrap_or(u32::MAX) > MIN_COUNCIL_MEMBERS
			}
			RuntimeCall::CouncilMembership(pallet_membership::Call::reset_members { members }) => {
				u32::try_from(members.len()).unwrap_or(u32::MAX) >= MIN_COUNCIL_MEMBERS
			}
			_ => true,
		}
	}
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = frame_support::traits::ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}
