//! The reference cloud's conformance tests, one binary: the engine, and Keystone and the Valet
//! API over real HTTP, across restarts.

mod common;

mod server_engine;
mod server_heat;
mod server_heat_properties;
mod server_keystone;
mod server_openstack_client;
mod server_restart;
mod server_valet;
