//! `ws-loadgen`: measures a WebSocket echo server (see the library docs and
//! `ws-loadgen --help`).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use ws_loadgen::cli::{self, Mode};
use ws_loadgen::{connections, fanout, latency, throughput, LoadError};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{}", cli::USAGE);
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ws-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), LoadError> {
    let args = cli::parse(args)?;
    // Thousands of sockets: lift the soft open-file limit to the hard one.
    rlimit::increase_nofile_limit(u64::MAX)?;
    let runtime = if args.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    let (table, json) = runtime.block_on(async {
        Ok::<_, LoadError>(match &args.mode {
            Mode::Throughput(c) => {
                let r = throughput::run(c).await?;
                (r.table(), r.json())
            }
            Mode::Latency(c) => {
                let r = latency::run(c).await?;
                (r.table(), r.json())
            }
            Mode::Connections(c) => {
                let r = connections::run(c).await?;
                (r.table(), r.json())
            }
            Mode::Fanout(c) => {
                let r = fanout::run(c).await?;
                (r.table(), r.json())
            }
        })
    })?;
    println!("{table}");
    if args.json {
        println!("{json}");
    }
    Ok(())
}
