//! End-to-end tests: they drive the built `citychain-node` binary on loopback. One test binary
//! (one link of the node's dependencies). Every scenario holds the harness's lock
//! (`common::serial`), so scenarios run one at a time whatever `--test-threads` says (two
//! networks at once would overload a 2-core machine), on ports the OS picks.

#![allow(clippy::unwrap_used)]

mod common;

mod attestation;
mod bad_input;
mod chain_spec;
mod credits;
mod data_access;
mod dev_node;
mod device_registry;
mod energy;
mod gateway_upgrade;
mod local_network;
mod rides;
mod runtime_upgrade;
mod validator_set;
