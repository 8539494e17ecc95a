//! Talking to the embedded server over real HTTP.

#![allow(dead_code)]

pub mod http;
