//! mlflowrs-lightgbm (being written).
