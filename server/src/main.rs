//! `tmsdk-server`: prints its settings (secrets masked) and its open-file limit, then `listening on
//! http://ADDR`; stops gracefully on Ctrl-C or SIGTERM.

use tmsdk_server::{
    raise_open_file_limit, run_user_command, serve, Config, ConnectionLimits, UserCommand, USAGE,
};

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Logs: one JSON line per event on stderr (time, level, the event's fields), `RUST_LOG` to filter.
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if matches!(
        args.first().map(String::as_str),
        Some("--help" | "-h" | "help")
    ) {
        print!("{USAGE}");
        return;
    }
    let command = match args.as_slice() {
        [] => None,
        _ => match UserCommand::parse(&args) {
            Some(command) => Some(command),
            None => {
                eprint!("tmsdk-server: unknown command {args:?}\n\n{USAGE}");
                std::process::exit(2);
            }
        },
    };
    let mut config = match Config::from_vars(|k| std::env::var(k).ok().filter(|v| !v.is_empty())) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("tmsdk-server: {message}");
            std::process::exit(2);
        }
    };
    if let Some(command) = command {
        match run_user_command(&config, &command).await {
            Ok(out) => println!("{out}"),
            Err(message) => {
                eprintln!("tmsdk-server: {message}");
                std::process::exit(1);
            }
        }
        return;
    }
    println!("{}", config.describe());
    // Each connection is a file: as many as the system allows this process.
    match raise_open_file_limit() {
        Ok((soft, hard)) => println!("open files: {soft} (hard limit {hard})"),
        Err(e) => eprintln!("tmsdk-server: could not raise the open-file limit ({e})"),
    }
    let listen = config.listen;
    let limits = ConnectionLimits {
        max_connections: config.max_connections,
        ..ConnectionLimits::default()
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tmsdk-server: TMSDK_LISTEN: cannot listen on {listen} ({e})");
            std::process::exit(2);
        }
    };
    let bound = listener.local_addr().unwrap_or(listen);
    config.listening_on(bound);
    let app = match tmsdk_server::build(config).await {
        Ok(app) => app,
        Err(message) => {
            eprintln!("tmsdk-server: {message}");
            std::process::exit(2);
        }
    };
    println!("listening on http://{bound}");
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("a SIGTERM handler");
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
    };
    serve(listener, app, limits, shutdown).await;
}
