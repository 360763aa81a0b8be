//! Groups. This step holds the rules ([`rules`]): who may do what in which type of group,
//! decided on the server from one table. The group service, its store and its operations
//! build on it.

pub mod rules;
