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
//! reached only through [`UpgradeOrigin`]'s whitelist. **Two thirds of the council is root for
//! any call** (force transfers, storage writes, `utility.dispatchAs`): the whitelist is the
//! door, not a second check. On a small council the thresholds meet (3 of 4, 2 of 3 are both
//! "more than half" and "two thirds"): a city should seat at least five members. Abstentions
//! count as nays ([`AbstentionsAreNays`]); the council keeps at least [`MIN_COUNCIL_MEMBERS`]
//! members and motions stay under [`MAX_MOTION_BYTES`] (the runtime's call filter). To give a role to a department's
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
	/// A member who does not vote counts as nay, prime or not: a motion passes only on the
	/// ayes actually cast (with the prime's default vote, one prime and a day of silence
	/// would be enough for root).
	type DefaultVote = AbstentionsAreNays;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	/// Membership is managed through pallet-membership (which calls this pallet). Root could
	/// set the members here directly, out of step with pallet-membership's list: don't; use
	/// `councilMembership.resetMembers`.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxCouncilProposalWeight;
	type DisapproveOrigin = CouncilTwoThirds;
	type KillOrigin = CouncilTwoThirds;
	/// Members propose without a deposit: there are at most 32 of them and 100 open motions,
	/// and a motion is at most [`MAX_MOTION_BYTES`] long (`CityCallFilter`).
	type Consideration = ();
}

/// Abstentions count as nays (see the council's `DefaultVote`).
pub struct AbstentionsAreNays;
impl pallet_collective::DefaultVote for AbstentionsAreNays {
	fn default_vote(_prime_vote: Option<bool>, _yes_votes: u32, _no_votes: u32, _len: u32) -> bool {
		false
	}
}

/// The longest motion a member may propose (`length_bound` of `council.propose`), in bytes:
/// a fleet's certification (500 calls in a `utility.batchAll`) is about 5 KB; a runtime's code
/// never travels in a motion (`system.authorizeUpgrade` takes its hash). Checked by the
/// runtime's call filter, so 100 open motions hold at most 1.6 MB.
pub const MAX_MOTION_BYTES: u32 = 16 * 1024;

/// The fewest members the council may have: the call filter refuses membership changes that
/// would leave fewer (a council of one or two would make one or two keys root, and an empty
/// one would leave a city network without governance for good).
pub const MIN_COUNCIL_MEMBERS: u32 = 3;

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
	/// What moves no value: validator keys (`session`, `validatorSet`), devices (but not
	/// `transferOwnership`), readings, revoking data-access grants (not granting: consent is
	/// the citizen's own; not anchoring: a holder's log is permanent), council votes and
	/// motions, batches of these, remarks.
	/// Not balances, treasury, multisig, proxies, preimages, the energy market or rides.
	NonTransfer,
	/// A gateway acting for a device owner: sensor attestation, and registering, describing,
	/// suspending and resuming devices; not transferring them, rotating their keys, changing
	/// their operator, revoking or decommissioning them.
	Devices,
	/// The energy market only: a trading bot acting for a prosumer.
	Energy,
	/// A fleet operator's dispatcher acting for a driver: the driver's side of ride settlement
	/// (register, duty, accept, arrive, start with the rider's code, complete, cancel, rate,
	/// leave); not requesting, confirming or disputing rides (the rider's side, which pays).
	Rides,
	/// A council member's deputy: council motions and votes only (not membership, which
	/// would let the deputy take the seat with `changeKey`).
	Governance,
}

impl InstanceFilter<RuntimeCall> for ProxyType {
	fn filter(&self, call: &RuntimeCall) -> bool {
		match self {
			ProxyType::Any => true,
			ProxyType::NonTransfer => match call {
				RuntimeCall::System(call) => matches!(
					call,
					frame_system::Call::remark { .. }
						| frame_system::Call::remark_with_event { .. }
				),
				RuntimeCall::DeviceRegistry(call) => {
					!matches!(call, pallet_device_registry::Call::transfer_ownership { .. })
				}
				// Withdrawing consent, never giving it or anchoring a holder's log.
				RuntimeCall::DataAccess(call) => matches!(
					call,
					pallet_data_access::Call::revoke { .. }
						| pallet_data_access::Call::release_expired { .. }
				),
				RuntimeCall::Session(..)
				| RuntimeCall::ValidatorSet(..)
				| RuntimeCall::SensorAttestation(..)
				| RuntimeCall::Council(..)
				| RuntimeCall::Utility(..) => true,
				_ => false,
			},
			ProxyType::Devices => match call {
				RuntimeCall::SensorAttestation(..) => true,
				RuntimeCall::DeviceRegistry(call) => matches!(
					call,
					pallet_device_registry::Call::register { .. }
						| pallet_device_registry::Call::update_metadata { .. }
						| pallet_device_registry::Call::suspend { .. }
						| pallet_device_registry::Call::resume { .. }
				),
				// Batches of the above (the proxy's filter applies to every call inside).
				RuntimeCall::Utility(..) => true,
				_ => false,
			},
			ProxyType::Energy => {
				matches!(call, RuntimeCall::EnergyMarket(..) | RuntimeCall::Utility(..))
			}
			ProxyType::Rides => match call {
				RuntimeCall::RideSettlement(call) => matches!(
					call,
					pallet_ride_settlement::Call::register_driver { .. }
						| pallet_ride_settlement::Call::set_on_duty { .. }
						| pallet_ride_settlement::Call::leave { .. }
						| pallet_ride_settlement::Call::accept_ride { .. }
						| pallet_ride_settlement::Call::driver_arrived { .. }
						| pallet_ride_settlement::Call::start_ride_with_code { .. }
						| pallet_ride_settlement::Call::complete_ride { .. }
						| pallet_ride_settlement::Call::cancel_ride { .. }
						| pallet_ride_settlement::Call::process_deadline { .. }
						| pallet_ride_settlement::Call::rate { .. }
				),
				RuntimeCall::Utility(..) => true,
				_ => false,
			},
			ProxyType::Governance => {
				matches!(call, RuntimeCall::Council(..) | RuntimeCall::Utility(..))
			}
		}
	}

	fn is_superset(&self, other: &Self) -> bool {
		match (self, other) {
			(x, y) if x == y => true,
			(ProxyType::Any, _) => true,
			(_, ProxyType::Any) => false,
			// What a Devices or Governance proxy may do, a NonTransfer proxy may too.
			(ProxyType::NonTransfer, ProxyType::Devices | ProxyType::Governance) => true,
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
	/// Root only (the council reaches it with two thirds, through the whitelist): a council
	/// origin would be stored with its vote count, and no later council could cancel it.
	type ScheduleOrigin = EnsureRoot<AccountId>;
	/// Only equal origins (root) may cancel each other's schedules.
	type OriginPrivilegeCmp = frame_support::traits::EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

parameter_types! {
	/// A preimage's deposit: 1 CITY plus the city's storage price per byte
	/// ([`crate::configs::city::DEPOSIT_PER_BYTE`], as devices and rides pay), refunded when
	/// it is unnoted. (Runtime upgrades need no preimage: the council authorizes the code's
	/// hash and the code comes with `system.applyAuthorizedUpgrade`.)
	pub const PreimageBaseDeposit: Balance = UNIT;
	pub const PreimageByteDeposit: Balance = crate::configs::city::DEPOSIT_PER_BYTE;
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

/// Preimages: large calls (a runtime's code) travel as preimages that motions refer to by hash;
/// whoever notes one holds a deposit for it.
impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	/// Root only: the manager may unrequest what the whitelist or the scheduler requested.
	type ManagerOrigin = EnsureRoot<AccountId>;
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
	type Paymaster = PayFromTreasuryKeepingAlive;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = TreasuryPayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type BlockNumberProvider = System;
}

/// Pays approved treasury spends from the treasury account without reaping it: a payout that
/// would leave less than the existential deposit fails (`treasury.PayoutError`; the spend can
/// be paid out later) instead of killing the account every fee and city fee is paid into (the
/// energy market's grid fees below the existential deposit could not be paid to a dead one).
pub struct PayFromTreasuryKeepingAlive;
impl frame_support::traits::tokens::Pay for PayFromTreasuryKeepingAlive {
	type Balance = Balance;
	type Beneficiary = AccountId;
	type AssetKind = ();
	type Id = ();
	type Error = sp_runtime::DispatchError;

	fn pay(who: &AccountId, _: (), amount: Balance) -> Result<(), Self::Error> {
		use frame_support::traits::{fungible::Mutate, tokens::Preservation};
		let treasury = crate::configs::CityTreasuryAccount::get();
		<Balances as Mutate<AccountId>>::transfer(&treasury, who, amount, Preservation::Preserve)?;
		Ok(())
	}

	fn check_payment(_: ()) -> frame_support::traits::tokens::PaymentStatus {
		frame_support::traits::tokens::PaymentStatus::Success
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn ensure_successful(_: &AccountId, _: (), amount: Balance) {
		use frame_support::traits::fungible::Mutate;
		let treasury = crate::configs::CityTreasuryAccount::get();
		let keep = crate::EXISTENTIAL_DEPOSIT;
		let _ = <Balances as Mutate<AccountId>>::mint_into(&treasury, amount.saturating_add(keep));
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn ensure_concluded(_: ()) {}
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
