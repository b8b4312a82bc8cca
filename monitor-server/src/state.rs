//! What every handler shares: the store, the settings, the count of open
//! streams and the webhook deliveries already taken.

use std::sync::Arc;

use monitor_sinks::store::Store;
use tokio::sync::Semaphore;

use crate::config::ServerConfig;
use crate::webhook::SeenDeliveries;

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: Arc<ServerConfig>,
    /// One permit per live stream that may be open.
    pub(crate) streams: Arc<Semaphore>,
    /// Signatures of webhook deliveries inside the replay window.
    pub(crate) seen: Arc<SeenDeliveries>,
}

impl AppState {
    pub(crate) fn new(store: Arc<dyn Store>, config: ServerConfig) -> Self {
        AppState {
            store,
            streams: Arc::new(Semaphore::new(config.max_streams)),
            seen: Arc::new(SeenDeliveries::default()),
            config: Arc::new(config),
        }
    }
}
