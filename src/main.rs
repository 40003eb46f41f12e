use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use facteur::config::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

/// Facteur: webmail for IMAP and SMTP servers.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML configuration file (also FACTEUR_CONFIG). The environment overrides it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the webmail (the default).
    Serve,
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Exit 0 when the local instance answers /healthz (for container health checks).
    Healthcheck,
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Print the effective configuration (secrets hidden) and every problem found.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref());
    match cli.command.unwrap_or(Command::Serve) {
        Command::Config { action: ConfigAction::Check } => match config {
            Ok(c) => {
                print!("{}", c.describe());
                println!("configuration OK");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("configuration problems:\n{e}");
                ExitCode::from(2)
            }
        },
        Command::Healthcheck => {
            let Ok(c) = config else { return ExitCode::FAILURE };
            if healthcheck(&c) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Command::Serve => {
            let config = match config {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("configuration problems:\n{e}");
                    return ExitCode::from(2);
                }
            };
            init_logs(config.log_format);
            let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("cannot start: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(serve(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    eprintln!("facteur: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = facteur::startup::Application::build(config).await?;
    tracing::info!(address = %app.local_addr()?, "Facteur is listening");
    app.run_until(facteur::startup::shutdown_signal()).await
}

fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// A minimal HTTP/1.0 GET of /healthz on the configured port, through loopback.
fn healthcheck(c: &Config) -> bool {
    let mut addr = c.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(3)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    if s.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = Vec::new();
    let _ = s.take(4096).read_to_end(&mut buf);
    buf.starts_with(b"HTTP/1.0 200") || buf.starts_with(b"HTTP/1.1 200")
}
