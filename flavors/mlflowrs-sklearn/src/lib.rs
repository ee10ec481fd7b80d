//! mlflowrs-sklearn (being written).
