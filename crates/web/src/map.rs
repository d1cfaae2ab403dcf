//! What the pages' maps need from the settings: the base map's tile server (none: the page's
//! script draws a plain grid instead) and the regency's bounds, where the map opens.

use crate::AppState;

/// Rendered into a map's `data-` attributes; the page's script reads them.
pub struct MapView {
    /// The tile URL template, or empty: no base map.
    pub tiles: String,
    /// `min_lat,min_lon,max_lat,max_lon`, or empty when the deployment set none.
    pub bounds: String,
}

impl MapView {
    pub fn of(state: &AppState) -> Self {
        let bounds = state
            .config
            .rules
            .bounds
            .map(|b| format!("{},{},{},{}", b.min_lat, b.min_lon, b.max_lat, b.max_lon))
            .unwrap_or_default();
        Self {
            tiles: state.config.map_tile_url.clone().unwrap_or_default(),
            bounds,
        }
    }

    pub fn has_tiles(&self) -> bool {
        !self.tiles.is_empty()
    }
}
