//! Tests of the validator set: calls, errors, and the hand-over to pallet-session.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok};
use pallet_session::SessionManager;
use sp_runtime::DispatchError;

type Set = crate::Pallet<Test>;

fn validators() -> Vec<u64> {
	Validators::<Test>::get().into_inner()
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

#[test]
fn genesis_sets_the_initial_validators() {
	run(|| {
		assert_eq!(validators(), vec![1, 2, 3, 4]);
		assert_eq!(Set::new_session_genesis(0), Some(vec![1, 2, 3, 4]));
		assert_eq!(SessionLength::<Test>::get(), 10);
	});
}

#[test]
fn add_validator_joins_at_the_next_session() {
	run(|| {
		assert_eq!(rotate(1), None, "no change, no new set");
		assert_ok!(Set::add_validator(RuntimeOrigin::root(), 5));
		assert_eq!(validators(), vec![1, 2, 3, 4, 5]);
		assert_eq!(last_event(), Event::ValidatorAdded { who: 5 }.into());
		assert_eq!(rotate(2), Some(vec![1, 2, 3, 4, 5]));
		assert_eq!(last_event(), Event::NewSetQueued { session: 2, validators: 5 }.into());
		assert_eq!(QUEUED.with(|q| q.borrow().clone()), vec![1, 2, 3, 4, 5]);
		assert_eq!(rotate(3), None, "handed over once");
	});
}

#[test]
fn add_validator_errors() {
	run(|| {
		assert_noop!(Set::add_validator(RuntimeOrigin::signed(1), 5), DispatchError::BadOrigin);
		assert_noop!(Set::add_validator(RuntimeOrigin::root(), 2), Error::<Test>::AlreadyValidator);
		assert_noop!(Set::add_validator(RuntimeOrigin::root(), 9), Error::<Test>::NoSessionKeys);
		assert_ok!(Set::add_validator(RuntimeOrigin::root(), 5));
		assert_noop!(
			Set::add_validator(RuntimeOrigin::root(), 6),
			Error::<Test>::TooManyValidators
		);
	});
}

#[test]
fn remove_validator_leaves_at_the_next_session() {
	run(|| {
		assert_ok!(Set::remove_validator(RuntimeOrigin::root(), 2));
		assert_eq!(validators(), vec![1, 3, 4]);
		assert_eq!(last_event(), Event::ValidatorRemoved { who: 2 }.into());
		assert_eq!(rotate(1), Some(vec![1, 3, 4]));
	});
}

#[test]
fn remove_validator_errors() {
	run(|| {
		assert_noop!(Set::remove_validator(RuntimeOrigin::signed(1), 2), DispatchError::BadOrigin);
		assert_noop!(Set::remove_validator(RuntimeOrigin::root(), 9), Error::<Test>::NotValidator);
		assert_ok!(Set::remove_validator(RuntimeOrigin::root(), 4));
		assert_noop!(
			Set::remove_validator(RuntimeOrigin::root(), 3),
			Error::<Test>::TooFewValidators
		);
		assert_eq!(validators(), vec![1, 2, 3]);
	});
}

#[test]
fn a_validator_without_keys_is_not_a_change_every_session() {
	run(|| {
		// Keys lost outside governance (e.g. root): the set is handed once without it ...
		set_keyed(&[1, 2, 3, 5, 6]);
		assert_eq!(rotate(1), Some(vec![1, 2, 3]));
		System::assert_has_event(Event::ValidatorWithoutKeysSkipped { session: 1, who: 4 }.into());
		// ... and not again at every session while it stays without keys.
		assert_eq!(rotate(2), None);
		assert_eq!(rotate(3), None);
		// Its keys back: one more change.
		set_keyed(&[1, 2, 3, 4]);
		assert_eq!(rotate(4), Some(vec![1, 2, 3, 4]));
	});
}

/// Below the minimum, the set stays (pallet-session then drops the validators without keys by
/// itself); when keys come back, the full set is handed again, though governance changed
/// nothing in between.
#[test]
fn keys_restored_after_a_drop_below_the_minimum_bring_the_set_back() {
	run(|| {
		assert_ok!(Set::set_min_validators(RuntimeOrigin::root(), 4));
		set_keyed(&[1, 2, 3]);
		assert_eq!(rotate(5), None);
		System::assert_last_event(Event::TooFewKeyedValidators { session: 5, keyed: 3 }.into());
		assert_eq!(QUEUED.with(|q| q.borrow().clone()), vec![1, 2, 3]);
		set_keyed(&[1, 2, 3, 4]);
		assert_eq!(rotate(6), Some(vec![1, 2, 3, 4]));
		assert_eq!(QUEUED.with(|q| q.borrow().clone()), vec![1, 2, 3, 4]);
	});
}

#[test]
fn the_minimum_counts_validators_with_keys() {
	run(|| {
		// Validator 4 has no keys (lost outside governance): of four, three count.
		set_keyed(&[1, 2, 3]);
		assert_noop!(
			Set::remove_validator(RuntimeOrigin::root(), 1),
			Error::<Test>::TooFewValidators
		);
		// Removing the keyless one leaves the three keyed: allowed.
		assert_ok!(Set::remove_validator(RuntimeOrigin::root(), 4));
		assert_noop!(
			Set::set_min_validators(RuntimeOrigin::root(), 4),
			Error::<Test>::InvalidMinimum
		);
	});
}

#[test]
fn governed_validators_cannot_purge_their_keys() {
	run(|| {
		assert_noop!(Set::purge_keys(RuntimeOrigin::signed(2)), Error::<Test>::StillValidator);
		assert_noop!(Set::purge_keys(RuntimeOrigin::root()), DispatchError::BadOrigin);
		// Not a validator: it may, and gets its keys removed.
		assert_ok!(Set::purge_keys(RuntimeOrigin::signed(5)));
		assert_eq!(last_event(), Event::KeysPurged { who: 5 }.into());
		assert!(!KEYED.with(|k| k.borrow().contains(&5)));
		// Nothing to purge: the session pallet's error comes through.
		assert_noop!(Set::purge_keys(RuntimeOrigin::signed(5)), DispatchError::Other("no keys"));
		// Once governance removed it, a former validator may purge.
		assert_ok!(Set::remove_validator(RuntimeOrigin::root(), 4));
		assert_ok!(Set::purge_keys(RuntimeOrigin::signed(4)));
	});
}

#[test]
fn the_session_length_is_governed() {
	use frame_support::traits::Get;
	use pallet_session::ShouldEndSession;
	type Periodic = pallet_session::PeriodicSessions<SessionPeriod<Test>, ConstU64<0>>;
	use frame_support::traits::ConstU64;
	run(|| {
		assert!(Periodic::should_end_session(20));
		assert!(!Periodic::should_end_session(25));
		assert_noop!(
			Set::set_session_length(RuntimeOrigin::signed(1), 600),
			DispatchError::BadOrigin
		);
		// Below `MinSessionLength` (5): a rotation every block or two would leave no room for
		// ordinary transactions.
		for too_short in [0, 1, 4] {
			assert_noop!(
				Set::set_session_length(RuntimeOrigin::root(), too_short),
				Error::<Test>::InvalidSessionLength
			);
		}
		assert_eq!(GenesisConfig::<Test>::default().session_length, 5);
		assert_ok!(Set::set_session_length(RuntimeOrigin::root(), 600));
		assert_eq!(last_event(), Event::SessionLengthSet { length: 600 }.into());
		assert_eq!(SessionPeriod::<Test>::get(), 600);
		assert!(!Periodic::should_end_session(20));
		assert!(Periodic::should_end_session(1200));
	});
}

#[test]
fn the_configuration_passes_the_integrity_test() {
	new_test_ext().execute_with(<Set as frame_support::traits::Hooks<u64>>::integrity_test);
}

#[test]
fn note_stalled_reaches_the_finality_gadget() {
	run(|| {
		assert_noop!(
			Set::note_stalled(RuntimeOrigin::signed(1), 10, 100),
			DispatchError::BadOrigin
		);
		assert_ok!(Set::note_stalled(RuntimeOrigin::root(), 10, 100));
		assert_eq!(STALLS.with(|s| s.borrow().clone()), vec![(10, 100)]);
		assert_eq!(
			last_event(),
			Event::FinalityStallNoted { delay: 10, best_finalized: 100 }.into()
		);
	});
}

#[test]
fn set_min_validators_bounds_the_set() {
	run(|| {
		assert_eq!(MinValidators::<Test>::get(), 3);
		assert_noop!(
			Set::set_min_validators(RuntimeOrigin::signed(1), 2),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Set::set_min_validators(RuntimeOrigin::root(), 0),
			Error::<Test>::InvalidMinimum
		);
		assert_noop!(
			Set::set_min_validators(RuntimeOrigin::root(), 5),
			Error::<Test>::InvalidMinimum
		);
		assert_ok!(Set::set_min_validators(RuntimeOrigin::root(), 4));
		assert_eq!(last_event(), Event::MinValidatorsSet { min: 4 }.into());
		assert_noop!(
			Set::remove_validator(RuntimeOrigin::root(), 1),
			Error::<Test>::TooFewValidators
		);
	});
}
