//! SDK integration tests: the real server in process on 127.0.0.1:0 (SQLite in a temp dir),
//! driven through the SDK over WebSocket.

mod support;

mod bad_input;
mod blacklist;
mod cluster;
mod conversations;
mod faults;
mod friends;
mod group_admin;
mod group_messages;
mod group_rules;
mod groups;
mod media;
mod message_ops;
mod messaging;
mod profiles;
mod rest;
mod session;
mod storm;
mod tls;
mod webhooks;
