//! `citychain-node`: the CityChain node (Aura + GRANDPA, ParityDB, `city_*` JSON-RPC).

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
