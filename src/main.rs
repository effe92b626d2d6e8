use std::process::ExitCode;

fn main() -> ExitCode {
    rolesmith::cli::main()
}
