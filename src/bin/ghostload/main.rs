//! The `ghostload` command-line tool.

fn main() {}
