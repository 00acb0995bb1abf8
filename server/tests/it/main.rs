//! The `imagegram` binary's integration tests, in one test binary: its subcommands run as a user
//! would run them.

mod admin_cli;
mod client_cli;
mod proxy;
mod render_cli;
