//! Integration tests of opentim-model, one test binary:
//!
//! * `seed`: every JSON example of the seed that carries messages, conversations or the objects
//!   inside them (copied to `fixtures/`), parsed and re-serialised with the same key set and
//!   the same values;
//! * `snapshots`: insta snapshots of a completed instance of every type, so key drift fails;
//! * `behaviour`: element dispatch, enum aliases, 64-bit numbers, completion.

mod behaviour;
mod seed;
mod snapshots;
mod util;
