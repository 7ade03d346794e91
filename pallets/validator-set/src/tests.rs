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
	new_test_ext().execute_with(|| {
		assert_eq!(validators(), vec![1, 2, 3, 4]);
		assert_eq!(Set::new_session_genesis(0), Some(vec![1, 2, 3, 4]));
		assert!(!SetChanged::<Test>::get());
	});
}

#[test]
fn add_validator_joins_at_the_next_session() {
	new_test_ext().execute_with(|| {
		assert_eq!(Set::new_session(1), None, "no change, no new set");
		assert_ok!(Set::add_validator(RuntimeOrigin::root(), 5));
		assert_eq!(validators(), vec![1, 2, 3, 4, 5]);
		assert!(SetChanged::<Test>::get());
		assert_eq!(last_event(), Event::ValidatorAdded { who: 5 }.into());
		assert_eq!(Set::new_session(2), Some(vec![1, 2, 3, 4, 5]));
		assert_eq!(last_event(), Event::NewSetQueued { session: 2, validators: 5 }.into());
		assert!(!SetChanged::<Test>::get());
		assert_eq!(Set::new_session(3), None, "handed over once");
	});
}

#[test]
fn add_validator_errors() {
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
		assert_ok!(Set::remove_validator(RuntimeOrigin::root(), 2));
		assert_eq!(validators(), vec![1, 3, 4]);
		assert_eq!(last_event(), Event::ValidatorRemoved { who: 2 }.into());
		assert_eq!(Set::new_session(1), Some(vec![1, 3, 4]));
	});
}

#[test]
fn remove_validator_errors() {
	new_test_ext().execute_with(|| {
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
fn validators_without_keys_are_skipped_but_never_below_the_minimum() {
	new_test_ext().execute_with(|| {
		// Validator 4 purges its keys: it drops out at the next session.
		set_keyed(&[1, 2, 3]);
		assert_eq!(Set::new_session(1), Some(vec![1, 2, 3]));
		assert!(System::events()
			.iter()
			.any(|r| r.event == Event::ValidatorWithoutKeysSkipped { session: 1, who: 4 }.into()));
		// Two more lose their keys: the set would fall below the minimum, so it is kept.
		set_keyed(&[1]);
		assert_eq!(Set::new_session(2), None);
	});
}

#[test]
fn note_stalled_reaches_the_finality_gadget() {
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
