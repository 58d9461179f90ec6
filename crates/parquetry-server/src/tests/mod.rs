//! The server's tests over real stores and real HTTP connections.

mod logs_and_traces;
mod prometheus;
mod receive;
mod receive_push;
mod rules;
mod server;
