//! `mlflowrs healthcheck`: the images' HEALTHCHECK (scratch images have no curl).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::settings::HealthcheckSettings;

pub fn run(settings: &HealthcheckSettings) -> anyhow::Result<()> {
    let (addr, authority, path) = (settings.addr, &settings.authority, &settings.path);
    let timeout = Duration::from_secs(3);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    anyhow::ensure!(
        &head[9..12] == b"200",
        "{} answered {}",
        settings.url,
        String::from_utf8_lossy(&head[9..12])
    );
    Ok(())
}
