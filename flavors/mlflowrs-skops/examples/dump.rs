//! Prints the node tree of a skops archive: `cargo run --example dump -- model.skops`.

use std::sync::Arc;

use mlflowrs_skops::{Archive, Limits, Node, NodeKind};

fn show(node: &Arc<Node>, label: &str, depth: usize) {
    let pad = "  ".repeat(depth);
    let detail = match node.kind() {
        NodeKind::Json(v) => format!(" = {v:?}"),
        NodeKind::Array(a) => format!(" = {}", a.describe()),
        _ => String::new(),
    };
    println!("{pad}{label}: {}{detail}", node.describe());
    if depth > 40 {
        return;
    }
    match node.kind() {
        NodeKind::Dict(entries) => {
            for (k, v) in entries {
                show(v, &format!("{k:?}"), depth + 1);
            }
        }
        NodeKind::Object(Some(state)) => match state.kind() {
            NodeKind::Dict(entries) => {
                for (k, v) in entries {
                    show(v, &format!("{k:?}"), depth + 1);
                }
            }
            _ => show(state, "state", depth + 1),
        },
        _ => {
            for (i, c) in node.children().into_iter().enumerate() {
                show(c, &i.to_string(), depth + 1);
            }
        }
    }
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump <model.skops>");
        std::process::exit(2);
    };
    match Archive::open(path.as_ref(), &Limits::default()) {
        Ok(a) => {
            show(a.root_arc(), "root", 0);
            println!("untrusted by default: {:?}", a.untrusted_types(&[]));
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
