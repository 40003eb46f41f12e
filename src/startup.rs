//! Building and running the application: state, database, session layer, router, listener,
//! graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use tokio::net::TcpListener;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::config::Config;
use crate::mail::imap::{Registry, TlsSetup, Watchers};
use crate::secrets::ServerKey;
use crate::web::{self, AppState, auth, middleware};

pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    router: Router,
    pub state: AppState,
    stop_tx: tokio::sync::watch::Sender<bool>,
    outbox: crate::outbox::Running,
}

/// The longest a stopping instance waits for the messages it is sending: a little less than
/// the 10 s `docker stop` gives before it kills.
const OUTBOX_DRAIN: std::time::Duration = std::time::Duration::from_secs(8);

impl Application {
    /// Prepares everything and binds the listener (port 0 picks a free port).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create the data directory {}: {e}", config.data_dir.display()))?;
        let server_key = ServerKey::load_or_create(&config)?;
        let opened = crate::store::open(&config.database_url).await?;
        let db = opened.db.clone();
        tracing::info!(database = opened.backend.name(), "database ready");
        let tls = TlsSetup::new(config.tls_ca_file.as_deref())?;
        let smtp_tls = tls.clone();
        let probe_tls = tls.clone();
        let watchers = Arc::new(Watchers::new(
            tls.clone(),
            config.imap_connect_timeout,
            config.imap_command_timeout,
            config.status_poll_interval,
            config.notify_window,
        ));
        let registry = Arc::new(Registry::new(
            tls,
            config.imap_connect_timeout,
            config.imap_command_timeout,
            config.imap_idle_timeout,
        ));
        registry.yield_to(watchers.clone());
        registry.spawn_reaper();

        let store = opened.sessions;
        tokio::spawn({
            use tower_sessions::ExpiredDeletion;
            let store = store.clone();
            let (db, idle_ms) = (db.clone(), config.session_idle_timeout.as_millis() as i64);
            async move {
                // A database that restarts fails one pass; the cleanup goes on with the next.
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
                loop {
                    tick.tick().await;
                    if let Err(e) = store.delete_expired().await {
                        tracing::warn!(error = %e, "expired sessions not deleted this time");
                    }
                    // Their rows in the list of where users are signed in, once idle too long.
                    if let Err(e) = crate::store::web_sessions::sweep(&db, crate::clock::unix_ms() - idle_ms - 120_000).await {
                        tracing::warn!(error = %e, "ended web sessions not forgotten this time");
                    }
                }
            }
        });
        let idle = time::Duration::seconds(config.session_idle_timeout.as_secs() as i64);
        let sessions = SessionManagerLayer::new(store)
            .with_name(auth::SESSION_COOKIE)
            .with_secure(config.cookie_secure)
            .with_same_site(SameSite::Lax)
            .with_http_only(true)
            .with_expiry(Expiry::OnInactivity(idle));

        let extra_ca = match &config.tls_ca_file {
            Some(p) => Some(std::fs::read(p).map_err(|e| anyhow::anyhow!("cannot read CA file {}: {e}", p.display()))?),
            None => None,
        };
        let smtp = Arc::new(crate::mail::smtp::Smtp::new(smtp_tls, extra_ca, config.smtp_timeout));
        // On PostgreSQL, several instances may serve one compose page: its files go to the
        // database. On SQLite (one instance), they stay on the local disk.
        let uploads = match opened.backend {
            crate::store::Backend::Postgres => crate::store::uploads::Uploads::in_database(db.clone()),
            crate::store::Backend::Sqlite => crate::store::uploads::Uploads::new(&config.data_dir),
        };
        tokio::spawn({
            let uploads = uploads.clone();
            async move {
                loop {
                    let removed = uploads.sweep(std::time::Duration::from_secs(3 * 86400)).await;
                    if removed > 0 {
                        tracing::info!(removed, "abandoned attachments removed");
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                }
            }
        });
        let max_upload = usize::try_from(config.max_message_size.saturating_mul(2).saturating_add(16 << 20)).unwrap_or(usize::MAX);
        let (config_free_attempts, config_max_backoff) = (config.login_free_attempts, config.login_max_backoff);
        let image_signer = Arc::new(crate::web::image_proxy::Signer::new(&server_key));
        let domains = Arc::new(crate::domains::Domains::new(&config)?);
        let brands = Arc::new(crate::web::brand::Brands::new(&config)?);
        let (stop_tx, stopping) = tokio::sync::watch::channel(false);
        let upstreams = Arc::new(crate::web::ops::Upstreams::new(&config, probe_tls));
        let pusher = match &config.push_dovecot_secret {
            Some(_) => {
                let subject = if config.push_subject.is_empty() {
                    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
                    format!("mailto:postmaster@{}", if host.is_empty() { "localhost" } else { &host })
                } else {
                    config.push_subject.clone()
                };
                Some(crate::push::Pusher::new(db.clone(), &server_key, &config, subject).await?)
            }
            None => None,
        };
        let state = AppState {
            pusher,
            metrics: crate::metrics::install(),
            upstreams,
            stopping,
            domains,
            brands,
            image_signer,
            config: Arc::new(config),
            registry,
            vacations: Default::default(),
            watchers,
            server_key: Arc::new(server_key),
            db: db.clone(),
            smtp,
            uploads,
            login_throttle: Arc::new(crate::web::throttle::LoginThrottle::new(
                config_free_attempts,
                config_max_backoff,
                db.clone(),
            )),
        };
        // Always on, so that jobs kept before the hoster turned the outbox off still run.
        let outbox = Arc::new(crate::outbox::Worker {
            db: db.clone(),
            backend: opened.backend,
            key: state.server_key.clone(),
            registry: state.registry.clone(),
            smtp: state.smtp.clone(),
            uploads: state.uploads.clone(),
            lease: state.config.outbox_lease,
            holder: format!("{}-{}", std::process::id(), crate::secrets::random_token::<6>()?),
            pusher: state.pusher.clone(),
        })
        .spawn(state.stopping.clone());
        let metrics_listener = match state.config.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr} for metrics: {e}"))?,
            ),
            None => None,
        };
        let router = web::routes(max_upload, metrics_listener.is_none())
            .layer(from_fn_with_state(state.clone(), middleware::reauth))
            .layer(sessions)
            .layer(from_fn(middleware::same_origin))
            .layer(from_fn_with_state(state.clone(), middleware::error_pages))
            .layer(from_fn_with_state(state.clone(), middleware::security_headers))
            .layer(from_fn(middleware::request_id))
            .layer(middleware::compression())
            .with_state(state.clone());
        let listener = TcpListener::bind(state.config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", state.config.listen))?;
        Ok(Self { listener, metrics_listener, router, state, stop_tx, outbox })
    }

    /// The router with every layer, as served (tests call it in process).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests and the outbox jobs
    /// being run (up to 8 s), and logs out of every IMAP connection.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let registry = self.state.registry.clone();
        let stop_tx = self.stop_tx;
        let mut stopping = self.state.stopping.clone();
        if let Some(listener) = self.metrics_listener {
            let router = web::ops::metrics_router(self.state.clone());
            tokio::spawn(async move {
                let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                    let _ = stopping.wait_for(|s| *s).await;
                });
                if let Err(e) = serve.await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
        }
        // Stop accepting, tell event streams to end, let in-flight requests finish.
        let begin_stop = async move {
            shutdown.await;
            tracing::info!("stopping: finishing requests in flight");
            let _ = stop_tx.send(true);
        };
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(begin_stop)
            .await?;
        self.outbox.finish(OUTBOX_DRAIN).await;
        tracing::info!(sessions = registry.open_connections(), "stopping: logging out of IMAP sessions");
        registry.shutdown().await;
        self.state.watchers.drained(std::time::Duration::from_secs(5)).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
