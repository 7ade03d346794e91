//! Unit tests of data access: every error path, grants' timing, deposits on every path, the
//! anchor chain, and verification of entries inside and outside a grant's window.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{mock::*, *};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use sp_runtime::DispatchError;

fn origin(n: u8) -> RuntimeOrigin {
	RuntimeOrigin::signed(account(n))
}

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

fn name(text: &str) -> BoundedVec<u8, ConstU32<32>> {
	text.as_bytes().to_vec().try_into().unwrap()
}

use frame_support::traits::ConstU32;

fn approve(n: u8) -> HolderId {
	let id = NextHolderId::<Test>::get();
	assert_ok!(DataAccess::approve_holder(
		root(),
		account(n),
		name("City Energy"),
		b"the municipal utility".to_vec().try_into().unwrap()
	));
	id
}

fn held(n: u8) -> Balance {
	Balances::total_balance_on_hold(&account(n))
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

/// Citizen `n` asks to grant `holder` data of `category` for billing, from now for a day.
fn try_grant(n: u8, holder: HolderId, category: TermCode) -> sp_runtime::DispatchResult {
	DataAccess::grant(
		origin(n),
		holder,
		category,
		BILLING,
		H256::zero(),
		now(),
		now() + DAY,
		Default::default(),
	)
}

/// Citizen `n` grants `holder` energy data for billing from now for a day.
fn grant(n: u8, holder: HolderId) -> GrantId {
	let id = NextGrantId::<Test>::get();
	assert_ok!(DataAccess::grant(
		origin(n),
		holder,
		ENERGY,
		BILLING,
		H256::repeat_byte(0x7e),
		now(),
		now() + DAY,
		Default::default()
	));
	id
}

fn entry(n: u8, basis: AccessBasis, time_ms: u64) -> EntryOf<Test> {
	AccessEntry {
		citizen: account(n),
		category: ENERGY,
		purpose: BILLING,
		device: None,
		basis,
		time_ms,
		data_hash: H256::repeat_byte(0xda),
	}
}

/// Anchors `entries` as `holder` account `n`'s next batch over `period`; returns its root.
fn anchor(n: u8, entries: &[EntryOf<Test>], period: (u64, u64)) -> H256 {
	let id = HolderOfAccount::<Test>::get(account(n)).unwrap();
	let holder = Holders::<Test>::get(id).unwrap();
	let root = city_device::merkle_root_of(entries.iter().map(Encode::encode));
	assert_ok!(DataAccess::anchor_log(
		origin(n),
		holder.next_batch,
		root,
		period.0,
		period.1,
		entries.len() as u32,
		holder.last_root
	));
	root
}

fn proof(entries: &[EntryOf<Test>], index: u32) -> Vec<H256> {
	let leaves: Vec<Vec<u8>> = entries.iter().map(Encode::encode).collect();
	city_device::merkle_proof_of(&leaves, index).unwrap()
}

// ------------------------------------------------------------------ vocabulary

#[test]
fn the_vocabulary_is_governed_bounded_and_its_codes_permanent() {
	new_test_ext().execute_with(|| {
		assert_eq!(TermCount::<Test>::get(TermKind::Category), 2);
		assert_noop!(
			DataAccess::add_term(origin(CITIZEN), TermKind::Category, 9, name("health")),
			DispatchError::BadOrigin
		);
		assert_ok!(DataAccess::add_term(root(), TermKind::Category, 9, name("health")));
		assert_eq!(last_event(), Event::TermAdded { kind: TermKind::Category, code: 9 }.into());
		let term = Terms::<Test>::get(TermKind::Category, 9).unwrap();
		assert_eq!(
			(term.name, term.added_at_ms, term.retired_at_ms),
			(name("health"), now(), None)
		);
		// A code is never renamed (or reused).
		assert_noop!(
			DataAccess::add_term(root(), TermKind::Category, 9, name("marketing")),
			Error::<Test>::TermExists
		);
		for code in 10..15 {
			assert_ok!(DataAccess::add_term(root(), TermKind::Category, code, name("x")));
		}
		assert_eq!(TermCount::<Test>::get(TermKind::Category), 8);
		assert_noop!(
			DataAccess::add_term(root(), TermKind::Category, 99, name("one too many")),
			Error::<Test>::TooManyTerms
		);
		// Other kinds have their own bound.
		assert_ok!(DataAccess::add_term(root(), TermKind::Purpose, 99, name("research")));
		assert_noop!(
			DataAccess::retire_term(origin(CITIZEN), TermKind::Category, 9),
			DispatchError::BadOrigin
		);
		assert_noop!(
			DataAccess::retire_term(root(), TermKind::LegalBasis, 9),
			Error::<Test>::UnknownTerm
		);
		assert_ok!(DataAccess::retire_term(root(), TermKind::Category, 9));
		assert_eq!(last_event(), Event::TermRetired { kind: TermKind::Category, code: 9 }.into());
		assert_eq!(Terms::<Test>::get(TermKind::Category, 9).unwrap().retired_at_ms, Some(now()));
		assert_noop!(
			DataAccess::retire_term(root(), TermKind::Category, 9),
			Error::<Test>::AlreadyRetired
		);
		// Retired words still count (their codes stay taken) and no new grant uses them.
		assert_eq!(TermCount::<Test>::get(TermKind::Category), 8);
		let utility = approve(UTILITY);
		assert_noop!(try_grant(CITIZEN, utility, 9), Error::<Test>::UnknownCategory);
	});
}

#[test]
fn a_legal_basis_covers_only_accesses_while_it_is_in_force() {
	new_test_ext().execute_with(|| {
		let planner = approve(PLANNER);
		let t = now();
		set_now(t + HOUR);
		assert_ok!(DataAccess::add_term(root(), TermKind::LegalBasis, 8, name("emergency act")));
		let added = now();
		set_now(added + HOUR);
		assert_ok!(DataAccess::retire_term(root(), TermKind::LegalBasis, 8));
		let retired = now();
		let at =
			|time| DataAccess::coverage(planner, &entry(OTHER, AccessBasis::LegalBasis(8), time));
		assert_eq!(at(added - 1), Coverage::NotCovered(NotCovered::UnknownLegalBasis));
		assert_eq!(at(added), Coverage::LegalBasis(8));
		assert_eq!(at(retired - 1), Coverage::LegalBasis(8));
		assert_eq!(at(retired), Coverage::NotCovered(NotCovered::UnknownLegalBasis));
		// The genesis vocabulary is in force from the beginning.
		let court = entry(OTHER, AccessBasis::LegalBasis(COURT_ORDER), 0);
		assert_eq!(DataAccess::coverage(planner, &court), Coverage::LegalBasis(COURT_ORDER));
	});
}

// ------------------------------------------------------------------ holders

#[test]
fn holders_are_approved_suspended_resumed_and_removed_by_the_registrar() {
	new_test_ext().execute_with(|| {
		let description = || b"planning office".to_vec().try_into().unwrap();
		assert_noop!(
			DataAccess::approve_holder(origin(CITIZEN), account(PLANNER), name("P"), description()),
			DispatchError::BadOrigin
		);
		let utility = approve(UTILITY);
		assert_eq!(
			last_event(),
			Event::HolderApproved { holder: utility, account: account(UTILITY) }.into()
		);
		let record = Holders::<Test>::get(utility).unwrap();
		assert_eq!((record.status, record.next_batch), (HolderStatus::Approved, 0));
		assert_noop!(
			DataAccess::approve_holder(root(), account(UTILITY), name("again"), description()),
			Error::<Test>::AlreadyHolder
		);
		// Suspend and resume.
		assert_noop!(
			DataAccess::suspend_holder(origin(UTILITY), utility),
			DispatchError::BadOrigin
		);
		assert_noop!(DataAccess::suspend_holder(root(), 42), Error::<Test>::UnknownHolder);
		assert_noop!(DataAccess::resume_holder(root(), utility), Error::<Test>::NotSuspended);
		assert_ok!(DataAccess::suspend_holder(root(), utility));
		assert_eq!(last_event(), Event::HolderSuspended { holder: utility }.into());
		assert_noop!(DataAccess::suspend_holder(root(), utility), Error::<Test>::HolderNotApproved);
		// A suspended holder is granted nothing and anchors nothing.
		assert_noop!(try_grant(CITIZEN, utility, ENERGY), Error::<Test>::HolderNotApproved);
		assert_noop!(
			DataAccess::anchor_log(
				origin(UTILITY),
				0,
				H256::repeat_byte(1),
				now() - HOUR,
				now(),
				1,
				H256::zero()
			),
			Error::<Test>::HolderNotApproved
		);
		assert_ok!(DataAccess::resume_holder(root(), utility));
		assert_eq!(last_event(), Event::HolderResumed { holder: utility }.into());
		// Removed: for good, the record stays, the account may come back as a new holder.
		assert_noop!(DataAccess::remove_holder(origin(UTILITY), utility), DispatchError::BadOrigin);
		assert_ok!(DataAccess::remove_holder(root(), utility));
		assert_eq!(last_event(), Event::HolderRemoved { holder: utility }.into());
		assert_eq!(Holders::<Test>::get(utility).unwrap().status, HolderStatus::Removed);
		assert_eq!(HolderOfAccount::<Test>::get(account(UTILITY)), None);
		assert_noop!(DataAccess::remove_holder(root(), utility), Error::<Test>::HolderRemoved);
		assert_noop!(DataAccess::resume_holder(root(), utility), Error::<Test>::HolderRemoved);
		assert_noop!(DataAccess::suspend_holder(root(), utility), Error::<Test>::HolderRemoved);
		assert_noop!(
			DataAccess::anchor_log(origin(UTILITY), 0, H256::zero(), 0, 0, 1, H256::zero()),
			Error::<Test>::NotAHolder
		);
		let again = approve(UTILITY);
		assert_ne!(again, utility);
		// At most MaxHolders (3) ever.
		approve(PLANNER);
		assert_noop!(
			DataAccess::approve_holder(root(), account(OTHER), name("fourth"), description()),
			Error::<Test>::TooManyHolders
		);
	});
}

// ------------------------------------------------------------------ grants

#[test]
fn a_grant_holds_its_deposit_and_every_bad_grant_has_its_error() {
	new_test_ext().execute_with(|| {
		let utility = approve(UTILITY);
		let t = now();
		let bad = |holder, category, purpose, start, expiry, devices: Vec<u64>| {
			DataAccess::grant(
				origin(CITIZEN),
				holder,
				category,
				purpose,
				H256::zero(),
				start,
				expiry,
				devices.try_into().unwrap(),
			)
		};
		assert_noop!(bad(9, ENERGY, BILLING, t, t + DAY, vec![]), Error::<Test>::UnknownHolder);
		assert_noop!(bad(utility, 99, BILLING, t, t + DAY, vec![]), Error::<Test>::UnknownCategory);
		assert_noop!(bad(utility, ENERGY, 99, t, t + DAY, vec![]), Error::<Test>::UnknownPurpose);
		assert_noop!(
			bad(utility, ENERGY, BILLING, t + DAY, t + DAY, vec![]),
			Error::<Test>::BadWindow
		);
		assert_noop!(
			bad(utility, ENERGY, BILLING, t - 1, t + DAY, vec![]),
			Error::<Test>::StartsInThePast
		);
		assert_noop!(
			bad(utility, ENERGY, BILLING, t, t + 366 * DAY, vec![]),
			Error::<Test>::TooLong
		);
		add_device(5, &account(CITIZEN));
		add_device(6, &account(OTHER));
		assert_noop!(
			bad(utility, ENERGY, BILLING, t, t + DAY, vec![7]),
			Error::<Test>::UnknownDevice
		);
		assert_noop!(
			bad(utility, ENERGY, BILLING, t, t + DAY, vec![5, 6]),
			Error::<Test>::NotDeviceOwner
		);
		assert_noop!(
			bad(utility, ENERGY, BILLING, t, t + DAY, vec![5, 5]),
			Error::<Test>::DuplicateDevice
		);
		assert_noop!(
			DataAccess::grant(
				origin(POOR),
				utility,
				ENERGY,
				BILLING,
				H256::zero(),
				t,
				t + DAY,
				Default::default()
			),
			Error::<Test>::CannotHoldDeposit
		);
		// A good one: a later start is fine, the deposit is held, the event tells all.
		assert_ok!(bad(utility, ENERGY, BILLING, t + HOUR, t + DAY, vec![5]));
		assert_eq!(
			last_event(),
			Event::Granted {
				grant: 0,
				citizen: account(CITIZEN),
				holder: utility,
				category: ENERGY,
				purpose: BILLING,
				start_ms: t + HOUR,
				expiry_ms: t + DAY,
			}
			.into()
		);
		assert_eq!(held(CITIZEN), GRANT_DEPOSIT);
		let stored = Grants::<Test>::get(0).unwrap();
		assert_eq!(
			(stored.deposit, stored.revoked_at_ms, stored.open),
			(GRANT_DEPOSIT, None, true)
		);
		assert_eq!(stored.devices.into_inner(), vec![5]);
		assert_eq!(GrantsOf::<Test>::get(account(CITIZEN)).into_inner(), vec![0]);
		assert_eq!(DataAccess::grants_of(&account(CITIZEN)).len(), 1);
	});
}

#[test]
fn revoking_takes_effect_at_once_and_returns_the_deposit() {
	new_test_ext().execute_with(|| {
		let utility = approve(UTILITY);
		let id = grant(CITIZEN, utility);
		set_now(now() + HOUR);
		assert_noop!(DataAccess::revoke(origin(OTHER), id), Error::<Test>::NotYourGrant);
		assert_noop!(DataAccess::revoke(origin(CITIZEN), 99), Error::<Test>::UnknownGrant);
		let revoked_at = now();
		assert_ok!(DataAccess::revoke(origin(CITIZEN), id));
		assert_eq!(last_event(), Event::Revoked { grant: id, at_ms: revoked_at }.into());
		assert_eq!(held(CITIZEN), 0);
		let stored = Grants::<Test>::get(id).unwrap();
		assert_eq!((stored.revoked_at_ms, stored.open), (Some(revoked_at), false));
		assert_noop!(DataAccess::revoke(origin(CITIZEN), id), Error::<Test>::AlreadyClosed);
		assert_noop!(DataAccess::release_expired(origin(OTHER), id), Error::<Test>::AlreadyClosed);
		// Covered just before the revocation, not at it or after.
		let before = entry(CITIZEN, AccessBasis::Grant(id), revoked_at - 1);
		let at = entry(CITIZEN, AccessBasis::Grant(id), revoked_at);
		assert_eq!(DataAccess::coverage(utility, &before), Coverage::Grant(id));
		assert_eq!(DataAccess::coverage(utility, &at), Coverage::NotCovered(NotCovered::Revoked));
	});
}

#[test]
fn an_expired_grant_is_released_by_anyone_and_cannot_be_revoked() {
	new_test_ext().execute_with(|| {
		let utility = approve(UTILITY);
		let id = grant(CITIZEN, utility);
		let expiry = Grants::<Test>::get(id).unwrap().expiry_ms;
		assert_noop!(DataAccess::release_expired(origin(OTHER), id), Error::<Test>::NotExpired);
		assert_noop!(DataAccess::release_expired(origin(OTHER), 99), Error::<Test>::UnknownGrant);
		set_now(expiry - 1);
		assert_noop!(DataAccess::release_expired(origin(OTHER), id), Error::<Test>::NotExpired);
		set_now(expiry);
		assert_noop!(DataAccess::revoke(origin(CITIZEN), id), Error::<Test>::Expired);
		let free = Balances::balance(&account(CITIZEN));
		assert_ok!(DataAccess::release_expired(origin(OTHER), id));
		assert_eq!(last_event(), Event::Released { grant: id }.into());
		assert_eq!(held(CITIZEN), 0);
		assert_eq!(Balances::balance(&account(CITIZEN)), free + GRANT_DEPOSIT);
		assert_noop!(DataAccess::release_expired(origin(OTHER), id), Error::<Test>::AlreadyClosed);
		// Still in the citizen's history.
		assert!(!DataAccess::grants_of(&account(CITIZEN))[0].1.open);
		// Timing: covered from start to just before expiry.
		let start = Grants::<Test>::get(id).unwrap().start_ms;
		let at = |t| DataAccess::coverage(utility, &entry(CITIZEN, AccessBasis::Grant(id), t));
		assert_eq!(at(start - 1), Coverage::NotCovered(NotCovered::BeforeStart));
		assert_eq!(at(start), Coverage::Grant(id));
		assert_eq!(at(expiry - 1), Coverage::Grant(id));
		assert_eq!(at(expiry), Coverage::NotCovered(NotCovered::Expired));
	});
}

#[test]
fn a_full_history_forgets_its_oldest_closed_grant_but_never_an_open_one() {
	new_test_ext().execute_with(|| {
		let utility = approve(UTILITY);
		let ids: Vec<GrantId> = (0..MAX_GRANTS).map(|_| grant(CITIZEN, utility)).collect();
		assert_eq!(held(CITIZEN), GRANT_DEPOSIT * MAX_GRANTS as u128);
		assert_noop!(try_grant(CITIZEN, utility, ENERGY), Error::<Test>::TooManyGrants);
		assert_ok!(DataAccess::revoke(origin(CITIZEN), ids[2]));
		assert_ok!(DataAccess::revoke(origin(CITIZEN), ids[1]));
		let newer = grant(CITIZEN, utility);
		assert!(System::events()
			.iter()
			.any(|r| r.event == Event::Forgotten { grant: ids[1] }.into()));
		assert_eq!(Grants::<Test>::get(ids[1]), None);
		assert_eq!(
			GrantsOf::<Test>::get(account(CITIZEN)).into_inner(),
			vec![ids[0], ids[2], ids[3], newer]
		);
		assert_eq!(held(CITIZEN), GRANT_DEPOSIT * (MAX_GRANTS as u128 - 1));
		// A forgotten grant covers nothing.
		let forgotten = entry(CITIZEN, AccessBasis::Grant(ids[1]), now());
		assert_eq!(
			DataAccess::coverage(utility, &forgotten),
			Coverage::NotCovered(NotCovered::ForgottenGrant)
		);
	});
}

#[test]
fn coverage_checks_citizen_holder_category_purpose_and_legal_basis() {
	new_test_ext().execute_with(|| {
		let utility = approve(UTILITY);
		let planner = approve(PLANNER);
		let id = grant(CITIZEN, utility);
		let t = now() + 1;
		let mut e = entry(CITIZEN, AccessBasis::Grant(id), t);
		assert_eq!(DataAccess::coverage(utility, &e), Coverage::Grant(id));
		assert_eq!(
			DataAccess::coverage(planner, &e),
			Coverage::NotCovered(NotCovered::OtherHolder)
		);
		e.citizen = account(OTHER);
		assert_eq!(
			DataAccess::coverage(utility, &e),
			Coverage::NotCovered(NotCovered::OtherCitizen)
		);
		e.citizen = account(CITIZEN);
		e.category = RIDES;
		assert_eq!(
			DataAccess::coverage(utility, &e),
			Coverage::NotCovered(NotCovered::OtherCategory)
		);
		e.category = ENERGY;
		e.purpose = PLANNING;
		assert_eq!(
			DataAccess::coverage(utility, &e),
			Coverage::NotCovered(NotCovered::OtherPurpose)
		);
		let court = entry(OTHER, AccessBasis::LegalBasis(COURT_ORDER), t);
		assert_eq!(DataAccess::coverage(planner, &court), Coverage::LegalBasis(COURT_ORDER));
		let made_up = entry(OTHER, AccessBasis::LegalBasis(99), t);
		assert_eq!(
			DataAccess::coverage(planner, &made_up),
			Coverage::NotCovered(NotCovered::UnknownLegalBasis)
		);
	});
}

// ------------------------------------------------------------------ anchors

#[test]
fn anchors_form_a_hash_chain_without_gaps() {
	new_test_ext().execute_with(|| {
		let utility = approve(UTILITY);
		let t = now();
		let call = |batch, root: H256, start, end, count, previous: H256| {
			DataAccess::anchor_log(origin(UTILITY), batch, root, start, end, count, previous)
		};
		let (r0, r1) = (H256::repeat_byte(1), H256::repeat_byte(2));
		assert_noop!(
			DataAccess::anchor_log(origin(OTHER), 0, r0, t - HOUR, t, 1, H256::zero()),
			Error::<Test>::NotAHolder
		);
		assert_noop!(call(1, r0, t - HOUR, t, 1, H256::zero()), Error::<Test>::WrongBatch);
		assert_noop!(call(0, r0, t - HOUR, t, 1, r1), Error::<Test>::WrongPreviousRoot);
		assert_noop!(call(0, r0, t - HOUR, t, 0, H256::zero()), Error::<Test>::EmptyBatch);
		assert_noop!(call(0, r0, t - HOUR, t, 1_001, H256::zero()), Error::<Test>::TooManyEntries);
		assert_noop!(call(0, r0, t, t - 1, 1, H256::zero()), Error::<Test>::BadPeriod);
		assert_noop!(call(0, r0, t, t + 60_001, 1, H256::zero()), Error::<Test>::BadPeriod);
		// Accesses are anchored within a week: no backdating before a revocation.
		assert_noop!(call(0, r0, t - 7 * DAY - 1, t, 1, H256::zero()), Error::<Test>::BadPeriod);
		assert_noop!(
			DataAccess::anchor_log(origin(POOR), 0, r0, t - HOUR, t, 1, H256::zero()),
			Error::<Test>::NotAHolder
		);
		assert_ok!(call(0, r0, t - HOUR, t, 3, H256::zero()));
		assert_eq!(
			last_event(),
			Event::LogAnchored { holder: utility, batch: 0, root: r0, count: 3 }.into()
		);
		assert_eq!(held(UTILITY), ANCHOR_DEPOSIT);
		let holder = Holders::<Test>::get(utility).unwrap();
		assert_eq!((holder.next_batch, holder.last_root, holder.last_period_end_ms), (1, r0, t));
		// The same batch again, a rewritten one, a gap, an overlap: refused.
		assert_noop!(call(0, r1, t - HOUR, t, 3, H256::zero()), Error::<Test>::WrongBatch);
		assert_noop!(call(2, r1, t, t, 1, r0), Error::<Test>::WrongBatch);
		assert_noop!(call(1, r1, t, t, 1, H256::zero()), Error::<Test>::WrongPreviousRoot);
		assert_noop!(call(1, r1, t - 1, t, 1, r0), Error::<Test>::PeriodOverlap);
		// Periods include both ends: starting at the latest one's end overlaps by a moment.
		assert_noop!(call(1, r1, t, t + 1_000, 1, r0), Error::<Test>::PeriodOverlap);
		assert_ok!(call(1, r1, t + 1, t + 1_000, 1, r0));
		assert_eq!(held(UTILITY), 2 * ANCHOR_DEPOSIT);
		let page = DataAccess::anchor_page(utility, 0, 10);
		assert_eq!(page.anchors.len(), 2);
		assert_eq!((page.breaks.len(), page.next), (0, None));
		let page = DataAccess::anchor_page(utility, 0, 1);
		assert_eq!((page.anchors.len(), page.next), (1, Some(1)));
		let page = DataAccess::anchor_page(utility, 1, 1);
		assert_eq!((page.anchors[0].0, page.breaks.len()), (1, 0));
	});
}

#[test]
fn a_page_of_anchors_reports_a_break_in_the_chain() {
	new_test_ext().execute_with(|| {
		let utility = approve(UTILITY);
		let t = now();
		for i in 0..3u8 {
			let holder = Holders::<Test>::get(utility).unwrap();
			assert_ok!(DataAccess::anchor_log(
				origin(UTILITY),
				holder.next_batch,
				H256::repeat_byte(i + 1),
				t + 2 * u64::from(i),
				t + 2 * u64::from(i),
				1,
				holder.last_root
			));
		}
		// Storage rewritten behind the pallet's back (what the chain itself never allows).
		Anchors::<Test>::mutate(utility, 1, |a| a.as_mut().unwrap().root = H256::repeat_byte(9));
		let page = DataAccess::anchor_page(utility, 0, 10);
		assert_eq!(page.breaks, vec![2]);
		Anchors::<Test>::remove(utility, 1);
		let page = DataAccess::anchor_page(utility, 0, 10);
		assert_eq!((page.anchors.len(), page.breaks.clone()), (2, vec![1, 2]));
		assert_eq!(DataAccess::anchor_page(99, 0, 10).anchors.len(), 0);
	});
}

// ------------------------------------------------------------------ verification

#[test]
fn a_citizen_proves_covered_accesses_and_flags_one_after_revocation() {
	new_test_ext().execute_with(|| {
		let utility = approve(UTILITY);
		let id = grant(CITIZEN, utility);
		let t = now();
		set_now(t + 2 * HOUR);
		assert_ok!(DataAccess::revoke(origin(CITIZEN), id));
		let revoked = now();
		set_now(t + 3 * HOUR);
		// The utility's log: two accesses under the grant, one after its revocation, and one
		// of another citizen's under a court order.
		let entries = vec![
			entry(CITIZEN, AccessBasis::Grant(id), t + 10),
			entry(CITIZEN, AccessBasis::Grant(id), t + HOUR),
			entry(CITIZEN, AccessBasis::Grant(id), revoked + 5),
			entry(OTHER, AccessBasis::LegalBasis(COURT_ORDER), revoked + 6),
		];
		let root = anchor(UTILITY, &entries, (t, now()));
		assert_eq!(Anchors::<Test>::get(utility, 0).unwrap().root, root);
		let verdicts: Vec<AccessVerdict> = (0..4)
			.map(|i| {
				DataAccess::verify_access(
					utility,
					0,
					&entries[i],
					i as u32,
					&proof(&entries, i as u32),
				)
			})
			.collect();
		assert!(verdicts.iter().all(|v| v.in_batch && v.not_in_batch.is_none()));
		assert_eq!(verdicts[0].coverage, Coverage::Grant(id));
		assert_eq!(verdicts[1].coverage, Coverage::Grant(id));
		assert_eq!(verdicts[2].coverage, Coverage::NotCovered(NotCovered::Revoked));
		assert_eq!(verdicts[3].coverage, Coverage::LegalBasis(COURT_ORDER));
		// A tampered entry, a wrong index, a wrong batch or holder, a long proof: not proven.
		let mut tampered = entries[0].clone();
		tampered.data_hash = H256::repeat_byte(0xbb);
		let bad = |holder, batch, e: &EntryOf<Test>, index, p: &[H256]| {
			DataAccess::verify_access(holder, batch, e, index, p).not_in_batch
		};
		let p0 = proof(&entries, 0);
		assert_eq!(bad(utility, 0, &tampered, 0, &p0), Some(NotInBatch::BadProof));
		assert_eq!(bad(utility, 0, &entries[0], 1, &p0), Some(NotInBatch::BadProof));
		assert_eq!(bad(utility, 1, &entries[0], 0, &p0), Some(NotInBatch::UnknownBatch));
		assert_eq!(bad(42, 0, &entries[0], 0, &p0), Some(NotInBatch::UnknownHolder));
		assert_eq!(
			bad(utility, 0, &entries[0], 0, &[H256::zero(); MAX_PROOF_LEN as usize + 1]),
			Some(NotInBatch::ProofTooLong)
		);
		let mut outside = entries[0].clone();
		outside.time_ms = t - 1;
		assert_eq!(bad(utility, 0, &outside, 0, &p0), Some(NotInBatch::OutsidePeriod));
		// A verdict on an entry not in the batch still judges its coverage.
		assert_eq!(
			DataAccess::verify_access(utility, 0, &tampered, 0, &p0).coverage,
			Coverage::Grant(id)
		);
	});
}

#[test]
fn log_entries_encode_as_the_readme_says() {
	let entry = AccessEntry {
		citizen: account(1),
		category: 0x0102,
		purpose: 0x0304,
		device: Some(0x09),
		basis: AccessBasis::Grant(0x05),
		time_ms: 0x0607,
		data_hash: H256::repeat_byte(0xaa),
	};
	let bytes = entry.encode();
	assert_eq!(bytes.len(), 94);
	assert_eq!(&bytes[..32], &[1u8; 32]);
	assert_eq!(&bytes[32..36], &[0x02, 0x01, 0x04, 0x03]);
	assert_eq!(&bytes[36..45], &[1, 9, 0, 0, 0, 0, 0, 0, 0]);
	assert_eq!(&bytes[45..54], &[0, 5, 0, 0, 0, 0, 0, 0, 0]);
	assert_eq!(&bytes[54..62], &[7, 6, 0, 0, 0, 0, 0, 0]);
	assert_eq!(&bytes[62..], &[0xaa; 32]);
	let legal =
		AccessEntry { device: None, basis: AccessBasis::LegalBasis(0x0809), ..entry.clone() };
	let bytes = legal.encode();
	assert_eq!(bytes.len(), 80);
	assert_eq!(&bytes[36..40], &[0, 1, 0x09, 0x08]);
	assert_eq!(&bytes[40..48], &[7, 6, 0, 0, 0, 0, 0, 0]);
	// The README's worked example: its leaf hash and a two-entry batch's root.
	println!("README leaf {}", hex(&sp_io::hashing::blake2_256(&entry.encode())));
	let root = city_device::merkle_root_of([entry.encode(), legal.encode()]);
	println!("README root {}", hex(root.as_bytes()));
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_grant_for_named_devices_covers_only_their_data() {
	new_test_ext().execute_with(|| {
		let utility = approve(UTILITY);
		add_device(5, &account(CITIZEN));
		add_device(6, &account(CITIZEN));
		let id = NextGrantId::<Test>::get();
		assert_ok!(DataAccess::grant(
			origin(CITIZEN),
			utility,
			ENERGY,
			BILLING,
			H256::zero(),
			now(),
			now() + DAY,
			vec![5].try_into().unwrap()
		));
		let of = |device| AccessEntry { device, ..entry(CITIZEN, AccessBasis::Grant(id), now()) };
		assert_eq!(DataAccess::coverage(utility, &of(Some(5))), Coverage::Grant(id));
		assert_eq!(
			DataAccess::coverage(utility, &of(Some(6))),
			Coverage::NotCovered(NotCovered::OtherDevice)
		);
		assert_eq!(
			DataAccess::coverage(utility, &of(None)),
			Coverage::NotCovered(NotCovered::OtherDevice)
		);
		// A grant naming no device covers the category's data of any device.
		let general = grant(CITIZEN, utility);
		let any =
			AccessEntry { device: Some(6), ..entry(CITIZEN, AccessBasis::Grant(general), now()) };
		assert_eq!(DataAccess::coverage(utility, &any), Coverage::Grant(general));
	});
}

#[test]
fn grants_to_removed_holders_and_far_future_starts_are_refused() {
	new_test_ext().execute_with(|| {
		let utility = approve(UTILITY);
		assert_noop!(
			DataAccess::grant(
				origin(CITIZEN),
				utility,
				ENERGY,
				BILLING,
				H256::zero(),
				now() + 366 * DAY,
				now() + 367 * DAY,
				Default::default()
			),
			Error::<Test>::TooLong
		);
		assert_ok!(DataAccess::remove_holder(root(), utility));
		assert_noop!(try_grant(CITIZEN, utility, ENERGY), Error::<Test>::HolderNotApproved);
	});
}

#[test]
fn a_poor_holder_cannot_anchor_and_a_forgotten_grant_is_told_apart() {
	new_test_ext().execute_with(|| {
		let poor = approve(POOR);
		let t = now();
		assert_noop!(
			DataAccess::anchor_log(origin(POOR), 0, H256::repeat_byte(1), t, t, 1, H256::zero()),
			Error::<Test>::CannotHoldDeposit
		);
		let utility = approve(UTILITY);
		let first = grant(CITIZEN, utility);
		assert_ok!(DataAccess::revoke(origin(CITIZEN), first));
		for _ in 0..MAX_GRANTS {
			grant(CITIZEN, utility);
		}
		let e = entry(CITIZEN, AccessBasis::Grant(first), t);
		assert_eq!(
			DataAccess::coverage(utility, &e),
			Coverage::NotCovered(NotCovered::ForgottenGrant)
		);
		let never = entry(CITIZEN, AccessBasis::Grant(1_000), t);
		assert_eq!(
			DataAccess::coverage(utility, &never),
			Coverage::NotCovered(NotCovered::UnknownGrant)
		);
		let _ = poor;
	});
}

#[test]
fn every_entry_of_odd_sized_batches_verifies_and_no_other_index_does() {
	new_test_ext().execute_with(|| {
		let utility = approve(UTILITY);
		let id = grant(CITIZEN, utility);
		let mut from = now();
		for size in [1usize, 3, 5, 7] {
			set_now(now() + HOUR);
			let entries: Vec<EntryOf<Test>> = (0..size)
				.map(|i| entry(CITIZEN, AccessBasis::Grant(id), from + 1 + i as u64))
				.collect();
			anchor(UTILITY, &entries, (from + 1, now()));
			let batch = Holders::<Test>::get(utility).unwrap().next_batch - 1;
			for (i, e) in entries.iter().enumerate() {
				let p = proof(&entries, i as u32);
				let verdict = DataAccess::verify_access(utility, batch, e, i as u32, &p);
				assert!(verdict.in_batch, "size {size} leaf {i}");
				assert_eq!(verdict.anchored_at_ms, Some(now()));
				// The same proof at any other index, or the leaf index past the count: no.
				for j in 0..=size as u32 {
					if j != i as u32 {
						let other = DataAccess::verify_access(utility, batch, e, j, &p);
						assert_eq!(
							other.not_in_batch,
							Some(NotInBatch::BadProof),
							"{size} {i} {j}"
						);
					}
				}
			}
			from = now();
		}
		// A 64-byte leaf (an inner node's preimage) is never a leaf.
		let pair = [H256::repeat_byte(1).0, H256::repeat_byte(2).0].concat();
		let root = city_device::merkle_root_of([pair.clone(), vec![0u8; 80]]);
		assert!(!city_device::verify_leaf(
			&root,
			2,
			0,
			&pair,
			&[sp_io::hashing::blake2_256(&[0u8; 80]).into()]
		));
	});
}

// ------------------------------------------------------------------ conservation

mod conservation {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Step {
		Grant(u8),
		Revoke(u8, u8),
		Release(u8),
		Advance(u64),
		Anchor,
	}

	fn step() -> impl Strategy<Value = Step> {
		prop_oneof![
			(0u8..3).prop_map(Step::Grant),
			(0u8..3, 0u8..16).prop_map(|(c, g)| Step::Revoke(c, g)),
			(0u8..16).prop_map(Step::Release),
			(0u64..3 * DAY).prop_map(Step::Advance),
			Just(Step::Anchor),
		]
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]
		/// Whatever citizens and the holder do, total issuance never changes, and what is held
		/// is exactly the open grants' deposits plus the anchors' deposits.
		#[test]
		fn deposits_add_up_on_every_path(steps in proptest::collection::vec(step(), 1..40)) {
			new_test_ext().execute_with(|| {
				let utility = approve(UTILITY);
				let issuance = Balances::total_issuance();
				let citizens = [CITIZEN, OTHER, POOR];
				for step in steps {
					let _ = match step {
						Step::Grant(c) => DataAccess::grant(
							origin(citizens[c as usize]),
							utility,
							ENERGY,
							BILLING,
							H256::zero(),
							now(),
							now() + DAY,
							Default::default(),
						),
						Step::Revoke(c, g) => {
							DataAccess::revoke(origin(citizens[c as usize]), u64::from(g))
						}
						Step::Release(g) => DataAccess::release_expired(origin(OTHER), u64::from(g)),
						Step::Advance(ms) => {
							set_now(now() + ms);
							Ok(())
						}
						Step::Anchor => {
							let h = Holders::<Test>::get(utility).unwrap();
							DataAccess::anchor_log(
								origin(UTILITY),
								h.next_batch,
								H256::repeat_byte(h.next_batch as u8),
								(h.last_period_end_ms + 1).max(now() - 1),
								now(),
								1,
								h.last_root,
							)
						}
					};
					prop_assert_eq!(Balances::total_issuance(), issuance);
					let open: Balance =
						Grants::<Test>::iter_values().filter(|g| g.open).map(|g| g.deposit).sum();
					let held_for_grants: Balance = citizens.iter().map(|c| held(*c)).sum();
					prop_assert_eq!(open, held_for_grants);
					let anchors = Anchors::<Test>::iter_prefix_values(utility).count() as Balance;
					prop_assert_eq!(held(UTILITY), anchors * ANCHOR_DEPOSIT);
					for c in citizens {
						for (_, g) in DataAccess::grants_of(&account(c)) {
							prop_assert_eq!(g.deposit, GRANT_DEPOSIT);
							prop_assert!(g.revoked_at_ms.is_none() || !g.open);
						}
					}
				}
				Ok(())
			})?;
		}
	}
}

/// What other pallets ask (civic credits' consent): the citizen's grant to that holder for that
/// category, covering the device, live at that time.
#[test]
fn other_pallets_see_a_consent_only_while_it_is_live_and_only_as_granted() {
	use city_primitives::ConsentLookup;
	new_test_ext().execute_with(|| {
		let holder = approve(UTILITY);
		let (citizen, other) = (account(CITIZEN), account(OTHER));
		add_device(5, &citizen);
		let id = NextGrantId::<Test>::get();
		let devices: DevicesOf<Test> = vec![5].try_into().unwrap();
		assert_ok!(DataAccess::grant(
			origin(CITIZEN),
			holder,
			ENERGY,
			BILLING,
			H256::zero(),
			now() + 10,
			now() + DAY,
			devices,
		));
		let live = |grant, who: &AccountId, holder, category, device, at| {
			<DataAccess as ConsentLookup<AccountId>>::consent_live(
				grant, who, holder, category, device, at,
			)
		};
		let t = now() + 10;
		assert!(live(id, &citizen, holder, ENERGY, 5, t));
		// Before its start, at its expiry, for another citizen, holder, category or device, or
		// an unknown grant: no.
		assert!(!live(id, &citizen, holder, ENERGY, 5, t - 1));
		assert!(!live(id, &citizen, holder, ENERGY, 5, now() + DAY));
		assert!(!live(id, &other, holder, ENERGY, 5, t));
		assert!(!live(id, &citizen, holder + 1, ENERGY, 5, t));
		assert!(!live(id, &citizen, holder, RIDES, 5, t));
		assert!(!live(id, &citizen, holder, ENERGY, 6, t));
		assert!(!live(id + 1, &citizen, holder, ENERGY, 5, t));
		// Revoked: not from the revocation on.
		set_now(t + 100);
		assert_ok!(DataAccess::revoke(origin(CITIZEN), id));
		assert!(live(id, &citizen, holder, ENERGY, 5, t + 99));
		assert!(!live(id, &citizen, holder, ENERGY, 5, t + 100));
	});
}
