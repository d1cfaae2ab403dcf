//! bimtek tests (below)
