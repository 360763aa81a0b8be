//! Server integration tests: the store conformance suite on SQLite, and the gateway over real
//! WebSocket and HTTP connections to a server on 127.0.0.1:0.

mod gateway;
mod limits;
mod media;
mod rest;
mod store;
