//! Benchmarks of civic credits (v2), each in its worst case: full names and deed lists, a
//! citizen with `MaxLots` lots, enrolled devices with points.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::Pallet as Credits;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Get};
use frame_system::RawOrigin;
use sp_core::H256;
use sp_runtime::traits::{Bounded, Saturating, Zero};

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let amount = T::EnrollDeposit::get().saturating_mul(100u32.into());
	let _ = T::Currency::set_balance(&who, amount);
	who
}

fn name<T: Config>() -> NameOf<T> {
	vec![b'n'; T::MaxNameLen::get() as usize].try_into().unwrap()
}

/// The parameters of the benchmarks (consent to `holder` for `category`).
fn params<T: Config>(holder: u32, category: u16) -> Params {
	let params = Params {
		expiry_blocks: T::LotBlocks::get().saturating_mul(T::MaxLots::get().saturating_sub(2)),
		quota_period_blocks: 1_000,
		reward_period_blocks: 100,
		points_cap_per_device: 1_000,
		consent_holder: holder,
		consent_category: category,
	};
	Parameters::<T>::put(params);
	params
}

/// Deed codes `base..base + n`, added to the list as needed.
fn deeds<T: Config>(n: u32) -> DeedsOf<T> {
	let mut codes = vec![];
	for i in 0..n {
		let code = 60_000u16.saturating_add(i as u16);
		if !Deeds::<T>::contains_key(code) {
			DeedCount::<T>::put(0);
			Credits::<T>::do_add_deed(code, name::<T>()).unwrap();
		}
		codes.push(code);
	}
	codes.try_into().unwrap()
}

/// An issuer with the most deeds and an unlimited quota.
fn issuer<T: Config>() -> (T::AccountId, DeedCode) {
	let issuer = funded::<T>("issuer", 0);
	let deeds = deeds::<T>(T::MaxDeedsPerIssuer::get());
	let deed = *deeds.last().unwrap();
	Credits::<T>::do_set_issuer(issuer.clone(), name::<T>(), Bounded::max_value(), deeds, true)
		.unwrap();
	(issuer, deed)
}

fn merchant<T: Config>(index: u32) -> T::AccountId {
	let merchant = funded::<T>("merchant", index);
	Credits::<T>::do_set_merchant(merchant.clone(), name::<T>(), 500, true).unwrap();
	merchant
}

/// `MaxLots - 1` lots for `who`, each of `amount`, expiring after `from` at lot boundaries.
fn lots<T: Config>(who: &T::AccountId, from: u32, amount: T::Credits) {
	let lot = T::LotBlocks::get();
	let lots: Vec<Lot<T::Credits>> = (1..T::MaxLots::get())
		.map(|i| Lot { expires_at: from.saturating_add(i.saturating_mul(lot)), amount })
		.collect();
	Lots::<T>::insert(who, LotsOf::<T>::try_from(lots).unwrap());
}

/// An enrolled, earning device of `owner`, with its consent.
fn enrolled<T: Config>(owner: &T::AccountId) -> city_primitives::DeviceId {
	let device = T::BenchmarkHelper::device(owner);
	let (holder, category, grant) = T::BenchmarkHelper::consent(owner, device);
	params::<T>(holder, category);
	Credits::<T>::do_enroll(owner.clone(), device, grant).unwrap();
	device
}

fn credits<T: Config>(n: u64) -> T::Credits {
	T::MinAmount::get().saturating_mul(T::Credits::from(n))
}

#[benchmarks]
mod benches {
	use super::*;

	#[benchmark]
	fn add_deed() {
		DeedCount::<T>::put(0);
		#[extrinsic_call]
		_(RawOrigin::Root, 65_000, name::<T>());
		assert!(Deeds::<T>::contains_key(65_000));
	}

	#[benchmark]
	fn retire_deed() {
		let code = *deeds::<T>(1).first().unwrap();
		#[extrinsic_call]
		_(RawOrigin::Root, code);
		assert!(Deeds::<T>::get(code).unwrap().retired);
	}

	#[benchmark]
	fn set_params() {
		let params = params::<T>(0, 0);
		Parameters::<T>::kill();
		#[extrinsic_call]
		_(RawOrigin::Root, params);
		assert_eq!(Parameters::<T>::get(), Some(params));
	}

	#[benchmark]
	fn set_issuer() {
		let deeds = deeds::<T>(T::MaxDeedsPerIssuer::get());
		let who = funded::<T>("issuer", 0);
		#[extrinsic_call]
		_(RawOrigin::Root, who.clone(), name::<T>(), credits::<T>(1_000), deeds, true);
		assert!(Issuers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_merchant() {
		let who = funded::<T>("merchant", 0);
		#[extrinsic_call]
		_(RawOrigin::Root, who.clone(), name::<T>(), 10_000, true);
		assert!(Merchants::<T>::contains_key(&who));
	}

	#[benchmark]
	fn issue() {
		let params = params::<T>(0, 0);
		let (issuer, deed) = issuer::<T>();
		let citizen = funded::<T>("citizen", 0);
		// The new lot goes in front of all the others (a lot-length apart: the benchmark may
		// run a block after its setup).
		let from = Credits::<T>::expiry_from_now(&params).saturating_add(T::LotBlocks::get());
		lots::<T>(&citizen, from, credits::<T>(1));
		#[extrinsic_call]
		_(RawOrigin::Signed(issuer), citizen.clone(), credits::<T>(1), deed, H256::repeat_byte(1));
		assert_eq!(Lots::<T>::get(&citizen).len() as u32, T::MaxLots::get());
	}

	#[benchmark]
	fn spend() {
		params::<T>(0, 0);
		let shop = merchant::<T>(0);
		let citizen = funded::<T>("citizen", 0);
		lots::<T>(&citizen, Credits::<T>::now(), credits::<T>(1));
		// Everything: every lot is taken.
		let all = credits::<T>(u64::from(T::MaxLots::get().saturating_sub(1)));
		#[extrinsic_call]
		_(RawOrigin::Signed(citizen.clone()), shop.clone(), all);
		assert!(!Lots::<T>::contains_key(&citizen));
		assert_eq!(Merchants::<T>::get(&shop).unwrap().balance, all);
	}

	#[benchmark]
	fn refund() {
		let params = params::<T>(0, 0);
		let shop = merchant::<T>(0);
		Merchants::<T>::mutate(&shop, |m| {
			if let Some(m) = m {
				m.balance = credits::<T>(10);
			}
		});
		let citizen = funded::<T>("citizen", 0);
		let expiry = Credits::<T>::expiry_from_now(&params);
		lots::<T>(&citizen, expiry, credits::<T>(1));
		Refundable::<T>::insert(&shop, &citizen, (credits::<T>(10), expiry));
		#[extrinsic_call]
		_(RawOrigin::Signed(shop.clone()), citizen.clone(), credits::<T>(1));
		assert_eq!(Merchants::<T>::get(&shop).unwrap().balance, credits::<T>(9));
	}

	#[benchmark]
	fn redeem() {
		params::<T>(0, 0);
		let shop = merchant::<T>(0);
		Merchants::<T>::mutate(&shop, |m| {
			if let Some(m) = m {
				m.balance = credits::<T>(10);
			}
		});
		#[extrinsic_call]
		_(RawOrigin::Signed(shop.clone()), credits::<T>(10));
		assert!(Merchants::<T>::get(&shop).unwrap().balance.is_zero());
	}

	#[benchmark]
	fn expire() {
		params::<T>(0, 0);
		let citizen = funded::<T>("citizen", 0);
		lots::<T>(&citizen, 0, credits::<T>(1));
		// All of them expired.
		let last = T::LotBlocks::get().saturating_mul(T::MaxLots::get());
		frame_system::Pallet::<T>::set_block_number(last.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(citizen.clone()), citizen.clone());
		assert!(!Lots::<T>::contains_key(&citizen));
	}

	#[benchmark]
	fn enroll() {
		let owner = funded::<T>("owner", 0);
		let device = T::BenchmarkHelper::device(&owner);
		let (holder, category, grant) = T::BenchmarkHelper::consent(&owner, device);
		params::<T>(holder, category);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device, grant);
		assert!(Enrolled::<T>::contains_key(device));
	}

	#[benchmark]
	fn unenroll() {
		let owner = funded::<T>("owner", 0);
		let device = enrolled::<T>(&owner);
		// Another account ends it: the consent no longer counts (the category changed), the
		// path that checks everything.
		let mut changed = Parameters::<T>::get().unwrap();
		changed.consent_category = changed.consent_category.wrapping_add(1);
		Parameters::<T>::put(changed);
		let anyone = funded::<T>("anyone", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(anyone), device);
		assert!(!Enrolled::<T>::contains_key(device));
	}

	#[benchmark]
	fn fund_rewards() {
		params::<T>(0, 0);
		RewardPools::<T>::insert(
			0,
			RewardPool { funded: credits::<T>(1), points: 1, claimed: Zero::zero() },
		);
		#[extrinsic_call]
		_(RawOrigin::Root, 0, credits::<T>(100));
		assert_eq!(RewardPools::<T>::get(0).funded, credits::<T>(101));
	}

	#[benchmark]
	fn claim_reward() {
		let owner = funded::<T>("owner", 0);
		let device = enrolled::<T>(&owner);
		frame_system::Pallet::<T>::set_block_number(1u32.into());
		Credits::<T>::count_readings(device, 10);
		RewardPools::<T>::mutate(0, |pool| pool.funded = credits::<T>(100));
		let params = Parameters::<T>::get().unwrap();
		frame_system::Pallet::<T>::set_block_number(params.reward_period_blocks.into());
		lots::<T>(&owner, Credits::<T>::expiry_from_now(&params), credits::<T>(1));
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), 0);
		assert_eq!(Credits::<T>::points_of(&owner, 0), 0);
		assert_eq!(RewardPools::<T>::get(0).claimed, credits::<T>(100));
	}

	#[benchmark]
	fn forget_points() {
		let owner = funded::<T>("owner", 0);
		let device = enrolled::<T>(&owner);
		frame_system::Pallet::<T>::set_block_number(1u32.into());
		Credits::<T>::count_readings(device, 10);
		let params = Parameters::<T>::get().unwrap();
		let late = params.reward_period_blocks.saturating_mul(T::ClaimPeriods::get() + 2);
		frame_system::Pallet::<T>::set_block_number(late.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), 0, owner.clone());
		assert_eq!(Credits::<T>::points_of(&owner, 0), 0);
	}

	#[benchmark]
	fn count_readings() {
		let owner = funded::<T>("owner", 0);
		let device = enrolled::<T>(&owner);
		frame_system::Pallet::<T>::set_block_number(1u32.into());
		Credits::<T>::count_readings(device, 1);
		#[block]
		{
			Credits::<T>::count_readings(device, 1);
		}
		assert_eq!(Credits::<T>::points_of(&owner, 0), 2);
	}

	impl_benchmark_test_suite!(Credits, crate::mock::new_test_ext(), crate::mock::Test);
}
