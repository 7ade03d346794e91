//! End-to-end tests: they drive the built `citychain-node` binary on loopback. One test binary
//! (one link of the node's dependencies), run with `--test-threads=1`: every scenario starts
//! its own nodes on its own ports, and two networks at once would overload a 2-core machine.

#![allow(clippy::unwrap_used)]

mod common;

mod attestation;
mod chain_spec;
mod dev_node;
mod device_registry;
mod local_network;
mod validator_set;
