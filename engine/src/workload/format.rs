//! Statements back to workload text, so a generated or edited workload can be
//! shown, saved and read again to the same statements.

use crate::alloc::reclaim::PageUse;
use crate::workload::ast::{FreeTarget, Statement};

/// Writes statements back as workload text that [`parse_workload`](crate::workload::parse_workload) reads to the same
/// statements (one per line; `repeat` bodies indented by two spaces).
pub fn format_statements(statements: &[Statement]) -> String {
    let mut out = String::new();
    let refs: Vec<&Statement> = statements.iter().collect();
    write_block(&mut out, &refs, 0);
    out
}

fn write_block(out: &mut String, statements: &[&Statement], depth: usize) {
    for statement in statements {
        out.push_str(&"  ".repeat(depth));
        match statement {
            Statement::Repeat { count, body } => {
                out.push_str(&format!("repeat {count} {{\n"));
                let body: Vec<&Statement> = body.iter().map(|(s, _)| s).collect();
                write_block(out, &body, depth + 1);
                out.push_str(&"  ".repeat(depth));
                out.push_str("}\n");
                continue;
            }
            other => out.push_str(&format_statement(other)),
        }
        out.push('\n');
    }
}

/// One statement (not `repeat`) as a line of workload text.
pub fn format_statement(statement: &Statement) -> String {
    match statement {
        Statement::Cpu(cpu) => format!("cpu {cpu}"),
        Statement::Alloc {
            name,
            order,
            gfp,
            count,
            node,
            nodemask,
            cpu,
            use_,
        } => {
            let mut line = String::from("alloc");
            if let Some(name) = name {
                line.push_str(&format!(" {name}"));
            }
            line.push_str(&format!(" order={order} gfp={}", gfp.describe()));
            if *count != 1 {
                line.push_str(&format!(" count={count}"));
            }
            if *node >= 0 {
                line.push_str(&format!(" node={node}"));
            }
            if let Some(mask) = nodemask {
                line.push_str(&format!(" nodemask={}", crate::text::format_cpulist(mask)));
            }
            if let Some(cpu) = cpu {
                line.push_str(&format!(" cpu={cpu}"));
            }
            match use_ {
                PageUse::Kernel => {}
                PageUse::PageCache => line.push_str(" use=pagecache"),
                PageUse::Anon => line.push_str(" use=anon"),
            }
            line
        }
        Statement::Place {
            name,
            order,
            gfp,
            at,
            cpu,
            refill,
        } => {
            let mut line = match gfp {
                Some(gfp) => format!("place {name} order={order} gfp={}", gfp.describe()),
                None => format!("hold {name} order={order}"),
            };
            match at {
                Some(pfn) => line.push_str(&format!(" at={pfn:#x}")),
                None => line.push_str(" at=null"),
            }
            if let Some(cpu) = cpu {
                line.push_str(&format!(" cpu={cpu}"));
            }
            if !refill.is_empty() {
                let pfns: Vec<String> = refill.iter().map(|p| format!("{p:#x}")).collect();
                line.push_str(&format!(" refill={}", pfns.join(",")));
            }
            line
        }
        Statement::DrainedAt(pfns) => {
            let pfns: Vec<String> = pfns.iter().map(|p| format!("{p:#x}")).collect();
            format!("drained at={}", pfns.join(","))
        }
        Statement::Free(target) => match target {
            FreeTarget::All => "free all".to_string(),
            FreeTarget::Name(name) => format!("free {name}"),
            FreeTarget::Index(name, i) => format!("free {name}[{i}]"),
            FreeTarget::Range(name, a, b) => format!("free {name}[{a}..{b}]"),
            FreeTarget::Every(name, n) => format!("free {name} every={n}"),
        },
        Statement::Drain { cpu: None } => "drain".to_string(),
        Statement::Drain { cpu: Some(cpu) } => format!("drain cpu={cpu}"),
        Statement::DropCaches => "drop_caches".to_string(),
        Statement::Compact => "compact".to_string(),
        Statement::Kswapd { node } => format!("kswapd node={node}"),
        Statement::Sysctl(writes) => {
            let parts: Vec<String> = writes
                .iter()
                .map(|(name, value)| format!("{name}={}", value.replace(' ', ",")))
                .collect();
            format!("sysctl {}", parts.join(" "))
        }
        Statement::Hotplug { section, online } => format!(
            "{} section={section}",
            if *online { "online" } else { "offline" }
        ),
        Statement::Generate { name, params } => {
            let mut line = format!("generate {name}");
            for (key, value) in params {
                line.push_str(&format!(" {key}={value}"));
            }
            line
        }
        Statement::Repeat { count, .. } => format!("repeat {count} {{ }}"),
    }
}
