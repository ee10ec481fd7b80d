//! Every class this crate builds, in one place: each estimator module adds
//! its builders to the registry here, above them all, so that the registry
//! itself imports none of them.

use std::sync::OnceLock;

use crate::registry::Registry;

/// The registry of this crate: every module registers its classes here.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = Registry::default();
        crate::linear::register(&mut r);
        crate::preprocessing::register(&mut r);
        crate::compose::register(&mut r);
        crate::pipeline::register(&mut r);
        crate::trees::register(&mut r);
        // Data that may sit in an estimator's parameters without being
        // read at predict time (`random_state=RandomState(...)`, the
        // unfitted `transformers` of a ColumnTransformer).
        for inert in [
            "numpy.random.mtrand.RandomState",
            "numpy.random._generator.Generator",
            "sklearn.compose._column_transformer.make_column_selector",
        ] {
            r.add_aux(inert);
        }
        r
    })
}
