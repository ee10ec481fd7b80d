//! mlflowrs-xgboost (being written).
