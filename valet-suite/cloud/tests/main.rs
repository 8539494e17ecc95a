//! The reference cloud's conformance tests, one binary: the engine; Keystone, the Valet API,
//! Heat and Nova over real HTTP, across restarts; a property test of stacks against brute
//! force; and python-openstackclient with python-heatclient driving it.

mod common;

mod server_disk_full;
mod server_engine;
mod server_heat;
mod server_heat_properties;
mod server_hostile;
mod server_keystone;
mod server_kill;
mod server_load;
mod server_local;
mod server_openstack_client;
mod server_restart;
mod server_valet;
