//! Tests: places.
