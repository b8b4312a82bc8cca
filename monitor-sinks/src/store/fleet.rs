//! Any store as the runtime's [`FleetSource`]: fleet rules read its counts
//! and lead through it, under an id of this instance's own.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use monitor_runtime::alerting::{FleetCount, FleetSource};
use monitor_runtime::{SinkError, async_trait};

use super::Store;

/// A [`Store`] that fleet rules count and lead through. Each one has its
/// own holder id (process id and start time), so two instances on one host
/// are two holders.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use std::sync::Arc;
/// use monitor_sinks::sqlite::SqliteStore;
/// use monitor_sinks::store::StoreFleet;
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = Arc::new(SqliteStore::open(dir.path().join("monitor.db")).unwrap().shared());
/// let fleet = StoreFleet::new(store);
/// assert!(fleet.holder().contains(&std::process::id().to_string()));
/// # }
/// ```
#[derive(Debug)]
pub struct StoreFleet {
    store: Arc<dyn Store>,
    holder: String,
}

impl StoreFleet {
    /// Fleet rules through `store`, as a new holder.
    pub fn new(store: Arc<dyn Store>) -> Self {
        let started = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        StoreFleet { store, holder: format!("pid {} started {started:x}", std::process::id()) }
    }

    /// This instance's holder id.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// The store it reads and leads through.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }
}

#[async_trait]
impl FleetSource for StoreFleet {
    async fn lead(&self, lease: Duration) -> Result<bool, SinkError> {
        Ok(self.store.lead(&self.holder, lease).await?)
    }

    async fn counts_since(&self, since: SystemTime) -> Result<Vec<FleetCount>, SinkError> {
        Ok(self.store.fleet_counts(since).await?)
    }
}
