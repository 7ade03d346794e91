//! City governance: the council (pallet-collective with pallet-membership), the city's roles as
//! named origins backed by it, departments' multisig accounts, proxies with limited types,
//! batches, scheduled calls and preimages, the treasury, and root dispatch of calls the council
//! whitelisted (how a motion reaches `system.authorize_upgrade`, which only root may call).
//!
//! | Role (origin) | What it does | Who, on a city network |
//! |---|---|---|
//! | [`RegistrarOrigin`] | certifies, suspends and revokes devices; the attestation parameters (free share) | more than half of the council |
//! | [`ValidatorAdminOrigin`] | adds and removes validators, session length, minimum set size, `note_stalled` | two thirds of the council |
//! | [`MarketOperatorOrigin`] | the energy market's parameters | more than half of the council |
//! | [`RideArbiterOrigin`] | ride disputes and the ride tariff | more than half of the council |
//! | [`TreasurySpenderOrigin`] | spends from the treasury (up to [`MAX_TREASURY_SPEND`] per spend) | more than half of the council |
//! | [`UpgradeOrigin`] | whitelists and dispatches calls as root: runtime upgrades (`system.authorizeUpgrade`) | two thirds of the council |
//! | [`CouncilAdminOrigin`] | council membership (add, remove, swap, prime) | two thirds of the council |
//!
//! Every role also accepts root: on a development chain that is the sudo key; a city network
//! has no sudo key (the `local_testnet` preset and `chain-specs/city-template.json`), so root is
//! reached only through [`UpgradeOrigin`]'s whitelist. To give a role to a department's
//! multisig instead of the council, change its one line here (e.g.
//! `EitherOfDiverse<EnsureRoot<AccountId>, EnsureSignedBy<RegistrarDepartment, AccountId>>`).

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	parameter_types,
	traits::{
		fungible::HoldConsideration, tokens::UnityAssetBalanceConversion, ConstU32,
		EitherOfDiverse, InstanceFilter, LinearStoragePrice,
	},
	weights::Weight,
	PalletId,
};
use frame_system::{EnsureRoot, EnsureWithSuccess};
use scale_info::TypeInfo;
use sp_runtime::{traits::IdentityLookup, Perbill, Permill};

use crate::{
	configs::{CityTreasuryPalletId, RuntimeBlockWeights},
	AccountId, Balance, Balances, BlockNumber, Council, OriginCaller, Preimage, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, System, DAYS, HOURS, MILLI_UNIT,
	UNIT,
};

/// The council's instance of pallet-collective.
pub type CouncilCollective = pallet_collective::Instance1;

/// Root, or more than half of the council.
pub type CouncilMajority = EitherOfDiverse<
	EnsureRoot<AccountId>,
	pallet_collective::EnsureProportionMoreThan<AccountId, CouncilCollective, 1, 2>,
>;

/// Root, or at least two thirds of the council.
pub type CouncilTwoThirds = EitherOfDiverse<
	EnsureRoot<AccountId>,
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>,
>;

/// The device registrar: certifies, suspends and revokes devices (and governs sensor
/// attestation's free share).
pub type RegistrarOrigin = CouncilMajority;
/// The validator set's administrator (and `note_stalled`).
pub type ValidatorAdminOrigin = CouncilTwoThirds;
/// The energy market's operator (its parameters).
pub type MarketOperatorOrigin = CouncilMajority;
/// The ride arbiter: resolves disputes and sets the tariff.
pub type RideArbiterOrigin = CouncilMajority;
/// Whitelists calls for root dispatch and dispatches them: the runtime upgrade path.
pub type UpgradeOrigin = CouncilTwoThirds;
/// Manages the council's membership.
pub type CouncilAdminOrigin = CouncilTwoThirds;

/// The most one treasury spend pays out: 100,000 CITY.
pub const MAX_TREASURY_SPEND: Balance = 100_000 * UNIT;

parameter_types! {
	/// See [`MAX_TREASURY_SPEND`].
	pub const MaxTreasurySpend: Balance = MAX_TREASURY_SPEND;
}

/// Spends from the treasury: root or more than half of the council, up to
/// [`MAX_TREASURY_SPEND`] per spend.
pub type TreasurySpenderOrigin = frame_support::traits::EitherOf<
	EnsureWithSuccess<EnsureRoot<AccountId>, AccountId, MaxTreasurySpend>,
	EnsureWithSuccess<
		pallet_collective::EnsureProportionMoreThan<AccountId, CouncilCollective, 1, 2>,
		AccountId,
		MaxTreasurySpend,
	>,
>;

parameter_types! {
	/// A motion is open for votes for a day; then anyone may close it.
	pub const CouncilMotionDuration: BlockNumber = DAYS;
	/// A motion may dispatch at most half a block's weight.
	pub MaxCouncilProposalWeight: Weight = Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
}

/// The city council: its members vote on motions; a passed motion dispatches its call with the
/// council's origin (a proportion of the members), which the roles above check.
impl pallet_collective::Config<CouncilCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = CouncilMotionDuration;
	/// At most 100 motions open at once.
	type MaxProposals = ConstU32<100>;
	/// At most 32 council members.
	type MaxMembers = ConstU32<32>;
	/// A member who does not vote counts as the prime member voted (or as nay without one).
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	/// Membership is managed through pallet-membership (which calls this pallet), or root.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxCouncilProposalWeight;
	type DisapproveOrigin = CouncilTwoThirds;
	type KillOrigin = CouncilTwoThirds;
	/// Members propose without a deposit: there are at most 32 of them and 100 open motions.
	type Consideration = ();
}

/// The council's membership, changed by two thirds of the council.
impl pallet_membership::Config<pallet_membership::Instance1> for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AddOrigin = CouncilAdminOrigin;
	type RemoveOrigin = CouncilAdminOrigin;
	type SwapOrigin = CouncilAdminOrigin;
	type ResetOrigin = CouncilAdminOrigin;
	type PrimeOrigin = CouncilAdminOrigin;
	type MembershipInitialized = Council;
	type MembershipChanged = Council;
	type MaxMembers = ConstU32<32>;
	type WeightInfo = pallet_membership::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// A multisig operation's deposit: 0.1 CITY plus 0.01 per signatory (refunded when it
	/// executes or is cancelled).
	pub const MultisigDepositBase: Balance = 100 * MILLI_UNIT;
	pub const MultisigDepositFactor: Balance = 10 * MILLI_UNIT;
}

/// A department's shared account: calls dispatched once enough of its signatories approve.
impl pallet_multisig::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type DepositBase = MultisigDepositBase;
	type DepositFactor = MultisigDepositFactor;
	type MaxSignatories = ConstU32<20>;
	type WeightInfo = pallet_multisig::weights::SubstrateWeight<Runtime>;
	type BlockNumberProvider = System;
}

/// What a proxy may do for the account that appointed it.
#[derive(
	Copy,
	Clone,
	Eq,
	PartialEq,
	Ord,
	PartialOrd,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Debug,
	MaxEncodedLen,
	TypeInfo,
	Default,
)]
pub enum ProxyType {
	/// Anything.
	#[default]
	Any,
	/// Anything but moving funds (balances, treasury).
	NonTransfer,
	/// The device registry and sensor attestation only: a gateway acting for a device owner.
	Devices,
	/// The energy market only: a trading bot acting for a prosumer.
	Energy,
	/// Ride settlement only: a fleet operator's dispatcher acting for a driver.
	Rides,
	/// Council, membership, multisig and proxy management only: a member's deputy.
	Governance,
}

impl InstanceFilter<RuntimeCall> for ProxyType {
	fn filter(&self, call: &RuntimeCall) -> bool {
		match self {
			ProxyType::Any => true,
			ProxyType::NonTransfer => !matches!(
				call,
				RuntimeCall::Balances(..) | RuntimeCall::Treasury(..) | RuntimeCall::Sudo(..)
			),
			ProxyType::Devices => {
				matches!(call, RuntimeCall::DeviceRegistry(..) | RuntimeCall::SensorAttestation(..))
			}
			ProxyType::Energy => matches!(call, RuntimeCall::EnergyMarket(..)),
			ProxyType::Rides => matches!(call, RuntimeCall::RideSettlement(..)),
			ProxyType::Governance => {
				matches!(call, RuntimeCall::Council(..) | RuntimeCall::CouncilMembership(..))
			}
		}
	}

	fn is_superset(&self, other: &Self) -> bool {
		match (self, other) {
			(x, y) if x == y => true,
			(ProxyType::Any, _) => true,
			(_, ProxyType::Any) => false,
			(ProxyType::NonTransfer, _) => true,
			_ => false,
		}
	}
}

parameter_types! {
	/// A proxy's deposit: 0.1 CITY plus 0.01 per proxy.
	pub const ProxyDepositBase: Balance = 100 * MILLI_UNIT;
	pub const ProxyDepositFactor: Balance = 10 * MILLI_UNIT;
	pub const AnnouncementDepositBase: Balance = 100 * MILLI_UNIT;
	pub const AnnouncementDepositFactor: Balance = 20 * MILLI_UNIT;
}

/// Proxies: an account lets another act for it within a [`ProxyType`].
impl pallet_proxy::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type ProxyType = ProxyType;
	type ProxyDepositBase = ProxyDepositBase;
	type ProxyDepositFactor = ProxyDepositFactor;
	type MaxProxies = ConstU32<32>;
	type WeightInfo = pallet_proxy::weights::SubstrateWeight<Runtime>;
	type MaxPending = ConstU32<32>;
	type CallHasher = sp_runtime::traits::BlakeTwo256;
	type AnnouncementDepositBase = AnnouncementDepositBase;
	type AnnouncementDepositFactor = AnnouncementDepositFactor;
	type BlockNumberProvider = System;
}

/// Batches (a motion that certifies a whole fleet is one `utility.batchAll`).
impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Scheduled calls may use up to 80% of a block.
	pub MaximumSchedulerWeight: Weight = Perbill::from_percent(80) * RuntimeBlockWeights::get().max_block;
}

/// Calls enacted later: a motion can schedule its call for a later block.
impl pallet_scheduler::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	type ScheduleOrigin = CouncilMajority;
	/// Only equal origins may cancel each other's schedules.
	type OriginPrivilegeCmp = frame_support::traits::EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

parameter_types! {
	/// A preimage's deposit: 1 CITY plus 1 µCITY per byte (a runtime's code, about 1.5 MB,
	/// holds about 2.5 CITY until it is unnoted).
	pub const PreimageBaseDeposit: Balance = UNIT;
	pub const PreimageByteDeposit: Balance = crate::MICRO_UNIT;
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

/// Preimages: large calls (a runtime's code) travel as preimages that motions refer to by hash;
/// whoever notes one holds a deposit for it.
impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = CouncilMajority;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

parameter_types! {
	/// Approved spends are paid out every day.
	pub const TreasurySpendPeriod: BlockNumber = DAYS;
	/// Nothing is burnt: the city's money stays the city's.
	pub const TreasuryBurn: Permill = Permill::zero();
	/// A spend may be claimed for 30 days after it becomes valid.
	pub const TreasuryPayoutPeriod: BlockNumber = 30 * DAYS;
	/// The treasury's pallet id: the same account that receives transaction and city fees.
	pub const TreasuryPalletId: PalletId = CityTreasuryPalletId::get();
}

/// The city treasury (the account every fee goes to): spent only by [`TreasurySpenderOrigin`],
/// every spend visible in its storage and events.
impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = CouncilMajority;
	type RuntimeEvent = RuntimeEvent;
	type SpendPeriod = TreasurySpendPeriod;
	type Burn = TreasuryBurn;
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = ConstU32<100>;
	type SpendOrigin = TreasurySpenderOrigin;
	/// The native currency only.
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = frame_support::traits::tokens::pay::PayFromAccount<
		Balances,
		crate::configs::CityTreasuryAccount,
	>;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = TreasuryPayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type BlockNumberProvider = System;
}

parameter_types! {
	/// A whitelisted call whose dispatch was deferred may be dispatched by anyone for an hour.
	pub const WhitelistDeferredDispatchExpiration: BlockNumber = HOURS;
}

/// Root dispatch of calls the council whitelisted: how a council motion reaches the calls only
/// root may make (`system.authorizeUpgrade`). One motion does both:
/// `utility.batchAll([whitelist.whitelistCall(hash), whitelist.dispatchWhitelistedCallWithPreimage(call)])`.
impl pallet_whitelist::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WhitelistOrigin = UpgradeOrigin;
	type DispatchWhitelistedOrigin = UpgradeOrigin;
	type Preimages = Preimage;
	type DeferredDispatchExpiration = WhitelistDeferredDispatchExpiration;
	type BlockNumberProvider = System;
	type WeightInfo = pallet_whitelist::weights::SubstrateWeight<Runtime>;
}
