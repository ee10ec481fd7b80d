//! `mlflowrs ui fetch`: the pinned `mlflow` wheel, whose prebuilt UI
//! `mlflowrs server` serves, downloaded from the package index into the
//! cache and kept only when its sha256 is the one this build pins.

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

use crate::settings::UiFetchSettings;
use mlflowrs_ui::{cached_wheel, WHEEL_FILE, WHEEL_SHA256};

pub async fn run(settings: UiFetchSettings) -> anyhow::Result<()> {
    let target = cached_wheel(&settings.cache_dir);
    if let Ok(data) = std::fs::read(&target) {
        if sha256_hex(&data) == WHEEL_SHA256 {
            eprintln!("{} is already cached: {}", WHEEL_FILE, target.display());
            return Ok(());
        }
    }
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(30))
        .timeout(std::time::Duration::from_secs(600))
        .build()?;
    let page_url = reqwest::Url::parse(&settings.project_page)
        .with_context(|| format!("index page {}", settings.project_page))?;
    let page = client
        .get(page_url.clone())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("cannot read the index page {page_url}"))?
        .text()
        .await?;
    let href =
        wheel_link(&page).with_context(|| format!("{page_url} does not list {WHEEL_FILE}"))?;
    let url = page_url.join(&href)?;
    eprintln!(
        "downloading {WHEEL_FILE} from {}",
        url.host_str().unwrap_or("")
    );
    let mut response = client
        .get(url.clone())
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("cannot download {url}"))?;
    let total = response.content_length();
    let mut data = Vec::with_capacity(total.unwrap_or(0).min(MAX_WHEEL_BYTES) as usize);
    let mut shown = 0;
    while let Some(chunk) = response.chunk().await.context("download interrupted")? {
        data.extend_from_slice(&chunk);
        if data.len() as u64 > MAX_WHEEL_BYTES {
            bail!("{url} is over {MAX_WHEEL_BYTES} bytes, not the {WHEEL_FILE} this build pins; nothing was cached");
        }
        if let Some(total) = total.filter(|t| *t > 0) {
            let percent = data.len() as u64 * 100 / total;
            if percent >= shown + 10 || data.len() as u64 == total {
                shown = percent;
                eprintln!(
                    "  {percent:3}%  {:.1} of {:.1} MB",
                    mb(data.len()),
                    mb(total as usize)
                );
            }
        }
    }
    let digest = sha256_hex(&data);
    if digest != WHEEL_SHA256 {
        bail!("{url}: sha256 {digest}, expected {WHEEL_SHA256}; nothing was cached");
    }
    std::fs::create_dir_all(&settings.cache_dir)
        .with_context(|| format!("cache {}", settings.cache_dir.display()))?;
    let partial = target.with_extension("partial");
    std::fs::write(&partial, &data).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, &target)?;
    // The wheel must hold the UI, or the server would find nothing in it.
    let bundle = mlflowrs_ui::Bundle::open(&target)?;
    eprintln!(
        "cached MLflow {} UI: {}",
        bundle.version().unwrap_or("?"),
        target.display()
    );
    Ok(())
}

/// The pinned wheel is 12 MB; a download past this is not it.
const MAX_WHEEL_BYTES: u64 = 64 << 20;

/// The wheel's link on a PEP 503 page: `href="…/mlflow-3.17.2-py3-none-any.whl#sha256=…"`.
fn wheel_link(page: &str) -> Option<String> {
    page.split("href=\"").skip(1).find_map(|rest| {
        let href = rest.split('"').next()?;
        let path = href.split('#').next()?;
        path.rsplit('/')
            .next()
            .is_some_and(|name| name == WHEEL_FILE)
            .then(|| path.replace("&amp;", "&"))
    })
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_wheel_link_is_found_on_a_simple_index_page() {
        let page = r#"<a href="https://files.example/a/mlflow-3.17.1-py3-none-any.whl#sha256=00">x</a>
<a href="../../packages/mlflow-3.17.2-py3-none-any.whl#sha256=4e">y</a>
<a href="https://files.example/mlflow-3.17.2.tar.gz#sha256=11">z</a>"#;
        assert_eq!(
            super::wheel_link(page).as_deref(),
            Some("../../packages/mlflow-3.17.2-py3-none-any.whl")
        );
        assert_eq!(super::wheel_link("<html></html>"), None);
    }
}
