//! `citychain-node`: the CityChain node (Aura + GRANDPA, ParityDB, `city_*` JSON-RPC).

// `sc_cli::Error` and `sc_service::Error` are upstream's (and large); the node returns them as
// they are.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
