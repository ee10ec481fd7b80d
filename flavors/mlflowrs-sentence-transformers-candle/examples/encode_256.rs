//! One `encode` of the 256 sentences benches/embeddings.sh sends, in
//! process, best of 5, then one short sentence, best of 20: the candle side of the in-process comparison with
//! sentence-transformers' `encode`, without HTTP.
//!
//! Usage: encode_256 MODEL_DIR [OUT.json]
//! (MODEL_DIR: the `model.sentence_transformer` directory; OUT.json gets the
//! 256 embeddings, one list per sentence, and OUT.json.one the short
//! sentence's, to compare with sentence-transformers.)

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: encode_256 MODEL_DIR");
    let model =
        mlflowrs_sentence_transformers_candle::SentenceModel::load(std::path::Path::new(&dir), 32)
            .expect("model");
    let sentences: Vec<String> = (0..256)
        .map(|i| {
            format!(
                "sentence number {i} about serving {}quickly",
                "embeddings ".repeat(i % 9)
            )
        })
        .collect();
    let embeddings = model.encode(&sentences).expect("encode");
    if let Some(out) = std::env::args().nth(2) {
        let rows: Vec<&[f32]> = embeddings.chunks(model.dim()).collect();
        std::fs::write(&out, serde_json::to_string(&rows).expect("json")).expect("write");
    }
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t0 = std::time::Instant::now();
        model.encode(&sentences).expect("encode");
        best = best.min(t0.elapsed().as_secs_f64());
    }
    println!("{:.0} sentences/s ({:.1} ms)", 256.0 / best, best * 1e3);
    // One short sentence: what a 1-connection client waits for.
    let one = vec!["MLflow models served from Rust, one sentence per request.".to_string()];
    if let Some(out) = std::env::args().nth(2) {
        let e = model.encode(&one).expect("encode");
        std::fs::write(
            format!("{out}.one"),
            serde_json::to_string(&e).expect("json"),
        )
        .expect("w");
    }
    let mut best = f64::MAX;
    for _ in 0..20 {
        let t0 = std::time::Instant::now();
        model.encode(&one).expect("encode");
        best = best.min(t0.elapsed().as_secs_f64());
    }
    println!("one sentence: {:.2} ms", best * 1e3);
}
