//! `ws-soak URL [--seconds N] [--lanes N] [--seed N] [--max-size BYTES]
//! [--server-idle-ms N] [--large-in-flight N]`: soaks the echo server at `URL`
//! (see the library docs), prints the tally, and exits 1 if anything went wrong.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use ws_soak::Options;

const USAGE: &str = "usage: ws-soak ws://HOST:PORT [--seconds N] [--lanes N] [--seed N] \
[--max-size BYTES] [--server-idle-ms N] [--large-in-flight N]";

fn parse() -> Result<Options, String> {
    let mut options = Options::default();
    let mut url = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number\n{USAGE}"))
        };
        match arg.as_str() {
            "--seconds" => options.duration = Duration::from_secs(number("--seconds")?),
            "--lanes" => options.lanes = number("--lanes")? as usize,
            "--seed" => options.seed = number("--seed")?,
            "--max-size" => options.max_size = number("--max-size")? as usize,
            "--server-idle-ms" => {
                options.server_idle = Some(Duration::from_millis(number("--server-idle-ms")?))
            }
            "--large-in-flight" => options.large_in_flight = number("--large-in-flight")? as usize,
            "-h" | "--help" => return Err(USAGE.into()),
            other if other.starts_with("ws://") => url = Some(other.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    options.url = url.ok_or(USAGE)?;
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ws-soak: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "ws-soak: {} for {} s, {} lanes, seed {}, messages up to {} B",
        options.url,
        options.duration.as_secs(),
        options.lanes,
        options.seed,
        options.max_size
    );
    let started = Instant::now();
    let tally = runtime.block_on(ws_soak::run(options, Some(Duration::from_secs(30))));
    println!("ws-soak: done in {:.0} s", started.elapsed().as_secs_f64());
    print!("{tally}");
    if tally.error_count() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
