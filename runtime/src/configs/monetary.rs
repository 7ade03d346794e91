//! Balances, transaction fees and the city treasury account.

use frame_support::{
	parameter_types,
	traits::{tokens::imbalance::ResolveTo, ConstU128, ConstU32, ConstU8, VariantCountOf},
	weights::IdentityFee,
	PalletId,
};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_runtime::traits::{AccountIdConversion, One};

use crate::{
	AccountId, Balance, Balances, Runtime, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason,
	EXISTENTIAL_DEPOSIT,
};

parameter_types! {
	/// The pallet id from which the city treasury account is derived.
	pub const CityTreasuryPalletId: PalletId = PalletId(*b"city/trs");
	/// The city treasury account: receives transaction fees and the fees of city services
	/// (grid fees, ride fees). Derived, so nobody holds its private key.
	pub CityTreasuryAccount: AccountId = CityTreasuryPalletId::get().into_account_truncating();
	/// A constant fee multiplier: fees are predictable for households and devices.
	pub FeeMultiplier: Multiplier = Multiplier::one();
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
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}
