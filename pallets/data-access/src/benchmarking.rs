//! Benchmarks of data access (v2 syntax). Worst cases: the longest names, a grant naming the
//! most devices into a full history whose only closed grant is the last one looked at (the
//! eviction scan reads them all), and an anchor after a first one.
//!
//! They run in the pallet's mock (`cargo test -p pallet-data-access --features
//! runtime-benchmarks`) and, once the pallet is in the runtime, in `scripts/benchmark.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::Pallet as DataAccess;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	EnsureOrigin, Get,
};
use frame_system::RawOrigin;
use sp_runtime::SaturatedConversion;

const T0: u64 = 1_790_000_000_000;
const DAY: u64 = 86_400_000;

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let ed: u128 = T::Currency::minimum_balance().saturated_into();
	let deposits: u128 = T::GrantDeposit::get()
		.saturated_into::<u128>()
		.saturating_add(T::AnchorDeposit::get().saturated_into())
		.saturating_mul(u128::from(T::MaxGrantsPerCitizen::get()).saturating_add(10));
	T::Currency::set_balance(&who, deposits.saturating_add(ed.max(1) * 1_000).saturated_into());
	who
}

fn bytes<L: Get<u32>>(fill: u8) -> BoundedVec<u8, L> {
	alloc::vec![fill; L::get() as usize].try_into().unwrap()
}

/// The vocabulary's category 1 and purpose 1, and an approved holder (its id, its account).
fn setup<T: Config>() -> (HolderId, T::AccountId) {
	T::BenchmarkHelper::set_time(T0);
	for (kind, code) in [(TermKind::Category, 1), (TermKind::Purpose, 1)] {
		if !Terms::<T>::contains_key(kind, code) {
			DataAccess::<T>::do_add_term(kind, code, bytes::<T::MaxNameLen>(b'n'), 0).unwrap();
		}
	}
	let holder: T::AccountId = funded::<T>("holder", 0);
	let id = NextHolderId::<T>::get();
	let origin = T::RegistrarOrigin::try_successful_origin().unwrap();
	DataAccess::<T>::approve_holder(
		origin,
		holder.clone(),
		bytes::<T::MaxNameLen>(b'h'),
		bytes::<T::MaxDescriptionLen>(b'd'),
	)
	.unwrap();
	(id, holder)
}

fn grant_now<T: Config>(citizen: &T::AccountId, holder: HolderId) -> GrantId {
	let id = NextGrantId::<T>::get();
	let now = T0;
	DataAccess::<T>::grant(
		RawOrigin::Signed(citizen.clone()).into(),
		holder,
		1,
		1,
		H256::repeat_byte(1),
		now,
		now + DAY,
		Default::default(),
	)
	.unwrap();
	id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_term() {
		let origin = T::RegistrarOrigin::try_successful_origin().unwrap();
		let name = bytes::<T::MaxNameLen>(b'n');
		#[extrinsic_call]
		add_term(origin as T::RuntimeOrigin, TermKind::LegalBasis, 9, name);
		assert!(Terms::<T>::contains_key(TermKind::LegalBasis, 9));
	}

	#[benchmark]
	fn remove_term() {
		DataAccess::<T>::do_add_term(TermKind::LegalBasis, 9, bytes::<T::MaxNameLen>(b'n'), 0)
			.unwrap();
		let origin = T::RegistrarOrigin::try_successful_origin().unwrap();
		#[extrinsic_call]
		retire_term(origin as T::RuntimeOrigin, TermKind::LegalBasis, 9);
		assert!(Terms::<T>::get(TermKind::LegalBasis, 9).unwrap().retired_at_ms.is_some());
	}

	#[benchmark]
	fn approve_holder() {
		let origin = T::RegistrarOrigin::try_successful_origin().unwrap();
		let who: T::AccountId = account("holder", 7, 0);
		#[extrinsic_call]
		_(
			origin as T::RuntimeOrigin,
			who.clone(),
			bytes::<T::MaxNameLen>(b'h'),
			bytes::<T::MaxDescriptionLen>(b'd'),
		);
		assert!(HolderOfAccount::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_holder_status() {
		let (id, holder) = setup::<T>();
		let origin = T::RegistrarOrigin::try_successful_origin().unwrap();
		#[extrinsic_call]
		remove_holder(origin as T::RuntimeOrigin, id);
		assert!(!HolderOfAccount::<T>::contains_key(&holder));
	}

	#[benchmark]
	fn grant(d: Linear<0, { T::MaxDevicesPerGrant::get() }>) {
		let (holder, _) = setup::<T>();
		let citizen = funded::<T>("citizen", 0);
		// A full history: every grant open but the last one, which the eviction finds last.
		let full = T::MaxGrantsPerCitizen::get();
		let mut last = 0;
		for _ in 0..full {
			last = grant_now::<T>(&citizen, holder);
		}
		DataAccess::<T>::revoke(RawOrigin::Signed(citizen.clone()).into(), last).unwrap();
		let devices: DevicesOf<T> = (0..d)
			.map(|i| T::BenchmarkHelper::device(&citizen, i))
			.collect::<alloc::vec::Vec<_>>()
			.try_into()
			.unwrap();
		#[extrinsic_call]
		_(
			RawOrigin::Signed(citizen.clone()),
			holder,
			1,
			1,
			H256::repeat_byte(2),
			T0,
			T0 + DAY,
			devices,
		);
		assert!(!Grants::<T>::contains_key(last));
		assert_eq!(GrantsOf::<T>::get(&citizen).len() as u32, full);
	}

	#[benchmark]
	fn revoke() {
		let (holder, _) = setup::<T>();
		let citizen = funded::<T>("citizen", 0);
		let id = grant_now::<T>(&citizen, holder);
		#[extrinsic_call]
		_(RawOrigin::Signed(citizen), id);
		assert!(!Grants::<T>::get(id).unwrap().open);
	}

	#[benchmark]
	fn release_expired() {
		let (holder, _) = setup::<T>();
		let citizen = funded::<T>("citizen", 0);
		let id = grant_now::<T>(&citizen, holder);
		T::BenchmarkHelper::set_time(T0 + DAY);
		#[extrinsic_call]
		_(RawOrigin::Signed(citizen), id);
		assert!(!Grants::<T>::get(id).unwrap().open);
	}

	#[benchmark]
	fn anchor_log() {
		let (id, holder) = setup::<T>();
		DataAccess::<T>::anchor_log(
			RawOrigin::Signed(holder.clone()).into(),
			0,
			H256::repeat_byte(1),
			T0 - 2,
			T0 - 1,
			1,
			H256::zero(),
		)
		.unwrap();
		#[extrinsic_call]
		_(
			RawOrigin::Signed(holder),
			1,
			H256::repeat_byte(2),
			T0,
			T0,
			T::MaxEntriesPerBatch::get(),
			H256::repeat_byte(1),
		);
		assert_eq!(Holders::<T>::get(id).unwrap().next_batch, 2);
	}

	impl_benchmark_test_suite!(DataAccess, crate::mock::new_test_ext(), crate::mock::Test);
}
