//! Prints the worked example of the pallets' READMEs (`cargo run -p city-device --example
//! worked_example`): a reading, its signing payload and ed25519 signature, a five-reading batch
//! with its root, anchor, payload and a proof, and a registration proof. The crate's tests check
//! that the READMEs show exactly these bytes.

use city_device::{
	batch_payload, merkle_proof, merkle_root, reading_payload, register_payload, worked_example,
	BatchAnchor, DeviceSigner, Ed25519Signer, Reading,
};
use codec::Encode;

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn line(name: &str, bytes: &[u8]) {
	println!("- `{name}`: `0x{}`", hex(bytes));
}

fn main() {
	let genesis = worked_example::GENESIS;
	let device = Ed25519Signer::from_seed(worked_example::SEED);
	let reading = worked_example::reading();
	println!("Reading example (genesis hash 0x11 x 32, key epoch 0, ed25519 seed 0x07 x 32):");
	line("device key", &device.public().encode());
	line("reading", &reading.encode());
	let payload = reading_payload(&genesis, 0, &reading);
	line("reading payload", &payload);
	line("reading signature", &device.sign(&payload).encode());

	println!("\nBatch example (readings 1 to 5, one a minute, values 1,250 to 1,290 Wh):");
	let batch: Vec<Reading> = worked_example::batch();
	let root = merkle_root(&batch);
	line("batch root", root.as_bytes());
	let anchor = BatchAnchor {
		device: 7,
		batch_seq: 1,
		period_start_ms: 1_790_000_000_000,
		period_end_ms: 1_790_000_240_000,
		count: 5,
		root,
	};
	line("anchor", &anchor.encode());
	line("batch payload", &batch_payload(&genesis, 0, &anchor));
	let proof: Vec<u8> =
		merkle_proof(&batch, 4).unwrap_or_default().iter().flat_map(|h| h.0).collect();
	line("proof of leaf 4", &proof);

	println!("\nRegistration example (owner 0xaa x 32):");
	let owner = worked_example::OWNER;
	let payload = register_payload(&genesis, &owner, &device.public());
	line("registration payload", &payload);
	line("proof of possession", &device.sign(&payload).encode());
}
