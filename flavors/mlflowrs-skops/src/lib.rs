//! mlflowrs-skops (being written).
