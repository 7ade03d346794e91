//! # Civic credits
//!
//! A small community currency that stays in the city (Hullcoin, Bristol Pound, Sarafu;
//! Moveco and DIMO for data-sharing rewards):
//!
//! - **Issuers** (agencies, non-profits) approved by the city issue credits to citizens for a
//!   recorded deed (a code of the city's deed list, with a hash of the evidence), within a quota
//!   per period and only for the deeds the city allows them; every issue is an event and is
//!   counted per issuer and deed, so an agency sees the good it funded.
//! - **Merchants** approved by the city (advertising a discount) are the only place citizens
//!   can spend credits (`spend`); a merchant may refund a citizen; merchants `redeem` credits
//!   (burned; the city settles the redemption off chain). There is no citizen-to-citizen
//!   transfer.
//! - **Expiry**: credits a citizen holds are kept in lots by expiry (at most `MaxLots` per
//!   account: lots are rounded up to `LotBlocks` boundaries and the expiry is bounded, so no
//!   account ever needs more); spending takes the soonest-expiring first; expired credits are
//!   burned (counted as expired), never returned to an issuer's quota.
//! - **Data-sharing rewards**: each reward period the city funds a pool; a device enrolled by
//!   its owner with a live consent grant to the city's data holder (the data-access pallet,
//!   through [`city_primitives::ConsentLookup`]) earns a point per attested reading, capped per
//!   device and period, counted as readings arrive (a per-period total, no loop over devices);
//!   after the period each owner claims `pool x points / total points` (rounded down: the pool
//!   is never overspent, the remainder is never minted).
//!
//! The currency is this pallet's own balance (not `pallet-assets`): expiry lots, merchant-only
//! spending, quotas and reasons per issue are its rules, and a separate ledger keeps credits
//! out of the CITY balances that pay fees and deposits. See the README for the choices and the
//! conservation rule: credits issued and rewarded = credits held by citizens and merchants +
//! redeemed + expired.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod runtime_api;
pub mod weights;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::BoundedVec;
use scale_info::TypeInfo;

/// A deed category's code (volunteering, care, clean-up, ...).
pub type DeedCode = u16;
/// A reward period's number: block number / `reward_period_blocks`.
pub type PeriodIndex = u32;

/// The governed parameters.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Params {
	/// Credits expire this many blocks after they reach a citizen (rounded up to a lot
	/// boundary).
	pub expiry_blocks: u32,
	/// An issuer's quota period, blocks.
	pub quota_period_blocks: u32,
	/// A data-sharing reward period, blocks.
	pub reward_period_blocks: u32,
	/// Most points one device earns in a reward period.
	pub points_cap_per_device: u32,
	/// The data holder (data-access id) a device owner's consent grant must name.
	pub consent_holder: u32,
	/// The data category the consent grant must be for.
	pub consent_category: u16,
}

/// Credits a citizen holds that expire together.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct Lot<Balance> {
	/// The block from which they are expired.
	pub expires_at: u32,
	/// How many.
	pub amount: Balance,
}

/// A word of the deed list.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Deed<Name> {
	/// Its name (UTF-8).
	pub name: Name,
	/// Retired: no new issue for it (the record of what was issued stays).
	pub retired: bool,
}

/// An approved issuer.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Issuer<Name, Balance, Deeds> {
	/// The agency's name (UTF-8).
	pub name: Name,
	/// Most credits it may issue per quota period.
	pub quota: Balance,
	/// The deeds it may reward.
	pub deeds: Deeds,
	/// May issue.
	pub active: bool,
	/// The quota period `issued_in_period` counts.
	pub period: PeriodIndex,
	/// Issued in that period.
	pub issued_in_period: Balance,
	/// Issued ever.
	pub issued_total: Balance,
}

/// An approved merchant.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Merchant<Name, Balance> {
	/// The shop's name (UTF-8).
	pub name: Name,
	/// The discount it advertises to credit payers, basis points.
	pub discount_bps: u16,
	/// May take credits (a deactivated merchant may still refund and redeem).
	pub active: bool,
	/// Credits it holds (taken from citizens, not yet redeemed or refunded); they do not expire.
	pub balance: Balance,
	/// Taken from citizens, ever.
	pub received_total: Balance,
	/// Redeemed, ever.
	pub redeemed_total: Balance,
}

/// What happened to all credits, ever.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
)]
pub struct CreditStats<Balance> {
	/// Issued by issuers for deeds.
	pub issued: Balance,
	/// Paid out as data-sharing rewards.
	pub rewarded: Balance,
	/// Spent by citizens at merchants.
	pub spent: Balance,
	/// Refunded by merchants to citizens.
	pub refunded: Balance,
	/// Redeemed (burned) by merchants.
	pub redeemed: Balance,
	/// Expired (burned) in citizens' hands.
	pub expired: Balance,
}

/// What was issued for one deed: how many issues, how many credits.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
)]
pub struct DeedTally<Balance> {
	/// Issues.
	pub count: u32,
	/// Credits.
	pub amount: Balance,
}

/// A device enrolled for data-sharing rewards.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Enrollment<AccountId, Balance> {
	/// Its owner, who earns the points.
	pub owner: AccountId,
	/// The owner's consent grant (data access) the points depend on.
	pub grant: u64,
	/// The CITY deposit held for the enrollment's storage.
	pub deposit: Balance,
}

/// A reward period's pool.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
)]
pub struct RewardPool<Balance> {
	/// Credits the city put in it.
	pub funded: Balance,
	/// Points earned in the period, by all devices.
	pub points: u64,
	/// Credits claimed from it so far (never above `funded`).
	pub claimed: Balance,
}

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A registered, active device owned by `owner`.
	fn device(owner: &AccountId) -> city_primitives::DeviceId;
	/// A consent grant of `citizen` covering `device`, live now: (holder, category, grant).
	fn consent(citizen: &AccountId, device: city_primitives::DeviceId) -> (u32, u16, u64);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use city_primitives::{ConsentLookup, DeviceId, DeviceLookup};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, Mutate, MutateHold},
			tokens::{Balance as BalanceT, Precision},
			UnixTime,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_core::H256;
	use sp_runtime::{
		helpers_128bit::multiply_by_rational_with_rounding,
		traits::{CheckedAdd, CheckedSub, SaturatedConversion, Saturating, Zero},
		Rounding,
	};

	/// The CITY balance deposits are held in.
	pub type DepositOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A name (of a deed, an issuer, a merchant).
	pub type NameOf<T> = BoundedVec<u8, <T as Config>::MaxNameLen>;
	/// The deeds an issuer may reward.
	pub type DeedsOf<T> = BoundedVec<DeedCode, <T as Config>::MaxDeedsPerIssuer>;
	/// An issuer as stored.
	pub type IssuerOf<T> = Issuer<NameOf<T>, <T as Config>::Credits, DeedsOf<T>>;
	/// A merchant as stored.
	pub type MerchantOf<T> = Merchant<NameOf<T>, <T as Config>::Credits>;
	/// A citizen's lots.
	pub type LotsOf<T> = BoundedVec<Lot<<T as Config>::Credits>, <T as Config>::MaxLots>;
	/// An enrollment as stored.
	pub type EnrollmentOf<T> = Enrollment<<T as frame_system::Config>::AccountId, DepositOf<T>>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of civic credits.
	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The credit amount type (12 decimals in the runtime, like CITY, but a separate ledger).
		type Credits: BalanceT + MaxEncodedLen + From<u64> + Into<u128> + TryFrom<u128>;

		/// The CITY currency that enrollment deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>
			+ InspectHold<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The device registry: who owns an enrolled device.
		type Devices: DeviceLookup<Self::AccountId>;

		/// Citizens' consent grants (data access).
		type Consent: ConsentLookup<Self::AccountId>;

		/// The chain's time (consent grants' windows are in Unix ms).
		type UnixTime: UnixTime;

		/// Keeps the deed list, approves issuers and merchants, sets the parameters.
		type CityOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Funds the data-sharing reward pools, up to the amount it yields per call.
		type RewardsOrigin: EnsureOrigin<Self::RuntimeOrigin, Success = Self::Credits>;

		/// The CITY deposit an enrollment holds (its record and its points records).
		#[pallet::constant]
		type EnrollDeposit: Get<DepositOf<Self>>;

		/// Lots expire on multiples of this many blocks (credits reaching a citizen in the same
		/// stretch share a lot).
		#[pallet::constant]
		type LotBlocks: Get<u32>;

		/// Most lots per citizen: the longest expiry is `(MaxLots - 1) x LotBlocks` blocks.
		#[pallet::constant]
		type MaxLots: Get<u32>;

		/// The smallest issue, refund or spend (so that a quota cannot scatter dust lots over
		/// many accounts).
		#[pallet::constant]
		type MinAmount: Get<Self::Credits>;

		/// Longest name, bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// Most deeds in the list.
		#[pallet::constant]
		type MaxDeeds: Get<u32>;

		/// Most deeds one issuer may reward.
		#[pallet::constant]
		type MaxDeedsPerIssuer: Get<u32>;

		/// Reward periods during which a period's points may be claimed after it ends; after
		/// that anyone may remove unclaimed points.
		#[pallet::constant]
		type ClaimPeriods: Get<u32>;

		/// Weights of the calls (from the benchmarks).
		type WeightInfo: WeightInfo;

		/// Devices and consents for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds CITY.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A device's enrollment for data-sharing rewards.
		#[codec(index = 0)]
		EnrollDeposit,
	}

	/// The governed parameters (`None` until set: no expiry, quotas or rewards can run).
	#[pallet::storage]
	pub type Parameters<T: Config> = StorageValue<_, Params>;

	/// The deed list, by code.
	#[pallet::storage]
	pub type Deeds<T: Config> = StorageMap<_, Twox64Concat, DeedCode, Deed<NameOf<T>>>;

	/// How many deeds the list has (retired ones count).
	#[pallet::storage]
	pub type DeedCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Approved issuers, by account.
	#[pallet::storage]
	pub type Issuers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, IssuerOf<T>>;

	/// What each issuer issued for each deed.
	#[pallet::storage]
	pub type IssuedBy<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		DeedCode,
		DeedTally<T::Credits>,
		ValueQuery,
	>;

	/// What was issued for each deed, by all issuers.
	#[pallet::storage]
	pub type IssuedForDeed<T: Config> =
		StorageMap<_, Twox64Concat, DeedCode, DeedTally<T::Credits>, ValueQuery>;

	/// Approved merchants, by account.
	#[pallet::storage]
	pub type Merchants<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, MerchantOf<T>>;

	/// Citizens' credits, in lots by expiry (soonest first).
	#[pallet::storage]
	pub type Lots<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, LotsOf<T>, ValueQuery>;

	/// The totals.
	#[pallet::storage]
	pub type Stats<T: Config> = StorageValue<_, CreditStats<T::Credits>, ValueQuery>;

	/// Devices enrolled for data-sharing rewards.
	#[pallet::storage]
	pub type Enrolled<T: Config> = StorageMap<_, Twox64Concat, DeviceId, EnrollmentOf<T>>;

	/// A device's points in its latest reward period: (period, points).
	#[pallet::storage]
	pub type DevicePoints<T: Config> =
		StorageMap<_, Twox64Concat, DeviceId, (PeriodIndex, u32), ValueQuery>;

	/// An owner's unclaimed points, in `ClaimPeriods + 2` slots (period modulo the slot count):
	/// slot -> (period, points). A period's slot is reused only after its claim window, so an
	/// owner never keeps more than that many records.
	#[pallet::storage]
	pub type OwnerPoints<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		u32,
		(PeriodIndex, u64),
		ValueQuery,
	>;

	/// What a merchant may still refund a citizen: (credits the citizen spent there and were
	/// not refunded, the soonest expiry among them). A refund gives them back with that expiry,
	/// so spending and refunding cannot move credits between citizens nor renew them.
	#[pallet::storage]
	pub type Refundable<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		(T::Credits, u32),
		ValueQuery,
	>;

	/// Reward pools, by period.
	#[pallet::storage]
	pub type RewardPools<T: Config> =
		StorageMap<_, Twox64Concat, PeriodIndex, RewardPool<T::Credits>, ValueQuery>;

	/// The deed list and parameters a chain starts with.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// (code, name) of every deed.
		pub deeds: Vec<(DeedCode, Vec<u8>)>,
		/// The parameters.
		pub params: Option<Params>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (code, name) in &self.deeds {
				let name: NameOf<T> =
					name.clone().try_into().expect("genesis: a deed's name is too long");
				assert!(
					Pallet::<T>::do_add_deed(*code, name).is_ok(),
					"genesis: too many deeds, or a code twice"
				);
			}
			if let Some(params) = self.params {
				assert!(
					Pallet::<T>::check_params(&params).is_ok(),
					"genesis: civic credit parameters out of range"
				);
				Parameters::<T>::put(params);
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxLots::get() >= 2, "MaxLots must be at least 2");
			assert!(T::LotBlocks::get() > 0, "LotBlocks must be positive");
			assert!(T::MaxDeedsPerIssuer::get() > 0, "MaxDeedsPerIssuer must be positive");
		}
	}

	/// Events.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A deed was added to the list.
		DeedAdded { code: DeedCode },
		/// A deed was retired.
		DeedRetired { code: DeedCode },
		/// The parameters changed.
		ParamsSet { params: Params },
		/// An issuer was approved or updated.
		IssuerSet { issuer: T::AccountId, quota: T::Credits, active: bool },
		/// A merchant was approved or updated.
		MerchantSet { merchant: T::AccountId, discount_bps: u16, active: bool },
		/// An issuer issued credits to a citizen for a deed.
		Issued {
			issuer: T::AccountId,
			to: T::AccountId,
			amount: T::Credits,
			deed: DeedCode,
			evidence: H256,
			expires_at: u32,
		},
		/// A citizen spent credits at a merchant.
		Spent { citizen: T::AccountId, merchant: T::AccountId, amount: T::Credits },
		/// A merchant refunded credits to a citizen.
		Refunded { merchant: T::AccountId, citizen: T::AccountId, amount: T::Credits },
		/// A merchant redeemed credits (burned; the city settles off chain).
		Redeemed { merchant: T::AccountId, amount: T::Credits },
		/// A citizen's credits expired (burned).
		Expired { citizen: T::AccountId, amount: T::Credits },
		/// A device was enrolled for data-sharing rewards.
		Enrolled { device: DeviceId, owner: T::AccountId, grant: u64 },
		/// A device's enrollment ended.
		Unenrolled { device: DeviceId },
		/// The city funded a reward period's pool.
		RewardsFunded { period: PeriodIndex, amount: T::Credits },
		/// An owner claimed a period's reward.
		RewardClaimed { period: PeriodIndex, owner: T::AccountId, points: u64, amount: T::Credits },
		/// Unclaimed points of an ended claim window were removed.
		PointsForgotten { period: PeriodIndex, owner: T::AccountId, points: u64 },
	}

	/// Errors.
	#[pallet::error]
	pub enum Error<T> {
		/// A parameter is zero, or the expiry is longer than the lots allow.
		BadParams,
		/// The parameters are not set yet.
		NoParams,
		/// A deed with that code exists (codes are permanent).
		DeedExists,
		/// The deed list is full.
		TooManyDeeds,
		/// No deed has that code.
		UnknownDeed,
		/// The deed is retired.
		DeedRetired,
		/// The account is not an issuer.
		NotIssuer,
		/// The issuer is deactivated.
		IssuerInactive,
		/// The issuer may not reward that deed.
		DeedNotAllowed,
		/// The issue is above what is left of the issuer's quota this period.
		QuotaExceeded,
		/// The amount is below the minimum.
		BelowMinimum,
		/// The account is not a merchant.
		NotMerchant,
		/// The merchant takes no credits (deactivated).
		MerchantInactive,
		/// Not enough unexpired credits.
		InsufficientCredits,
		/// The merchant holds fewer credits than that.
		InsufficientMerchantBalance,
		/// The citizen already holds `MaxLots` lots (cannot happen within the parameters'
		/// bounds; kept as an error rather than a panic).
		TooManyLots,
		/// A discount above 100 %.
		BadDiscount,
		/// An arithmetic overflow.
		Overflow,
		/// The device is not registered.
		UnknownDevice,
		/// Only the device's owner may enroll it.
		NotDeviceOwner,
		/// The device is not active.
		DeviceInactive,
		/// The grant is not the owner's live consent to the city's data holder for the
		/// category, covering the device.
		NoConsent,
		/// The device is enrolled already.
		AlreadyEnrolled,
		/// The device is not enrolled.
		NotEnrolled,
		/// Only the owner may end an enrollment that could still earn.
		NotEnrollmentOwner,
		/// The enrollment deposit could not be held.
		CannotHoldDeposit,
		/// The period is over: only the current period or a later one can be funded.
		PeriodPast,
		/// The period has not ended yet.
		PeriodNotEnded,
		/// Nothing to claim (no points, or claimed already).
		NothingToClaim,
		/// The claim window of the period is over.
		ClaimWindowOver,
		/// The claim window of the period is still open.
		ClaimWindowOpen,
		/// A citizen cannot be their own merchant.
		SelfPayment,
		/// Only devices the registrar certified earn data-sharing points.
		DeviceNotCertified,
		/// The merchant may refund the citizen at most what the citizen spent there.
		NotRefundable,
		/// The credits to refund have expired.
		RefundExpired,
		/// The reward and quota periods cannot change once set (their numbering would).
		PeriodsFixed,
		/// Issuers and merchants do not receive issued credits.
		RecipientNotCitizen,
		/// An account is an issuer or a merchant, not both.
		DualRole,
		/// Above what the rewards origin may fund at once.
		FundingTooLarge,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Adds a deed to the list under a new, permanent code.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_deed())]
		pub fn add_deed(origin: OriginFor<T>, code: DeedCode, name: NameOf<T>) -> DispatchResult {
			T::CityOrigin::ensure_origin(origin)?;
			Self::do_add_deed(code, name)
		}

		/// Retires a deed: no new issue rewards it.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::retire_deed())]
		pub fn retire_deed(origin: OriginFor<T>, code: DeedCode) -> DispatchResult {
			T::CityOrigin::ensure_origin(origin)?;
			Deeds::<T>::try_mutate(code, |deed| -> DispatchResult {
				let deed = deed.as_mut().ok_or(Error::<T>::UnknownDeed)?;
				ensure!(!deed.retired, Error::<T>::DeedRetired);
				deed.retired = true;
				Ok(())
			})?;
			Self::deposit_event(Event::DeedRetired { code });
			Ok(())
		}

		/// Sets the parameters (expiry, the points cap, which consent grants count; the quota
		/// and reward periods only the first time: changing their lengths would renumber them).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: Params) -> DispatchResult {
			T::CityOrigin::ensure_origin(origin)?;
			Self::check_params(&params)?;
			if let Some(old) = Parameters::<T>::get() {
				ensure!(
					old.reward_period_blocks == params.reward_period_blocks
						&& old.quota_period_blocks == params.quota_period_blocks,
					Error::<T>::PeriodsFixed
				);
			}
			Parameters::<T>::put(params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}

		/// Approves an issuer, or updates one (name, quota per period, allowed deeds, active).
		/// What it issued stays counted.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_issuer())]
		pub fn set_issuer(
			origin: OriginFor<T>,
			issuer: T::AccountId,
			name: NameOf<T>,
			quota: T::Credits,
			deeds: DeedsOf<T>,
			active: bool,
		) -> DispatchResult {
			T::CityOrigin::ensure_origin(origin)?;
			Self::do_set_issuer(issuer, name, quota, deeds, active)
		}

		/// Approves a merchant, or updates one (name, advertised discount, active).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_merchant())]
		pub fn set_merchant(
			origin: OriginFor<T>,
			merchant: T::AccountId,
			name: NameOf<T>,
			discount_bps: u16,
			active: bool,
		) -> DispatchResult {
			T::CityOrigin::ensure_origin(origin)?;
			Self::do_set_merchant(merchant, name, discount_bps, active)
		}

		/// An issuer issues `amount` credits to `to` for `deed`, with a hash of the evidence
		/// (kept off chain); within the issuer's quota for the current period.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::issue())]
		pub fn issue(
			origin: OriginFor<T>,
			to: T::AccountId,
			amount: T::Credits,
			deed: DeedCode,
			evidence: H256,
		) -> DispatchResult {
			let issuer = ensure_signed(origin)?;
			Self::do_issue(issuer, to, amount, deed, evidence)
		}

		/// A citizen pays `amount` credits to a merchant (soonest-expiring first).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::spend())]
		pub fn spend(
			origin: OriginFor<T>,
			merchant: T::AccountId,
			amount: T::Credits,
		) -> DispatchResult {
			let citizen = ensure_signed(origin)?;
			Self::do_spend(citizen, merchant, amount)
		}

		/// A merchant refunds `amount` credits to a citizen, at most what the citizen spent there
		/// and was not refunded; they expire when the soonest of the spent credits did.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::refund())]
		pub fn refund(
			origin: OriginFor<T>,
			citizen: T::AccountId,
			amount: T::Credits,
		) -> DispatchResult {
			let merchant = ensure_signed(origin)?;
			Self::do_refund(merchant, citizen, amount)
		}

		/// A merchant redeems `amount` of the credits it holds: they are burned, and the city
		/// settles the redemption off chain (the event is the record).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::redeem())]
		pub fn redeem(origin: OriginFor<T>, amount: T::Credits) -> DispatchResult {
			let merchant = ensure_signed(origin)?;
			Self::do_redeem(merchant, amount)
		}

		/// Burns `citizen`'s expired lots (anyone may call; spending and receiving do it too).
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::expire())]
		pub fn expire(origin: OriginFor<T>, citizen: T::AccountId) -> DispatchResult {
			ensure_signed(origin)?;
			let mut lots = Lots::<T>::get(&citizen);
			Self::prune_expired(&citizen, &mut lots);
			Self::store_lots(&citizen, lots);
			Ok(())
		}

		/// The owner enrolls `device` for data-sharing rewards, citing their consent `grant`
		/// to the city's data holder for the parameters' category; holds the enrollment
		/// deposit.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::enroll())]
		pub fn enroll(origin: OriginFor<T>, device: DeviceId, grant: u64) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_enroll(owner, device, grant)
		}

		/// Ends `device`'s enrollment and returns its deposit to the enrolling owner: by the
		/// owner at any time, by anyone once the device changed hands, left service or its
		/// consent is no longer live.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::unenroll())]
		pub fn unenroll(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unenroll(who, device)
		}

		/// Adds `amount` credits to the reward pool of `period` (the current one or a later
		/// one).
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::fund_rewards())]
		pub fn fund_rewards(
			origin: OriginFor<T>,
			period: PeriodIndex,
			amount: T::Credits,
		) -> DispatchResult {
			let most = T::RewardsOrigin::ensure_origin(origin)?;
			ensure!(amount <= most, Error::<T>::FundingTooLarge);
			Self::do_fund(period, amount)
		}

		/// The owner claims their share of an ended period's pool: pool x their points / all
		/// points, rounded down.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::claim_reward())]
		pub fn claim_reward(origin: OriginFor<T>, period: PeriodIndex) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_claim(owner, period)
		}

		/// Removes `owner`'s unclaimed points of `period` once its claim window is over
		/// (anyone may call: it frees storage).
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::forget_points())]
		pub fn forget_points(
			origin: OriginFor<T>,
			period: PeriodIndex,
			owner: T::AccountId,
		) -> DispatchResult {
			ensure_signed(origin)?;
			let params = Parameters::<T>::get().ok_or(Error::<T>::NoParams)?;
			let current = Self::period_of(Self::now(), params.reward_period_blocks);
			ensure!(
				period.saturating_add(T::ClaimPeriods::get()) < current,
				Error::<T>::ClaimWindowOpen
			);
			let points = Self::points_of(&owner, period);
			ensure!(points > 0, Error::<T>::NothingToClaim);
			OwnerPoints::<T>::remove(&owner, Self::slot_of(period));
			Self::deposit_event(Event::PointsForgotten { period, owner, points });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The current block number.
		pub fn now() -> u32 {
			frame_system::Pallet::<T>::block_number().saturated_into::<u32>()
		}

		/// The period (of `length` blocks) block `block` is in.
		pub fn period_of(block: u32, length: u32) -> PeriodIndex {
			block.checked_div(length).unwrap_or(0)
		}

		pub(crate) fn check_params(params: &Params) -> DispatchResult {
			ensure!(
				params.expiry_blocks > 0
					&& params.quota_period_blocks > 0
					&& params.reward_period_blocks > 0
					&& params.points_cap_per_device > 0,
				Error::<T>::BadParams
			);
			// An expiry of e blocks, rounded up to lot boundaries, spans at most
			// e / LotBlocks + 2 lots (the current stretch and the last one included).
			let lots_needed = (params.expiry_blocks / T::LotBlocks::get().max(1)).saturating_add(2);
			ensure!(lots_needed <= T::MaxLots::get(), Error::<T>::BadParams);
			Ok(())
		}

		pub(crate) fn do_add_deed(code: DeedCode, name: NameOf<T>) -> DispatchResult {
			ensure!(!Deeds::<T>::contains_key(code), Error::<T>::DeedExists);
			let count = DeedCount::<T>::get();
			ensure!(count < T::MaxDeeds::get(), Error::<T>::TooManyDeeds);
			Deeds::<T>::insert(code, Deed { name, retired: false });
			DeedCount::<T>::put(count.saturating_add(1));
			Self::deposit_event(Event::DeedAdded { code });
			Ok(())
		}

		pub(crate) fn do_set_issuer(
			account: T::AccountId,
			name: NameOf<T>,
			quota: T::Credits,
			deeds: DeedsOf<T>,
			active: bool,
		) -> DispatchResult {
			ensure!(!Merchants::<T>::contains_key(&account), Error::<T>::DualRole);
			for deed in deeds.iter() {
				ensure!(Deeds::<T>::contains_key(deed), Error::<T>::UnknownDeed);
			}
			let record = match Issuers::<T>::get(&account) {
				Some(old) => Issuer { name, quota, deeds, active, ..old },
				None => Issuer {
					name,
					quota,
					deeds,
					active,
					period: 0,
					issued_in_period: Zero::zero(),
					issued_total: Zero::zero(),
				},
			};
			Issuers::<T>::insert(&account, record);
			Self::deposit_event(Event::IssuerSet { issuer: account, quota, active });
			Ok(())
		}

		pub(crate) fn do_set_merchant(
			account: T::AccountId,
			name: NameOf<T>,
			discount_bps: u16,
			active: bool,
		) -> DispatchResult {
			ensure!(discount_bps <= 10_000, Error::<T>::BadDiscount);
			ensure!(!Issuers::<T>::contains_key(&account), Error::<T>::DualRole);
			let record = match Merchants::<T>::get(&account) {
				Some(old) => Merchant { name, discount_bps, active, ..old },
				None => Merchant {
					name,
					discount_bps,
					active,
					balance: Zero::zero(),
					received_total: Zero::zero(),
					redeemed_total: Zero::zero(),
				},
			};
			Merchants::<T>::insert(&account, record);
			Self::deposit_event(Event::MerchantSet { merchant: account, discount_bps, active });
			Ok(())
		}

		/// The block from which credits reaching a citizen now are expired: `expiry_blocks`
		/// ahead, rounded up to a lot boundary.
		pub(crate) fn expiry_from_now(params: &Params) -> u32 {
			let lot = T::LotBlocks::get().max(1);
			let raw = Self::now().saturating_add(params.expiry_blocks);
			raw.div_ceil(lot).saturating_mul(lot)
		}

		/// Burns the expired lots of `lots` (soonest first), counting them.
		fn prune_expired(citizen: &T::AccountId, lots: &mut LotsOf<T>) {
			let now = Self::now();
			let mut expired = T::Credits::zero();
			lots.retain(|lot| {
				let live = lot.expires_at > now;
				if !live {
					expired = expired.saturating_add(lot.amount);
				}
				live
			});
			if !expired.is_zero() {
				Stats::<T>::mutate(|s| s.expired = s.expired.saturating_add(expired));
				Self::deposit_event(Event::Expired { citizen: citizen.clone(), amount: expired });
			}
		}

		fn store_lots(citizen: &T::AccountId, lots: LotsOf<T>) {
			if lots.is_empty() {
				Lots::<T>::remove(citizen);
			} else {
				Lots::<T>::insert(citizen, lots);
			}
		}

		/// Adds `amount` to `citizen`'s lot expiring at `expires_at` (kept in expiry order).
		fn credit(citizen: &T::AccountId, amount: T::Credits, expires_at: u32) -> DispatchResult {
			let mut lots = Lots::<T>::get(citizen);
			Self::prune_expired(citizen, &mut lots);
			match lots.iter().position(|lot| lot.expires_at >= expires_at) {
				Some(i) if lots.get(i).is_some_and(|lot| lot.expires_at == expires_at) => {
					let lot = lots.get_mut(i).ok_or(Error::<T>::Overflow)?;
					lot.amount = lot.amount.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
				}
				Some(i) => lots
					.try_insert(i, Lot { expires_at, amount })
					.map_err(|_| Error::<T>::TooManyLots)?,
				None => lots
					.try_push(Lot { expires_at, amount })
					.map_err(|_| Error::<T>::TooManyLots)?,
			}
			Self::store_lots(citizen, lots);
			Ok(())
		}

		fn do_issue(
			issuer: T::AccountId,
			to: T::AccountId,
			amount: T::Credits,
			deed: DeedCode,
			evidence: H256,
		) -> DispatchResult {
			let params = Parameters::<T>::get().ok_or(Error::<T>::NoParams)?;
			ensure!(amount >= T::MinAmount::get(), Error::<T>::BelowMinimum);
			let mut record = Issuers::<T>::get(&issuer).ok_or(Error::<T>::NotIssuer)?;
			ensure!(record.active, Error::<T>::IssuerInactive);
			ensure!(
				!Issuers::<T>::contains_key(&to) && !Merchants::<T>::contains_key(&to),
				Error::<T>::RecipientNotCitizen
			);
			ensure!(record.deeds.contains(&deed), Error::<T>::DeedNotAllowed);
			let word = Deeds::<T>::get(deed).ok_or(Error::<T>::UnknownDeed)?;
			ensure!(!word.retired, Error::<T>::DeedRetired);
			let period = Self::period_of(Self::now(), params.quota_period_blocks);
			if record.period != period {
				record.period = period;
				record.issued_in_period = Zero::zero();
			}
			let issued =
				record.issued_in_period.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
			ensure!(issued <= record.quota, Error::<T>::QuotaExceeded);
			record.issued_in_period = issued;
			record.issued_total = record.issued_total.saturating_add(amount);
			let expires_at = Self::expiry_from_now(&params);
			Self::credit(&to, amount, expires_at)?;
			Issuers::<T>::insert(&issuer, record);
			let tally = |t: &mut DeedTally<T::Credits>| {
				t.count = t.count.saturating_add(1);
				t.amount = t.amount.saturating_add(amount);
			};
			IssuedBy::<T>::mutate(&issuer, deed, |t| tally(t));
			IssuedForDeed::<T>::mutate(deed, |t| tally(t));
			Stats::<T>::mutate(|s| s.issued = s.issued.saturating_add(amount));
			Self::deposit_event(Event::Issued { issuer, to, amount, deed, evidence, expires_at });
			Ok(())
		}

		fn do_spend(
			citizen: T::AccountId,
			merchant: T::AccountId,
			amount: T::Credits,
		) -> DispatchResult {
			ensure!(citizen != merchant, Error::<T>::SelfPayment);
			ensure!(!amount.is_zero(), Error::<T>::BelowMinimum);
			let mut shop = Merchants::<T>::get(&merchant).ok_or(Error::<T>::NotMerchant)?;
			ensure!(shop.active, Error::<T>::MerchantInactive);
			let mut lots = Lots::<T>::get(&citizen);
			// Expired lots are burned first, even if the payment then fails for want of
			// credits (a failed call reverts that too: the expiry is applied by the next
			// successful touch).
			Self::prune_expired(&citizen, &mut lots);
			let held =
				lots.iter().fold(T::Credits::zero(), |sum, lot| sum.saturating_add(lot.amount));
			ensure!(held >= amount, Error::<T>::InsufficientCredits);
			// Below the minimum only to spend what is left (a small reward, say).
			ensure!(amount >= T::MinAmount::get() || amount == held, Error::<T>::BelowMinimum);
			let soonest = lots.first().map_or(u32::MAX, |lot| lot.expires_at);
			let mut due = amount;
			for lot in lots.iter_mut() {
				let take = due.min(lot.amount);
				lot.amount = lot.amount.saturating_sub(take);
				due = due.saturating_sub(take);
				if due.is_zero() {
					break;
				}
			}
			lots.retain(|lot| !lot.amount.is_zero());
			shop.balance = shop.balance.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
			shop.received_total = shop.received_total.saturating_add(amount);
			Self::store_lots(&citizen, lots);
			Merchants::<T>::insert(&merchant, shop);
			Refundable::<T>::mutate(&merchant, &citizen, |(open, expiry)| {
				*expiry = if open.is_zero() { soonest } else { (*expiry).min(soonest) };
				*open = open.saturating_add(amount);
			});
			Stats::<T>::mutate(|s| s.spent = s.spent.saturating_add(amount));
			Self::deposit_event(Event::Spent { citizen, merchant, amount });
			Ok(())
		}

		fn do_refund(
			merchant: T::AccountId,
			citizen: T::AccountId,
			amount: T::Credits,
		) -> DispatchResult {
			ensure!(merchant != citizen, Error::<T>::SelfPayment);
			ensure!(!amount.is_zero(), Error::<T>::BelowMinimum);
			let mut shop = Merchants::<T>::get(&merchant).ok_or(Error::<T>::NotMerchant)?;
			let (open, expires_at) = Refundable::<T>::get(&merchant, &citizen);
			let left = open.checked_sub(&amount).ok_or(Error::<T>::NotRefundable)?;
			ensure!(expires_at > Self::now(), Error::<T>::RefundExpired);
			shop.balance =
				shop.balance.checked_sub(&amount).ok_or(Error::<T>::InsufficientMerchantBalance)?;
			Self::credit(&citizen, amount, expires_at)?;
			Merchants::<T>::insert(&merchant, shop);
			if left.is_zero() {
				Refundable::<T>::remove(&merchant, &citizen);
			} else {
				Refundable::<T>::insert(&merchant, &citizen, (left, expires_at));
			}
			Stats::<T>::mutate(|s| s.refunded = s.refunded.saturating_add(amount));
			Self::deposit_event(Event::Refunded { merchant, citizen, amount });
			Ok(())
		}

		fn do_redeem(merchant: T::AccountId, amount: T::Credits) -> DispatchResult {
			ensure!(!amount.is_zero(), Error::<T>::BelowMinimum);
			Merchants::<T>::try_mutate(&merchant, |shop| -> DispatchResult {
				let shop = shop.as_mut().ok_or(Error::<T>::NotMerchant)?;
				shop.balance = shop
					.balance
					.checked_sub(&amount)
					.ok_or(Error::<T>::InsufficientMerchantBalance)?;
				shop.redeemed_total = shop.redeemed_total.saturating_add(amount);
				Ok(())
			})?;
			Stats::<T>::mutate(|s| s.redeemed = s.redeemed.saturating_add(amount));
			Self::deposit_event(Event::Redeemed { merchant, amount });
			Ok(())
		}

		/// Whether `enrollment` of `device` still earns: the owner still owns the active,
		/// certified device and the consent grant is live now.
		fn earning(device: DeviceId, enrollment: &EnrollmentOf<T>, params: &Params) -> bool {
			let owned = T::Devices::device(device)
				.is_some_and(|d| d.owner == enrollment.owner && d.is_active() && d.certified);
			owned && Self::consented(device, enrollment, params)
		}

		/// Whether the enrollment's consent grant is live now.
		fn consented(device: DeviceId, enrollment: &EnrollmentOf<T>, params: &Params) -> bool {
			T::Consent::consent_live(
				enrollment.grant,
				&enrollment.owner,
				params.consent_holder,
				params.consent_category,
				device,
				Self::now_ms(),
			)
		}

		/// Whether `enrollment` can never earn again: the device is gone, changed hands or left
		/// service for good, or the consent is over (a suspension is not).
		fn void(device: DeviceId, enrollment: &EnrollmentOf<T>, params: &Params) -> bool {
			let kept = T::Devices::device(device).is_some_and(|d| {
				d.owner == enrollment.owner
					&& !matches!(
						d.status,
						city_primitives::DeviceStatus::Revoked
							| city_primitives::DeviceStatus::Decommissioned
					)
			});
			!kept || !Self::consented(device, enrollment, params)
		}

		fn now_ms() -> u64 {
			u64::try_from(T::UnixTime::now().as_millis()).unwrap_or(u64::MAX)
		}

		pub(crate) fn do_enroll(
			owner: T::AccountId,
			device: DeviceId,
			grant: u64,
		) -> DispatchResult {
			let params = Parameters::<T>::get().ok_or(Error::<T>::NoParams)?;
			ensure!(!Enrolled::<T>::contains_key(device), Error::<T>::AlreadyEnrolled);
			let summary = T::Devices::device(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(summary.owner == owner, Error::<T>::NotDeviceOwner);
			ensure!(summary.is_active(), Error::<T>::DeviceInactive);
			ensure!(summary.certified, Error::<T>::DeviceNotCertified);
			let enrollment = Enrollment { owner, grant, deposit: T::EnrollDeposit::get() };
			ensure!(Self::earning(device, &enrollment, &params), Error::<T>::NoConsent);
			T::Currency::hold(
				&HoldReason::EnrollDeposit.into(),
				&enrollment.owner,
				enrollment.deposit,
			)
			.map_err(|_| Error::<T>::CannotHoldDeposit)?;
			Self::deposit_event(Event::Enrolled { device, owner: enrollment.owner.clone(), grant });
			Enrolled::<T>::insert(device, enrollment);
			Ok(())
		}

		fn do_unenroll(who: T::AccountId, device: DeviceId) -> DispatchResult {
			let enrollment = Enrolled::<T>::get(device).ok_or(Error::<T>::NotEnrolled)?;
			if who != enrollment.owner {
				let params = Parameters::<T>::get().ok_or(Error::<T>::NoParams)?;
				ensure!(Self::void(device, &enrollment, &params), Error::<T>::NotEnrollmentOwner);
			}
			// Best effort: a deposit the governance slashed cannot be released twice.
			let _ = T::Currency::release(
				&HoldReason::EnrollDeposit.into(),
				&enrollment.owner,
				enrollment.deposit,
				Precision::BestEffort,
			);
			Enrolled::<T>::remove(device);
			// The device's points of the current period stay, so that enrolling it again
			// cannot earn its cap twice in one period.
			let current = Parameters::<T>::get()
				.map(|p| Self::period_of(Self::now(), p.reward_period_blocks))
				.unwrap_or(PeriodIndex::MAX);
			if DevicePoints::<T>::get(device).0 < current {
				DevicePoints::<T>::remove(device);
			}
			Self::deposit_event(Event::Unenrolled { device });
			Ok(())
		}

		fn do_fund(period: PeriodIndex, amount: T::Credits) -> DispatchResult {
			let params = Parameters::<T>::get().ok_or(Error::<T>::NoParams)?;
			ensure!(!amount.is_zero(), Error::<T>::BelowMinimum);
			let current = Self::period_of(Self::now(), params.reward_period_blocks);
			ensure!(period >= current, Error::<T>::PeriodPast);
			RewardPools::<T>::try_mutate(period, |pool| -> DispatchResult {
				pool.funded = pool.funded.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
				Ok(())
			})?;
			Self::deposit_event(Event::RewardsFunded { period, amount });
			Ok(())
		}

		/// The slot of `period` in an owner's points records.
		pub fn slot_of(period: PeriodIndex) -> u32 {
			period.checked_rem(T::ClaimPeriods::get().saturating_add(2)).unwrap_or(0)
		}

		/// `owner`'s unclaimed points of `period`.
		pub fn points_of(owner: &T::AccountId, period: PeriodIndex) -> u64 {
			let (at, points) = OwnerPoints::<T>::get(owner, Self::slot_of(period));
			if at == period {
				points
			} else {
				0
			}
		}

		/// `pool.funded x points / pool.points`, rounded down (0 without points).
		pub fn share_of(pool: &RewardPool<T::Credits>, points: u64) -> T::Credits {
			if pool.points == 0 {
				return Zero::zero();
			}
			let funded: u128 = pool.funded.into();
			let share = multiply_by_rational_with_rounding(
				funded,
				u128::from(points.min(pool.points)),
				u128::from(pool.points),
				Rounding::Down,
			)
			.unwrap_or(0);
			T::Credits::try_from(share).unwrap_or_else(|_| Zero::zero())
		}

		fn do_claim(owner: T::AccountId, period: PeriodIndex) -> DispatchResult {
			let params = Parameters::<T>::get().ok_or(Error::<T>::NoParams)?;
			let current = Self::period_of(Self::now(), params.reward_period_blocks);
			ensure!(period < current, Error::<T>::PeriodNotEnded);
			ensure!(
				period.saturating_add(T::ClaimPeriods::get()) >= current,
				Error::<T>::ClaimWindowOver
			);
			let points = Self::points_of(&owner, period);
			ensure!(points > 0, Error::<T>::NothingToClaim);
			let mut pool = RewardPools::<T>::get(period);
			let amount = Self::share_of(&pool, points);
			let claimed = pool.claimed.checked_add(&amount).ok_or(Error::<T>::Overflow)?;
			// Shares are rounded down from points that add up to the total: never reached.
			ensure!(claimed <= pool.funded, Error::<T>::Overflow);
			pool.claimed = claimed;
			if !amount.is_zero() {
				Self::credit(&owner, amount, Self::expiry_from_now(&params))?;
			}
			OwnerPoints::<T>::remove(&owner, Self::slot_of(period));
			RewardPools::<T>::insert(period, pool);
			Stats::<T>::mutate(|s| s.rewarded = s.rewarded.saturating_add(amount));
			Self::deposit_event(Event::RewardClaimed { period, owner, points, amount });
			Ok(())
		}

		/// Counts `readings` attested readings of `device` as points (if it is enrolled and
		/// earning), capped per device and period.
		pub fn count_readings(device: DeviceId, readings: u32) {
			let Some(enrollment) = Enrolled::<T>::get(device) else { return };
			let Some(params) = Parameters::<T>::get() else { return };
			if readings == 0 || !Self::earning(device, &enrollment, &params) {
				return;
			}
			let period = Self::period_of(Self::now(), params.reward_period_blocks);
			let earned = DevicePoints::<T>::mutate(device, |(at, points)| {
				if *at != period {
					*at = period;
					*points = 0;
				}
				let room = params.points_cap_per_device.saturating_sub(*points);
				let earned = readings.min(room);
				*points = points.saturating_add(earned);
				earned
			});
			if earned == 0 {
				return;
			}
			OwnerPoints::<T>::mutate(&enrollment.owner, Self::slot_of(period), |(at, points)| {
				// The slot's older period is past its claim window.
				if *at != period {
					*at = period;
					*points = 0;
				}
				*points = points.saturating_add(u64::from(earned))
			});
			RewardPools::<T>::mutate(period, |pool| {
				pool.points = pool.points.saturating_add(u64::from(earned))
			});
		}

		// ------------------------------------------------------------ runtime API helpers

		/// A citizen's unexpired lots at the current block, soonest first.
		pub fn lots_of(citizen: &T::AccountId) -> Vec<Lot<T::Credits>> {
			let now = Self::now();
			Lots::<T>::get(citizen).into_iter().filter(|lot| lot.expires_at > now).collect()
		}

		/// What an issuer issued, per allowed deed.
		pub fn issued_by(issuer: &T::AccountId) -> Vec<(DeedCode, DeedTally<T::Credits>)> {
			Issuers::<T>::get(issuer)
				.map(|record| {
					record
						.deeds
						.iter()
						.map(|deed| (*deed, IssuedBy::<T>::get(issuer, deed)))
						.collect()
				})
				.unwrap_or_default()
		}

		/// What is left of an issuer's quota in the current period.
		pub fn quota_left(record: &IssuerOf<T>) -> T::Credits {
			let period = Parameters::<T>::get()
				.map(|p| Self::period_of(Self::now(), p.quota_period_blocks))
				.unwrap_or(0);
			if record.period == period {
				record.quota.saturating_sub(record.issued_in_period)
			} else {
				record.quota
			}
		}

		/// An issuer as the runtime API shows it.
		pub fn issuer_view(
			account: &T::AccountId,
		) -> Option<crate::runtime_api::IssuerView<T::Credits>> {
			let record = Issuers::<T>::get(account)?;
			Some(crate::runtime_api::IssuerView {
				quota_left: Self::quota_left(&record),
				by_deed: Self::issued_by(account),
				name: record.name.into_inner(),
				quota: record.quota,
				active: record.active,
				issued_total: record.issued_total,
			})
		}

		/// A merchant as the runtime API shows it.
		pub fn merchant_view(account: &T::AccountId) -> Option<Merchant<Vec<u8>, T::Credits>> {
			Merchants::<T>::get(account).map(|m| Merchant {
				name: m.name.into_inner(),
				discount_bps: m.discount_bps,
				active: m.active,
				balance: m.balance,
				received_total: m.received_total,
				redeemed_total: m.redeemed_total,
			})
		}

		/// `account`'s reward for `period` as the runtime API shows it.
		pub fn rewards_view(
			account: &T::AccountId,
			period: PeriodIndex,
		) -> crate::runtime_api::RewardsView<T::Credits> {
			let current = Parameters::<T>::get()
				.map(|p| Self::period_of(Self::now(), p.reward_period_blocks))
				.unwrap_or(0);
			let pool = RewardPools::<T>::get(period);
			let points = Self::points_of(account, period);
			let open = period < current && period.saturating_add(T::ClaimPeriods::get()) >= current;
			crate::runtime_api::RewardsView {
				period,
				current_period: current,
				points,
				total_points: pool.points,
				pool: pool.funded,
				claimed: pool.claimed,
				claimable: if open { Self::share_of(&pool, points) } else { Zero::zero() },
			}
		}

		/// The totals as the runtime API shows them.
		pub fn stats_view() -> crate::runtime_api::StatsView<T::Credits> {
			let stats = Stats::<T>::get();
			let outstanding = stats
				.issued
				.saturating_add(stats.rewarded)
				.saturating_sub(stats.redeemed)
				.saturating_sub(stats.expired);
			let mut by_deed: Vec<_> = Deeds::<T>::iter()
				.map(|(code, deed)| (code, deed.name.into_inner(), IssuedForDeed::<T>::get(code)))
				.collect();
			by_deed.sort_by_key(|(code, _, _)| *code);
			crate::runtime_api::StatsView { stats, outstanding, by_deed }
		}

		/// The most bytes one enrollment makes the chain keep: its record, the device's points
		/// and one owner's points record per claimable period. A runtime prices the enrollment
		/// deposit from it.
		pub fn enrollment_storage_bytes() -> u32 {
			let key = 48usize;
			let record = key.saturating_add(EnrollmentOf::<T>::max_encoded_len());
			let device_points = key.saturating_add(8);
			let owner_points = key.saturating_add(32).saturating_add(12).saturating_add(12);
			let periods = (T::ClaimPeriods::get() as usize).saturating_add(2);
			let total = record
				.saturating_add(device_points)
				.saturating_add(owner_points.saturating_mul(periods));
			u32::try_from(total).unwrap_or(u32::MAX)
		}
	}

	impl<T: Config> city_primitives::OnReadingsAttested for Pallet<T> {
		fn readings_attested(device: DeviceId, readings: u32) {
			Self::count_readings(device, readings)
		}

		fn weight() -> Weight {
			T::WeightInfo::count_readings()
		}
	}
}
