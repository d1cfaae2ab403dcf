//! Building and running the server: open the database, migrate, make sure there is an
//! admin, start the job worker, serve until told to stop.

use crate::config::Settings;
use kotapintar_jobs::Worker;
use kotapintar_search::sync::Builder;
use kotapintar_search::SearchIndex;
use kotapintar_storage::{users, NodeLockKey, OpenMode, Store};
use kotapintar_web::{AppState, WebConfig};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub struct Application {
    listener: TcpListener,
    state: AppState,
    /// `None` on a node that leaves background work to others.
    worker: Option<Worker>,
    /// Where a new search index is built (in this process unless told otherwise).
    search_builder: Builder,
}

impl Application {
    /// Opens the database (creating a SQLite file only if `mode` allows), applies pending
    /// migrations, creates the first admin if needed, and binds the listening socket.
    pub async fn build(settings: &Settings, mode: OpenMode) -> anyhow::Result<Self> {
        let store = Store::connect(&settings.database_url, mode).await?;
        let mut watched = vec![settings.data_dir.join("uploads")];
        watched.extend(
            settings
                .database_url
                .sqlite_path()
                .map(|p| p.parent().map(|d| d.to_path_buf()).unwrap_or_default()),
        );
        store.watch_free_space(watched, settings.min_free_mb.saturating_mul(1024 * 1024));
        prepare(&store, settings).await?;
        // nodes starting together: one creates the admin, the others find it
        let lock = store.lock_across_nodes(NodeLockKey::Setup).await?;
        let first_admin =
            users::ensure_first_admin(&store, settings.admin_password.as_ref().map(|s| s.expose()))
                .await?;
        lock.release().await?;
        announce_first_admin(first_admin);
        store.head.refresh(&store.reader).await?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
        let config = WebConfig {
            secure_cookies: settings.secure_cookies(),
            session_ttl: chrono::Duration::hours(settings.session_ttl_hours),
            regency: settings.regency.clone(),
            rules: settings.rules.clone(),
            uploads: settings.data_dir.join("uploads"),
            map_tile_url: settings.map_tile_url.clone(),
            trusted_proxies: settings.trusted_proxies.clone(),
            webhook_allow_private: settings.webhook_allow_private,
        };
        let search = Arc::new(
            SearchIndex::open(&settings.search_dir)
                .map_err(|e| anyhow::anyhow!("{e} (in {})", settings.search_dir.display()))?,
        );
        let worker = if settings.worker {
            Some(
                Worker::new(
                    store.clone(),
                    settings.rules.clone(),
                    settings.data_dir.join("uploads"),
                )
                .with_api_call_retention(settings.api_call_retention_days)
                .with_notifications(&settings.smtp, &settings.message_gateway)?
                .with_chat_channels(&settings.telegram, &settings.whatsapp, &settings.sms)?
                .allow_private_webhooks(settings.webhook_allow_private),
            )
        } else {
            None
        };
        Ok(Self {
            listener,
            state: AppState::new(store, config, search)
                .with_limits(settings.limits.clone())
                .with_channels(settings.channels.clone()),
            worker,
            search_builder: Builder::InProcess,
        })
    }

    /// Builds a new search index with `builder` (a server started from the `kotapintar`
    /// binary builds it in a child process, see `commands::search::child_build`).
    pub fn build_search_in(mut self, builder: Builder) -> Self {
        self.search_builder = builder;
        self
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Serves until `shutdown` completes; then stops taking connections, lets requests in
    /// flight finish, and stops the worker after its current job.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker = self.worker.map(|w| tokio::spawn(w.run(stop_rx.clone())));
        // every node keeps its own search index current, worker or not
        let search = tokio::spawn(kotapintar_search::sync::follow(
            self.state.store.clone(),
            self.state.search.clone(),
            self.search_builder,
            stop_rx.clone(),
        ));
        // the public caches' event head, current without a query per request
        let head = tokio::spawn(kotapintar_storage::events::follow(
            self.state.store.clone(),
            self.state.store.head.clone(),
            stop_rx,
        ));
        let app = kotapintar_web::router(self.state.clone());
        // the peer's address feeds login throttling (`kotapintar_web::client_addr`)
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        let _ = stop_tx.send(true);
        if let Some(w) = worker {
            let _ = w.await;
        }
        let _ = search.await;
        let _ = head.await;
        self.state.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

fn announce_first_admin(created: Option<users::FirstAdmin>) {
    let Some(admin) = created else { return };
    // Printed, not logged: logs are kept and shipped, a first password must not be.
    if admin.generated {
        println!();
        println!("  First start: an administrator account was created.");
        println!("    login:    admin");
        println!("    password: {}", admin.password);
        println!("  This password is shown only now. Change it after logging in, or set");
        println!("  KOTAPINTAR_ADMIN_PASSWORD before the first start to choose it.");
        println!();
    } else {
        println!("  First start: administrator 'admin' created with the password from KOTAPINTAR_ADMIN_PASSWORD.");
    }
}

/// Completes on Ctrl-C or SIGTERM.
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
    tracing::info!("shutdown signal received; finishing requests in flight");
}

/// Brings a database up to date: pending migrations, the audit key (see `audit_key`), then
/// the reference data a first start needs (the national holiday calendar, once; admins edit
/// it afterwards).
/// Nodes that start together take turns (the holiday seed and the rebuild job are "unless
/// done already").
pub async fn prepare(store: &Store, settings: &Settings) -> anyhow::Result<()> {
    store.migrate().await?;
    crate::audit_key::install(store, settings).await?;
    let lock = store.lock_across_nodes(NodeLockKey::Setup).await?;
    seed_and_count(store).await?;
    lock.release().await?;
    Ok(())
}

async fn seed_and_count(store: &Store) -> anyhow::Result<()> {
    kotapintar_storage::holidays::seed_if_empty(
        store,
        &crate::reference_data::national_holidays()?,
    )
    .await?;
    // Requests stored before the performance counters existed get counted once, by a job
    // (the worker has the calendar and the time zone).
    if kotapintar_storage::performance::needs_rebuild(store).await? {
        let pending = kotapintar_storage::jobs::pending(store).await?;
        if !pending
            .iter()
            .any(|j| j.kind == kotapintar_jobs::REBUILD_PERFORMANCE)
        {
            kotapintar_storage::jobs::enqueue(
                &store.writer,
                &kotapintar_jobs::Job::RebuildPerformance,
                chrono::Utc::now(),
            )
            .await?;
        }
    }
    Ok(())
}
