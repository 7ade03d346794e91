//! Balances, transaction fees and the city treasury account.

use frame_support::{
	dispatch::DispatchClass,
	parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU128, ConstU32, ConstU8, VariantCountOf},
	weights::{ConstantMultiplier, IdentityFee},
	PalletId,
};
use pallet_transaction_payment::{
	FungibleAdapter, Multiplier, MultiplierUpdate, TargetedFeeAdjustment,
};
use sp_runtime::{
	traits::{AccountIdConversion, Bounded, Convert, Zero},
	FixedPointNumber, Perquintill,
};

use crate::{
	AccountId, Balance, Balances, Runtime, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason,
	SensorAttestation, EXISTENTIAL_DEPOSIT, MICRO_UNIT,
};

parameter_types! {
	/// The pallet id from which the city treasury account is derived.
	pub const CityTreasuryPalletId: PalletId = PalletId(*b"city/trs");
	/// The city treasury account: receives transaction fees and the fees of city services
	/// (grid fees, ride fees). Derived, so nobody holds its private key.
	pub CityTreasuryAccount: AccountId = CityTreasuryPalletId::get().into_account_truncating();
	/// Fee per byte of a transaction: 1 µCITY (a full block of remarks, 3.75 MiB, costs
	/// about 3.9 CITY in length fees alone).
	pub const TransactionByteFee: Balance = MICRO_UNIT;
	/// The fee multiplier rises when paid transactions fill more than a quarter of a block's
	/// normal capacity, and falls back towards 1 when they fill less (polkadot's rule).
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	/// How fast the multiplier moves: polkadot's value (about +/-30% an hour at the extremes).
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(75, 1_000_000);
	/// Fees never fall below the base fee: predictable for households and devices.
	pub MinimumMultiplier: Multiplier = Multiplier::saturating_from_integer(1);
	/// No cap: under sustained congestion fees rise until demand falls.
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

/// Polkadot's fee adjustment, over paid transactions only.
type PaidFeeAdjustment = TargetedFeeAdjustment<
	Runtime,
	TargetBlockFullness,
	AdjustmentVariable,
	MinimumMultiplier,
	MaximumMultiplier,
>;

/// Fees follow the demand for *paid* block space. Free (bare) readings use up to the governed
/// free share of a block and rank below every paid transaction, so they never congest paid
/// traffic: a flood of them must not raise everyone's fees. This takes the block's free usage
/// out of the weight that polkadot's [`TargetedFeeAdjustment`] sees, for the length of its
/// computation only (the block's weight is put back unchanged).
pub struct PaidTrafficFeeUpdate;
impl Convert<Multiplier, Multiplier> for PaidTrafficFeeUpdate {
	fn convert(previous: Multiplier) -> Multiplier {
		let free = SensorAttestation::free_usage().weight;
		if free.is_zero() {
			return PaidFeeAdjustment::convert(previous);
		}
		let block_weight = frame_system::BlockWeight::<Runtime>::get();
		let mut paid_weight = block_weight.clone();
		paid_weight.reduce(free, DispatchClass::Normal);
		frame_system::BlockWeight::<Runtime>::put(paid_weight);
		let next = PaidFeeAdjustment::convert(previous);
		frame_system::BlockWeight::<Runtime>::put(block_weight);
		next
	}
}
impl MultiplierUpdate for PaidTrafficFeeUpdate {
	fn min() -> Multiplier {
		PaidFeeAdjustment::min()
	}
	fn max() -> Multiplier {
		PaidFeeAdjustment::max()
	}
	fn target() -> Perquintill {
		PaidFeeAdjustment::target()
	}
	fn variability() -> Multiplier {
		PaidFeeAdjustment::variability()
	}
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = frame_system::Pallet<Runtime>;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// Fees are paid into the city treasury instead of being burnt.
	type OnChargeTransaction = FungibleAdapter<Balances, ResolveTo<CityTreasuryAccount, Balances>>;
	type OperationalFeeMultiplier = ConstU8<5>;
	/// One planck per picosecond of weight: a transfer's weight costs about 0.0002 CITY.
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = PaidTrafficFeeUpdate;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}
